/**
 * Hosted Checkout (`checkout.sessions` with ui_mode 'hosted_page'): GET /checkout/:id renders the
 * order summary and the same card form (stripe.js + element iframe); the page creates a PaymentMethod
 * with the publishable key and POSTs it to /checkout/:id/pay, which completes the session through the
 * billing's `completeCheckoutSession` (subscription / payment / setup, checkout.session.completed)
 * and answers with the success_url ({CHECKOUT_SESSION_ID} replaced).
 */
import type Stripe from 'stripe';
import type { CompleteCheckoutSession } from '../billing';
import { RawResponse, StripeError, type EmulatorApp } from '../core';
import { Html, date, html, interval, jsonScript, money, page, raw } from './html';
import { callApi } from './internal-api';

type Session = Stripe.Checkout.Session;

/** The publishable key the hosted pages use for their own card form (any pk_test_ works). */
export const HOSTED_PK = 'pk_test_emulator_0000000000000000';

export function businessName(): string {
  return process.env.STRIPE_EMULATOR_BUSINESS_NAME || 'Test business';
}

export function merchantHeader(backUrl: string | null, backLabel = 'Back'): Html {
  const name = businessName();
  const logo = html`<span class="logo" aria-hidden="true">${name.slice(0, 1).toUpperCase()}</span>`;
  return html`<div class="merchant">
    ${
      backUrl
        ? html`<a class="back" href="${backUrl}"
            ><span aria-hidden="true">←</span><span class="sr-only">${backLabel}:</span> ${logo}
            <span style="color:var(--text);font-weight:600">${name}</span></a
          >`
        : html`${logo}<span>${name}</span>`
    }<span class="testbadge">Test mode</span>
  </div>`;
}

interface PromoInfo {
  code: string;
  id: string;
  discount: number;
  label: string;
}

function findPromo(app: EmulatorApp, code: string, subtotal: number, currency: string): PromoInfo | { error: string } {
  const promo = (app.store.all('promotion_code', { where: { code, active: true } }) as Stripe.PromotionCode[])[0];
  if (!promo) return { error: 'This code is invalid.' };
  const couponRef =
    (promo as unknown as { coupon?: string | Stripe.Coupon; promotion?: { coupon?: string | Stripe.Coupon } }).promotion?.coupon ??
    (promo as unknown as { coupon?: string | Stripe.Coupon }).coupon;
  const couponId = typeof couponRef === 'string' ? couponRef : couponRef?.id;
  const coupon = couponId ? (app.store.get('coupon', couponId) as Stripe.Coupon | null) : null;
  if (!coupon || !coupon.valid) return { error: 'This code is invalid.' };
  if (promo.expires_at && promo.expires_at <= app.clock.now()) return { error: 'This code has expired.' };
  const min = promo.restrictions?.minimum_amount;
  if (min && subtotal < min)
    return { error: `This code requires a minimum order of ${money(min, promo.restrictions.minimum_amount_currency ?? currency)}.` };
  let discount = 0;
  let label = '';
  if (coupon.percent_off) {
    discount = Math.round((subtotal * coupon.percent_off) / 100);
    label = `${coupon.percent_off}% off`;
  } else if (coupon.amount_off) {
    discount = Math.min(subtotal, coupon.amount_off);
    label = `${money(coupon.amount_off, coupon.currency ?? currency)} off`;
  }
  if (coupon.duration === 'repeating' && coupon.duration_in_months) label += ` for ${coupon.duration_in_months} months`;
  else if (coupon.duration === 'forever') label += ' forever';
  return { code: promo.code, id: promo.id, discount, label };
}

interface Item {
  name: string;
  quantity: number;
  amount: number;
  unit: number;
  recurring: Stripe.Price.Recurring | null;
}

async function loadItems(app: EmulatorApp, s: Session): Promise<Item[]> {
  const r = await callApi<Stripe.ApiList<Stripe.LineItem>>(app, 'GET', `/v1/checkout/sessions/${s.id}/line_items`, { limit: 100 });
  if (!r.ok) return [];
  return r.body.data.map((li) => ({
    name: li.description ?? 'Item',
    quantity: li.quantity ?? 1,
    amount: li.amount_subtotal,
    unit: li.price?.unit_amount ?? 0,
    recurring: li.price?.recurring ?? null,
  }));
}

