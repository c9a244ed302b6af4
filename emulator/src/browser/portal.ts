// Over 500 lines: the hosted portal's pages and their form handlers, kept together so each page's actions sit beside it.
/**
 * Billing portal pages (`billing_portal.sessions` → /portal/:id): current plan, switch plan within
 * the configuration's products, cancel (per `features.subscription_cancel.mode`) and renew, update
 * the payment method (card form + PaymentMethod attach), invoice history, return link. Every change
 * goes through the emulator's own /v1 routes in-process, so events and webhooks are Stripe's.
 */
import type Stripe from 'stripe';
import { RawResponse, type EmulatorApp } from '../core';
import { HOSTED_PK, businessName } from './checkout';
import { Html, date, html, interval, jsonScript, money, page, raw } from './html';
import { callApi } from './internal-api';

type Conf = Stripe.BillingPortal.Configuration;
type PortalSession = Stripe.BillingPortal.Session;

const LIVE = ['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'paused'];

function load(app: EmulatorApp, id: string): { s: PortalSession; conf: Conf; customer: Stripe.Customer } | null {
  const s = app.store.get('billing_portal.session', id) as PortalSession | null;
  if (!s) return null;
  const conf = app.store.get('billing_portal.configuration', String(s.configuration)) as Conf | null;
  const customer = app.store.get('customer', String(s.customer)) as Stripe.Customer | null;
  if (!conf || !customer) return null;
  return { s, conf, customer };
}

/** Lists in configuration features may arrive as wire objects ({ '0': …, '1': … }) — read both. */
function asArray<T>(v: T[] | Record<string, T> | null | undefined): T[] {
  if (!v) return [];
  return Array.isArray(v)
    ? v
    : Object.keys(v)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => v[k]!);
}

function confProducts(conf: Conf): { product: string; prices: string[] }[] {
  return asArray(conf.features.subscription_update.products as unknown as Record<string, { product: string; prices: string[] }>).map(
    (p) => ({
      product: p.product,
      prices: asArray(p.prices as unknown as Record<string, string>),
    }),
  );
}

function itemOf(sub: Stripe.Subscription): Stripe.SubscriptionItem | null {
  return sub.items?.data?.[0] ?? null;
}

function priceOf(app: EmulatorApp, item: Stripe.SubscriptionItem | null): Stripe.Price | null {
  if (!item) return null;
  const p = item.price as Stripe.Price | string;
  return typeof p === 'string' ? (app.store.get('price', p) as Stripe.Price | null) : p;
}

function productName(app: EmulatorApp, price: Stripe.Price | null): string {
  if (!price) return 'Subscription';
  const prod =
    typeof price.product === 'string'
      ? (app.store.get('product', price.product) as Stripe.Product | null)
      : (price.product as Stripe.Product);
  return prod?.name ?? price.nickname ?? 'Subscription';
}

function statusPill(sub: Stripe.Subscription): Html {
  if (sub.cancel_at_period_end || sub.cancel_at)
    return html`<span class="pill orange">Cancels ${date(sub.cancel_at ?? itemOf(sub)?.current_period_end)}</span>`;
  const map: Record<string, [string, string]> = {
    active: ['green', 'Active'],
    trialing: ['', 'Trial'],
    past_due: ['red', 'Past due'],
    unpaid: ['red', 'Unpaid'],
    incomplete: ['orange', 'Incomplete'],
    paused: ['', 'Paused'],
  };
  const [cls, label] = map[sub.status] ?? ['', sub.status];
  return html`<span class="pill ${cls}">${label}</span>`;
}

function brandBadge(brand: string): Html {
  return html`<span class="brand ${brand}">${brand === 'american_express' ? 'amex' : brand}</span>`;
}