function statusPage(s: Session, title: string, text: string): RawResponse {
  return RawResponse.html(
    page(
      title,
      html`<main class="center">
        ${merchantHeader(null)}
        <div class="card">
          <h1>${title}</h1>
          <p class="muted">${text}</p>
          ${s.cancel_url && s.status !== 'complete' ? html`<a class="btn secondary" href="${s.cancel_url}">Return to ${businessName()}</a>` : ''}
        </div>
      </main>`,
    ),
    s.status === 'complete' ? 200 : 410,
  );
}

export function registerCheckoutPages(app: EmulatorApp, completeCheckoutSession: CompleteCheckoutSession): void {
  app.route({
    method: 'GET',
    path: '/checkout/:id',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, _p, req) => {
      const r = await callApi<Session>(app, 'GET', `/v1/checkout/sessions/${encodeURIComponent(req.pathParams.id!)}`);
      if (!r.ok)
        return RawResponse.html(
          page(
            'Checkout',
            html`<main class="center">
              <div class="card">
                <h1>Something went wrong</h1>
                <p class="muted">This checkout link is invalid.</p>
              </div>
            </main>`,
          ),
          404,
        );
      const s = r.body;
      if (s.status === 'complete') return statusPage(s, 'Thanks for your order', 'Your payment is complete. You can close this page.');
      if (s.status === 'expired') return statusPage(s, 'This checkout session has expired', 'Return to the merchant to start again.');
      if (s.ui_mode !== 'hosted_page')
        return statusPage(s, 'Not a hosted checkout', 'This Checkout Session is not for a Stripe-hosted page.');
      const items = await loadItems(app, s);
      const internal = app.store.getInternal<{ trialPeriodDays?: number | null }>(s.id) ?? {};
      const trialDays = s.mode === 'subscription' ? (internal.trialPeriodDays ?? 0) : 0;
      const currency = s.currency ?? 'usd';
      const subtotal = items.reduce((a, i) => a + i.amount, 0);
      const recurring = items.filter((i) => i.recurring);
      const oneTime = items.filter((i) => !i.recurring);
      const recurringTotal = recurring.reduce((a, i) => a + i.amount, 0);
      const dueToday = trialDays ? oneTime.reduce((a, i) => a + i.amount, 0) : subtotal;
      const first = items[0];
      const customer = typeof s.customer === 'string' ? (app.store.get('customer', s.customer) as Stripe.Customer | null) : null;
      const email = customer?.email ?? s.customer_email ?? '';
      const per = recurring[0]?.recurring ? interval(recurring[0].recurring) : '';
      const trialEnd = trialDays ? app.clock.now() + trialDays * 86400 : null;

      let heading: Html;
      if (s.mode === 'setup')
        heading = html`<div class="muted">Set up a payment method with ${businessName()}</div>
          <div class="big" style="font-size:26px">Save your card for future payments</div>`;
      else if (s.mode === 'subscription' && trialDays)
        heading = html`<div class="muted">Try ${first?.name ?? 'the subscription'}</div>
          <div class="big" id="headline">${trialDays} days free</div>
          <div class="muted">Then ${money(recurringTotal, currency)} ${per} starting ${date(trialEnd)}</div>`;
      else if (s.mode === 'subscription')
        heading = html`<div class="muted">Subscribe to ${items.length === 1 ? first!.name : businessName()}</div>
          <div class="big" id="headline">${money(recurringTotal, currency)} <small>${per}</small></div>`;
      else
        heading = html`<div class="muted">Pay ${businessName()}</div>
          <div class="big" id="headline">${money(subtotal, currency)}</div>`;

      const lines = items.map(
        (i) =>
          html`<div class="line">
            <div>
              <div class="name">${i.name}</div>
              <div class="sub">
                ${i.quantity > 1 ? `Qty ${i.quantity} · ${money(i.unit, currency)} each` : ''}${i.recurring ? `${i.quantity > 1 ? ' · ' : ''}Billed ${i.recurring.interval_count === 1 ? `${i.recurring.interval}ly`.replace('dayly', 'daily') : interval(i.recurring)}` : ''}
              </div>
              ${trialDays && i.recurring ? html`<div class="sub">${trialDays} days free</div>` : ''}
            </div>
            <div style="text-align:right">
              ${
                trialDays && i.recurring
                  ? html`<div>Free</div>
                      <div class="sub">${money(i.amount, currency)} ${interval(i.recurring)} after</div>`
                  : money(i.amount, currency)
              }
            </div>
          </div>`,
      );
      const promo = s.allow_promotion_codes
        ? html`<div id="promo-box">
            <button type="button" class="btn secondary small" id="promo-open">Add promotion code</button>
            <div class="promo" id="promo-form" hidden>
              <label class="sr" for="promo-code" style="position:absolute;left:-9999px">Promotion code</label>
              <input class="txt" id="promo-code" placeholder="Add promotion code" autocomplete="off" /><button
                type="button"
                class="btn secondary"
                id="promo-apply"
              >
                Apply
              </button>
            </div>
            <div class="msg error" id="promo-error" role="alert" style="margin-top:8px"></div>
          </div>`
        : '';
      const summary =
        s.mode === 'setup'
          ? ''
          : html`<div class="lines">
              ${lines}
              <div class="subtotal"><span>Subtotal</span><span id="subtotal">${money(subtotal, currency)}</span></div>
              <div class="line" id="discount-line" hidden>
                <span><span id="discount-label"></span></span><span id="discount-amount"></span>
              </div>
              ${promo}
              <div class="total"><span>Total due today</span><span id="total">${money(dueToday, currency)}</span></div>
            </div>`;

      const button = s.mode === 'setup' ? 'Save card' : s.mode === 'subscription' ? (trialDays ? 'Start trial' : 'Subscribe') : 'Pay';
      const config = {
        pk: HOSTED_PK,
        id: s.id,
        mode: s.mode,
        amount: dueToday,
        currency,
        subtotal,
        dueToday,
      };
      const body = html`<main class="split">
          <div class="left">
            <div class="col">
              ${merchantHeader(s.cancel_url, 'Back to the merchant')}
              <h1 class="sr-only">Checkout</h1>
              ${heading}${summary}
            </div>
          </div>
          <div class="right">
            <div class="col">
              <form id="checkout" novalidate>
                <h2>Contact information</h2>
                <div class="field">
                  <label class="lbl" for="email">Email</label>
                  <input
                    class="txt"
                    id="email"
                    type="email"
                    autocomplete="email"
                    value="${email}"
                    ${customer?.email ? html`readonly` : ''}
                    required
                  />
                </div>
                <h2 style="margin-top:26px">Payment method</h2>
                <div class="field"><div id="payment-element"></div></div>
                <div class="field">
                  <label class="lbl" for="name">Cardholder name</label>
                  <input class="txt" id="name" autocomplete="cc-name" placeholder="Full name on card" />
                </div>
                <div class="msg error" id="error" role="alert"></div>
                <button class="btn block" id="submit" type="submit">
                  <span class="spinner" aria-hidden="true"></span><span id="submit-label">${button}</span>
                </button>
                ${s.mode === 'subscription' ? html`<p class="note">By confirming your subscription, you allow ${businessName()} to charge you for future payments in accordance with their terms. You can always cancel your subscription.</p>` : ''}
              </form>
              <div class="footer"><span>Powered by the Stripe emulator</span><span>Test mode — no real charges</span></div>
            </div>
          </div>
        </main>
        <script src="/js/stripe.js"></script>
        <script>
          window.__checkout = ${jsonScript(config)};
        </script>
        <script>
          ${raw(CHECKOUT_SCRIPT)};
        </script>`;
      return RawResponse.html(page(`${businessName()} — Checkout`, body));
    },
  });

  app.route({
    method: 'POST',
    path: '/checkout/:id/promo',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const raw = params as Record<string, unknown>;
      const r = await callApi<Session>(app, 'GET', `/v1/checkout/sessions/${encodeURIComponent(req.pathParams.id!)}`);
      if (!r.ok || r.body.status !== 'open' || !r.body.allow_promotion_codes)
        return RawResponse.json({ error: { message: 'Promotion codes are not available for this checkout.' } });
      const items = await loadItems(app, r.body);
      const internal = app.store.getInternal<{ trialPeriodDays?: number | null }>(r.body.id) ?? {};
      const subtotal = items.reduce((a, i) => a + i.amount, 0);
      const found = findPromo(app, String(raw.code ?? '').trim(), subtotal, r.body.currency ?? 'usd');
      if ('error' in found) return RawResponse.json({ error: { message: found.error } });
      const dueBase = internal.trialPeriodDays ? items.filter((i) => !i.recurring).reduce((a, i) => a + i.amount, 0) : subtotal;
      const discount = Math.min(found.discount, dueBase);
      const currency = r.body.currency ?? 'usd';
      return RawResponse.json({
        code: found.code,
        label: `${found.code} (${found.label})`,
        discount: `−${money(discount, currency)}`,
        total: money(dueBase - discount, currency),
      });
    },
  });

  app.route({
    method: 'POST',
    path: '/checkout/:id/pay',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const raw = params as Record<string, unknown>;
      const id = req.pathParams.id!;
      const pm = String(raw.payment_method ?? '');
      if (!pm.startsWith('pm_')) return RawResponse.json({ error: { message: 'A payment method is required.' } });
      const ctx = app.makeCtx({});
      try {
        const s = app.runInTransaction(ctx, () =>
          completeCheckoutSession(ctx, id, pm, {
            email: typeof raw.email === 'string' && raw.email ? raw.email : undefined,
            name: typeof raw.name === 'string' && raw.name ? raw.name : undefined,
            promotionCode: typeof raw.promotion_code === 'string' && raw.promotion_code ? raw.promotion_code : undefined,
          }),
        );
        const target = s.success_url ? s.success_url.split('{CHECKOUT_SESSION_ID}').join(s.id) : `/checkout/${encodeURIComponent(s.id)}`;
        return RawResponse.json({ redirect: target });
      } catch (e) {
        if (!(e instanceof StripeError)) throw e;
        const pi = e.extra?.payment_intent as Stripe.PaymentIntent | undefined;
        const message = pi?.last_payment_error?.message ?? e.message;
        // 200 with the error in the body: this is the page's own endpoint, and a 4xx would be logged
        // as a console error by the browser.
        return RawResponse.json({
          error: { type: e.type, code: e.code, decline_code: pi?.last_payment_error?.decline_code ?? e.decline_code, message },
        });
      }
    },
  });
}