export function registerPortalPages(app: EmulatorApp): void {
  const notFound = () =>
    RawResponse.html(
      page(
        'Billing portal',
        html`<main class="center">
          <div class="card">
            <h1>This link has expired</h1>
            <p class="muted">Return to the merchant's website to open the billing portal again.</p>
          </div>
        </main>`,
      ),
      404,
    );

  app.route({
    method: 'GET',
    path: '/portal/:id',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, _p, req) => {
      const found = load(app, req.pathParams.id!);
      if (!found) return notFound();
      const { s, conf, customer } = found;
      const base = `/portal/${encodeURIComponent(s.id)}`;
      const f = conf.features;
      const subsR = await callApi<Stripe.ApiList<Stripe.Subscription>>(app, 'GET', '/v1/subscriptions', {
        customer: customer.id,
        status: 'all',
        limit: 20,
      });
      const subs = subsR.ok ? subsR.body.data.filter((x) => LIVE.includes(x.status)) : [];
      const invR = f.invoice_history.enabled
        ? await callApi<Stripe.ApiList<Stripe.Invoice>>(app, 'GET', '/v1/invoices', { customer: customer.id, limit: 12 })
        : null;
      const invoices = invR && invR.ok ? invR.body.data.filter((i) => i.status !== 'draft') : [];
      const pmId = customer.invoice_settings?.default_payment_method;
      let pm = typeof pmId === 'string' ? (app.store.get('payment_method', pmId) as Stripe.PaymentMethod | null) : null;
      if (!pm) {
        const pms = await callApi<Stripe.ApiList<Stripe.PaymentMethod>>(app, 'GET', `/v1/customers/${customer.id}/payment_methods`, {
          limit: 1,
        });
        pm = pms.ok ? (pms.body.data[0] ?? null) : null;
      }

      const view =
        req.query.get('view') ??
        (s.flow?.type === 'subscription_cancel'
          ? 'cancel'
          : s.flow?.type === 'payment_method_update'
            ? 'payment-method'
            : s.flow?.type === 'subscription_update'
              ? 'update'
              : '');
      const subId =
        req.query.get('subscription') ??
        s.flow?.subscription_cancel?.subscription ??
        s.flow?.subscription_update?.subscription ??
        subs[0]?.id ??
        '';
      const sub = subs.find((x) => x.id === subId) ?? null;
      const notice = req.query.get('notice');
      const error = req.query.get('error');

      let main: Html;
      if (view === 'cancel' && sub && f.subscription_cancel.enabled) {
        const end = itemOf(sub)?.current_period_end;
        const immediate = f.subscription_cancel.mode === 'immediately';
        const reasons = f.subscription_cancel.cancellation_reason;
        main = html`<h2>Cancel your subscription</h2>
          <div class="card">
            <p>
              ${
                immediate
                  ? html`Your subscription to <strong>${productName(app, priceOf(app, itemOf(sub)))}</strong> will be canceled immediately.`
                  : html`Your subscription to <strong>${productName(app, priceOf(app, itemOf(sub)))}</strong> will be canceled, but is still
                      available until the end of your billing period on <strong>${date(end)}</strong>.`
              }
            </p>
            <p class="muted">If you change your mind, you can renew your subscription${immediate ? '' : ' before then'}.</p>
            <form method="post" action="${base}/cancel" class="stack">
              <input type="hidden" name="subscription" value="${sub.id}" />
              ${
                reasons?.enabled
                  ? html`<div class="field">
                      <label class="lbl" for="reason">Why are you canceling? (optional)</label>
                      <select id="reason" name="feedback" class="txt">
                        <option value="">Choose a reason</option>
                        ${asArray(reasons.options as unknown as Record<string, string>).map((o) => html`<option value="${o}">${o.replace(/_/g, ' ')}</option>`)}
                      </select>
                    </div>`
                  : ''
              }
              <div class="row" style="justify-content:flex-start">
                <button class="btn danger" type="submit">Cancel subscription</button><a class="btn secondary" href="${base}">Go back</a>
              </div>
            </form>
          </div>`;
      } else if (view === 'update' && sub && f.subscription_update.enabled) {
        const current = priceOf(app, itemOf(sub));
        const options: Stripe.Price[] = [];
        for (const prod of confProducts(conf)) {
          for (const pid of prod.prices) {
            const pr = app.store.get('price', pid) as Stripe.Price | null;
            if (pr && pr.active) options.push(pr);
          }
        }
        main = html`<h2>Update your plan</h2>
          <div class="card">
            ${
              options.length
                ? options.map((pr) => {
                    const isCurrent = current?.id === pr.id;
                    return html`<div class="plan ${isCurrent ? 'current' : ''}">
                      <div>
                        <div style="font-weight:600">${productName(app, pr)}</div>
                        <div class="muted">${money(pr.unit_amount ?? 0, pr.currency)} ${interval(pr.recurring)}</div>
                      </div>
                      ${
                        isCurrent
                          ? html`<span class="pill">Current plan</span>`
                          : html`<form method="post" action="${base}/update">
                              <input type="hidden" name="subscription" value="${sub.id}" /><input
                                type="hidden"
                                name="price"
                                value="${pr.id}"
                              />
                              <button class="btn small" type="submit" aria-label="${`Select ${productName(app, pr)}`}">Select</button>
                            </form>`
                      }
                    </div>`;
                  })
                : html`<p class="muted">There are no other plans available.</p>`
            }
          </div>
          <a href="${base}">← Go back</a>`;
      } else if (view === 'payment-method' && f.payment_method_update.enabled) {
        main = html`<h2>Add payment method</h2>
          <div class="card">
            <form id="pm-form" novalidate>
              <div class="field"><div id="payment-element"></div></div>
              <div class="msg error" id="error" role="alert"></div>
              <div class="row" style="justify-content:flex-start">
                <button class="btn" id="pm-submit" type="submit"><span class="spinner" aria-hidden="true"></span>Add</button
                ><a class="btn secondary" href="${base}">Cancel</a>
              </div>
            </form>
          </div>
          <script src="/js/stripe.js"></script>
          <script>
            window.__portal = ${jsonScript({ pk: HOSTED_PK, id: s.id })};
          </script>
          <script>
            ${raw(PM_SCRIPT)};
          </script>`;
      } else {
        const subCards = subs.length
          ? subs.map((x) => {
              const item = itemOf(x);
              const pr = priceOf(app, item);
              const canceling = x.cancel_at_period_end || !!x.cancel_at;
              return html`<div class="card" data-subscription="${x.id}">
                <div class="row">
                  <div>
                    <div style="font-size:18px;font-weight:600">${productName(app, pr)}</div>
                    <div class="big" style="font-size:26px">
                      ${pr ? money((pr.unit_amount ?? 0) * (item?.quantity ?? 1), pr.currency) : ''}
                      <small>${interval(pr?.recurring)}</small>
                    </div>
                  </div>
                  ${statusPill(x)}
                </div>
                <p class="muted" style="margin:6px 0 14px">
                  ${
                    canceling
                      ? `Your plan will be canceled on ${date(x.cancel_at ?? item?.current_period_end)}.`
                      : x.status === 'trialing'
                        ? `Your trial ends on ${date(x.trial_end)}.`
                        : `Your plan renews on ${date(item?.current_period_end)}.`
                  }
                </p>
                <div class="row" style="justify-content:flex-start">
                  ${f.subscription_update.enabled && !canceling ? html`<a class="btn" href="${`${base}?view=update&subscription=${x.id}`}">Update plan</a>` : ''}
                  ${f.subscription_cancel.enabled && !canceling ? html`<a class="btn secondary" href="${`${base}?view=cancel&subscription=${x.id}`}">Cancel plan</a>` : ''}
                  ${canceling && x.cancel_at_period_end ? html`<form method="post" action="${base}/renew"><input type="hidden" name="subscription" value="${x.id}" /><button class="btn" type="submit">Renew plan</button></form>` : ''}
                </div>
              </div>`;
            })
          : html`<div class="card"><p class="muted" style="margin:0">You have no active subscriptions.</p></div>`;
        const pmBlock =
          f.payment_method_update.enabled || pm
            ? html`<h3>Payment method</h3>
                <div class="card">
                  <div class="row">
                    ${
                      pm?.card
                        ? html`<div class="pm">
                            ${brandBadge(pm.card.brand)}<span>•••• ${pm.card.last4}</span
                            ><span class="muted">Expires ${String(pm.card.exp_month).padStart(2, '0')}/${pm.card.exp_year}</span
                            ><span class="pill">Default</span>
                          </div>`
                        : html`<span class="muted">No payment method on file.</span>`
                    }${f.payment_method_update.enabled ? html`<a class="btn secondary small" href="${`${base}?view=payment-method`}">${pm ? 'Update payment method' : 'Add payment method'}</a>` : ''}
                  </div>
                </div>`
            : '';
        const billing = html`<h3>Billing information</h3>
          <div class="card">
            <div class="stack">
              <div class="row"><span class="muted">Name</span><span>${customer.name ?? '—'}</span></div>
              <div class="row"><span class="muted">Email</span><span>${customer.email ?? '—'}</span></div>
            </div>
          </div>`;
        const history = f.invoice_history.enabled
          ? html`<h3>Invoice history</h3>
              <div class="card">
                ${
                  invoices.length
                    ? html`<div class="scroll-x" tabindex="0" role="region" aria-label="Invoice history">
                        <table class="tbl">
                          <thead>
                            <tr>
                              <th>Date</th>
                              <th>Amount</th>
                              <th>Status</th>
                              <th class="r"><span class="sr-only">Invoice</span></th>
                            </tr>
                          </thead>
                          <tbody>
                            ${invoices.map(
                              (i) =>
                                html`<tr>
                                  <td>${date(i.status_transitions?.finalized_at ?? i.created)}</td>
                                  <td>${money(i.total, i.currency)}</td>
                                  <td>
                                    <span class="pill ${i.status === 'paid' ? 'green' : i.status === 'open' ? 'orange' : ''}"
                                      >${i.status === 'paid' ? 'Paid' : i.status === 'open' ? 'Open' : i.status === 'void' ? 'Void' : i.status === 'uncollectible' ? 'Uncollectible' : i.status}</span
                                    >
                                  </td>
                                  <td class="r">${i.hosted_invoice_url ? html`<a href="${i.hosted_invoice_url}">View</a>` : ''}</td>
                                </tr>`,
                            )}
                          </tbody>
                        </table>
                      </div>`
                    : html`<p class="muted" style="margin:0">No invoices yet.</p>`
                }
              </div>`
          : '';
        main = html`<h3>Current plan</h3>
          ${subCards}${pmBlock}${billing}${history}`;
      }

      const body = html`<div class="portal">
        <div class="left">
          <div class="merchant">
            <span class="logo" aria-hidden="true">${businessName().slice(0, 1)}</span><span>${businessName()}</span
            ><span class="testbadge">Test mode</span>
          </div>
          <p class="muted">${conf.business_profile?.headline ?? `${businessName()} partners with Stripe for simplified billing.`}</p>
          <p style="margin-top:28px"><a href="${s.return_url ?? '#'}" id="return-link">← Return to ${businessName()}</a></p>
          <div class="footer" style="margin-top:60px"><span>Powered by the Stripe emulator</span></div>
        </div>
        <main class="right">
          <h1>Billing</h1>
          <div aria-live="polite">${notice ? html`<div class="msg ok" role="status">${notice}</div>` : ''}</div>
          ${error ? html`<div class="msg error" role="alert">${error}</div>` : ''} ${main}
        </main>
      </div>`;
      return RawResponse.html(page(`${businessName()} — Billing`, body));
    },
  });

  /** After an action: the flow's after_completion redirect, else back to the portal home with a notice. */
  const done = (s: PortalSession, notice: string): RawResponse => {
    const ac = s.flow?.after_completion;
    if (ac?.type === 'redirect' && ac.redirect?.return_url) return RawResponse.redirect(ac.redirect.return_url);
    return RawResponse.redirect(`/portal/${encodeURIComponent(s.id)}?notice=${encodeURIComponent(notice)}`);
  };
  const fail = (s: PortalSession, message: string): RawResponse =>
    RawResponse.redirect(`/portal/${encodeURIComponent(s.id)}?error=${encodeURIComponent(message)}`);

  const ownSub = (app: EmulatorApp, customer: Stripe.Customer, id: string): Stripe.Subscription | null => {
    const sub = app.store.get('subscription', id) as Stripe.Subscription | null;
    return sub && sub.customer === customer.id ? sub : null;
  };

  app.route({
    method: 'POST',
    path: '/portal/:id/cancel',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const found = load(app, req.pathParams.id!);
      if (!found) return notFound();
      const { s, conf, customer } = found;
      const raw = params as Record<string, string>;
      const sub = ownSub(app, customer, raw.subscription ?? '');
      if (!sub || !conf.features.subscription_cancel.enabled) return fail(s, 'This subscription cannot be canceled here.');
      const details: Record<string, string> = {};
      if (raw.feedback) details.feedback = raw.feedback;
      const c = conf.features.subscription_cancel;
      const r =
        c.mode === 'immediately'
          ? await callApi(app, 'DELETE', `/v1/subscriptions/${sub.id}`, {
              prorate: c.proration_behavior === 'create_prorations',
              ...(raw.feedback ? { cancellation_details: details } : {}),
            })
          : await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, {
              cancel_at_period_end: true,
              ...(raw.feedback ? { cancellation_details: details } : {}),
            });
      if (!r.ok) return fail(s, r.error.message);
      return done(
        s,
        c.mode === 'immediately'
          ? 'Your subscription has been canceled.'
          : 'Your subscription has been canceled. It stays available until the end of the billing period.',
      );
    },
  });

  app.route({
    method: 'POST',
    path: '/portal/:id/renew',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const found = load(app, req.pathParams.id!);
      if (!found) return notFound();
      const { s, customer } = found;
      const sub = ownSub(app, customer, (params as Record<string, string>).subscription ?? '');
      if (!sub) return fail(s, 'Subscription not found.');
      const r = await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, { cancel_at_period_end: false });
      if (!r.ok) return fail(s, r.error.message);
      return done(s, 'Your subscription has been renewed.');
    },
  });

  app.route({
    method: 'POST',
    path: '/portal/:id/update',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const found = load(app, req.pathParams.id!);
      if (!found) return notFound();
      const { s, conf, customer } = found;
      const raw = params as Record<string, string>;
      const sub = ownSub(app, customer, raw.subscription ?? '');
      const u = conf.features.subscription_update;
      const allowed = confProducts(conf).some((p) => p.prices.includes(raw.price ?? ''));
      const item = sub ? itemOf(sub) : null;
      if (!sub || !item || !u.enabled || !allowed) return fail(s, 'This plan change is not available.');
      const r = await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, {
        items: [{ id: item.id, price: raw.price }],
        proration_behavior: u.proration_behavior ?? 'create_prorations',
      });
      if (!r.ok) return fail(s, r.error.message);
      return done(s, 'Your plan has been updated.');
    },
  });

  app.route({
    method: 'POST',
    path: '/portal/:id/payment-method',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const found = load(app, req.pathParams.id!);
      if (!found) return RawResponse.json({ error: { message: 'This portal session has expired.' } });
      const { s, conf, customer } = found;
      const pmId = String((params as Record<string, unknown>).payment_method ?? '');
      if (!conf.features.payment_method_update.enabled || !pmId.startsWith('pm_'))
        return RawResponse.json({ error: { message: 'Payment method updates are not available.' } });
      const attached = await callApi(app, 'POST', `/v1/payment_methods/${encodeURIComponent(pmId)}/attach`, { customer: customer.id });
      if (!attached.ok)
        return RawResponse.json({
          error: { message: attached.error.message, code: attached.error.code, decline_code: attached.error.decline_code },
        });
      const r = await callApi(app, 'POST', `/v1/customers/${customer.id}`, { invoice_settings: { default_payment_method: pmId } });
      if (!r.ok) return RawResponse.json({ error: { message: r.error.message } });
      // subscriptions that carry their own default payment method follow the new card, as in Stripe's portal
      const subs = await callApi<Stripe.ApiList<Stripe.Subscription>>(app, 'GET', '/v1/subscriptions', {
        customer: customer.id,
        limit: 100,
      });
      if (subs.ok)
        for (const sub of subs.body.data)
          if (sub.default_payment_method) await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, { default_payment_method: pmId });
      const d = done(s, 'Your payment method has been updated.');
      return RawResponse.json({ redirect: d.headers.Location });
    },
  });
}