const CHECKOUT_SCRIPT = `
(function () {
  var cfg = window.__checkout
  var stripe = Stripe(cfg.pk)
  var opts = { appearance: { theme: 'stripe', variables: { colorPrimary: '#635bff', borderRadius: '6px' } } }
  if (cfg.mode === 'setup') { opts.mode = 'setup'; opts.currency = cfg.currency }
  else { opts.mode = cfg.mode; opts.amount = cfg.amount; opts.currency = cfg.currency }
  var elements = stripe.elements(opts)
  var payment = elements.create('payment')
  payment.mount('#payment-element')
  var form = document.getElementById('checkout')
  var btn = document.getElementById('submit')
  var err = document.getElementById('error')
  var promo = null
  function busy(v) { btn.disabled = v; btn.classList.toggle('busy', v) }
  function post(path, body) {
    return fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(function (r) { return r.json() })
  }
  var open = document.getElementById('promo-open')
  if (open) {
    open.addEventListener('click', function () {
      open.hidden = true
      document.getElementById('promo-form').hidden = false
      document.getElementById('promo-code').focus()
    })
    var applyPromo = function () {
      var code = document.getElementById('promo-code').value.trim()
      var perr = document.getElementById('promo-error')
      perr.textContent = ''
      if (!code) return
      post('/checkout/' + encodeURIComponent(cfg.id) + '/promo', { code: code }).then(function (r) {
        if (r.error) { perr.textContent = r.error.message; return }
        promo = r.code
        document.getElementById('discount-line').hidden = false
        document.getElementById('discount-label').textContent = r.label
        document.getElementById('discount-amount').textContent = r.discount
        document.getElementById('total').textContent = r.total
        document.getElementById('promo-form').hidden = true
      })
    }
    document.getElementById('promo-apply').addEventListener('click', applyPromo)
    document.getElementById('promo-code').addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); applyPromo() } })
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault()
    err.textContent = ''
    var email = document.getElementById('email')
    if (!email.value || !/^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/.test(email.value)) { err.textContent = 'Your email address is invalid.'; email.focus(); return }
    busy(true)
    elements.submit().then(function (r) {
      if (r.error) { busy(false); return null }
      var name = document.getElementById('name').value.trim()
      var bd = { email: email.value }
      if (name) bd.name = name
      return stripe.createPaymentMethod({ elements: elements, params: { billing_details: bd } }).then(function (res) {
        if (res.error) { err.textContent = res.error.message; busy(false); return null }
        return post('/checkout/' + encodeURIComponent(cfg.id) + '/pay', { payment_method: res.paymentMethod.id, email: email.value, name: name, promotion_code: promo }).then(function (out) {
          if (out.error) { err.textContent = out.error.message; busy(false); return }
          document.getElementById('submit-label').textContent = 'Processing…'
          window.location.assign(out.redirect)
        })
      })
    }).catch(function (e) { err.textContent = String(e && e.message || e); busy(false) })
  })
})()
`;