const PM_SCRIPT = `
(function () {
  var cfg = window.__portal
  var stripe = Stripe(cfg.pk)
  var elements = stripe.elements({ mode: 'setup', currency: 'usd', appearance: { theme: 'stripe', variables: { colorPrimary: '#635bff', borderRadius: '6px' } } })
  elements.create('payment').mount('#payment-element')
  var form = document.getElementById('pm-form')
  var btn = document.getElementById('pm-submit')
  var err = document.getElementById('error')
  form.addEventListener('submit', function (e) {
    e.preventDefault()
    err.textContent = ''
    btn.disabled = true; btn.classList.add('busy')
    function stop(msg) { if (msg) err.textContent = msg; btn.disabled = false; btn.classList.remove('busy') }
    elements.submit().then(function (r) {
      if (r.error) return stop()
      return stripe.createPaymentMethod({ elements: elements }).then(function (res) {
        if (res.error) return stop(res.error.message)
        return fetch('/portal/' + encodeURIComponent(cfg.id) + '/payment-method', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_method: res.paymentMethod.id }) })
          .then(function (x) { return x.json() })
          .then(function (out) { if (out.error) return stop(out.error.message); window.location.assign(out.redirect) })
      })
    }).catch(function (e) { stop(String(e && e.message || e)) })
  })
})()
`;
