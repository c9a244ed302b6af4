/**
 * Hosted invoice page (`invoice.hosted_invoice_url` → /invoices/:id): summary, lines, PDF link
 * (the PDF itself is served by billing at /invoices/:id/pdf) and, for an open invoice, the card
 * form; paying calls `POST /v1/invoices/:id/pay { payment_method }` in-process.
 */
import type Stripe from 'stripe';
import { RawResponse, type EmulatorApp } from '../core';
import { HOSTED_PK, merchantHeader } from './checkout';
import { date, html, jsonScript, money, page, raw } from './html';
import { callApi } from './internal-api';

export function registerInvoicePages(app: EmulatorApp): void {
  app.route({
    method: 'GET',
    path: '/invoices/:id',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, _p, req) => {
      const r = await callApi<Stripe.Invoice>(app, 'GET', `/v1/invoices/${encodeURIComponent(req.pathParams.id!)}`);
      if (!r.ok || r.body.status === 'draft')
        return RawResponse.html(
          page(
            'Invoice',
            html`<main class="center">
              <div class="card">
                <h1>Invoice not found</h1>
                <p class="muted">This invoice link is invalid.</p>
              </div>
            </main>`,
          ),
          404,
        );
      const inv = r.body;
      const linesR = await callApi<Stripe.ApiList<Stripe.InvoiceLineItem>>(app, 'GET', `/v1/invoices/${inv.id}/lines`, { limit: 100 });
      const lines = linesR.ok ? linesR.body.data : [];
      const payable = inv.status === 'open' && inv.amount_remaining > 0;
      const statusText =
        inv.status === 'paid'
          ? html`<span class="pill green">Paid</span>`
          : inv.status === 'void'
            ? html`<span class="pill">Void</span>`
            : inv.status === 'uncollectible'
              ? html`<span class="pill red">Uncollectible</span>`
              : inv.due_date
                ? html`<span class="pill orange">Due ${date(inv.due_date)}</span>`
                : html`<span class="pill orange">Open</span>`;
      const body = html`<main class="split">
        <div class="left">
          <div class="col">
            ${merchantHeader(null)}
            <h1 class="muted" style="font-size:15px;font-weight:400">Invoice ${inv.number ?? inv.id}</h1>
            <div class="big" id="amount">${money(payable ? inv.amount_remaining : inv.total, inv.currency)}</div>
            <div style="margin:6px 0 20px">${statusText}</div>
            <div class="card stack">
              <div class="row"><span class="muted">Invoice number</span><span>${inv.number ?? '—'}</span></div>
              <div class="row">
                <span class="muted">Date</span><span>${date(inv.status_transitions?.finalized_at ?? inv.created)}</span>
              </div>
              ${inv.due_date ? html`<div class="row"><span class="muted">Due date</span><span>${date(inv.due_date)}</span></div>` : ''}
              <div class="row"><span class="muted">Billed to</span><span>${inv.customer_email ?? inv.customer_name ?? '—'}</span></div>
            </div>
            <div class="lines">
              ${lines.map(
                (l) =>
                  html`<div class="line">
                    <div>
                      <div class="name">${l.description ?? 'Item'}</div>
                      ${l.period && l.period.end > l.period.start ? html`<div class="sub">${date(l.period.start)} – ${date(l.period.end)}</div>` : ''}
                    </div>
                    <div>${money(l.amount, l.currency)}</div>
                  </div>`,
              )}
              <div class="subtotal"><span>Subtotal</span><span>${money(inv.subtotal, inv.currency)}</span></div>
              <div class="total">
                <span>Amount ${payable ? 'due' : inv.status === 'paid' ? 'paid' : 'total'}</span
                ><span>${money(payable ? inv.amount_remaining : inv.status === 'paid' ? inv.amount_paid : inv.total, inv.currency)}</span>
              </div>
            </div>
            ${inv.invoice_pdf ? html`<p style="margin-top:22px"><a class="btn secondary" href="${inv.invoice_pdf}">Download invoice</a></p>` : ''}
          </div>
        </div>
        <div class="right">
          <div class="col">
            ${
              payable
                ? html`<h2>Pay this invoice</h2>
                    <form id="pay-form" novalidate>
                      <div class="field"><div id="payment-element"></div></div>
                      <div class="msg error" id="error" role="alert"></div>
                      <button class="btn block" id="pay" type="submit">
                        <span class="spinner" aria-hidden="true"></span>Pay ${money(inv.amount_remaining, inv.currency)}
                      </button>
                    </form>
                    <script src="/js/stripe.js"></script>
                    <script>
                      window.__invoice = ${jsonScript({ pk: HOSTED_PK, id: inv.id, amount: inv.amount_remaining, currency: inv.currency })};
                    </script>
                    <script>
                      ${raw(PAY_SCRIPT)};
                    </script>`
                : html`<div class="card">
                    <h2>${inv.status === 'paid' ? 'Invoice paid' : 'Nothing to pay'}</h2>
                    <p class="muted" style="margin:0">
                      ${
                        inv.status === 'paid'
                          ? `Paid on ${date(inv.status_transitions?.paid_at)}. Thank you!`
                          : `This invoice is ${inv.status}.`
                      }
                    </p>
                  </div>`
            }
          </div>
        </div>
      </main>`;
      return RawResponse.html(page(`Invoice ${inv.number ?? inv.id}`, body));
    },
  });

  app.route({
    method: 'POST',
    path: '/invoices/:id/pay',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const id = req.pathParams.id!;
      const pm = String((params as Record<string, unknown>).payment_method ?? '');
      if (!pm.startsWith('pm_')) return RawResponse.json({ error: { message: 'A payment method is required.' } });
      const r = await callApi<Stripe.Invoice>(app, 'POST', `/v1/invoices/${encodeURIComponent(id)}/pay`, { payment_method: pm });
      if (!r.ok) return RawResponse.json({ error: { message: r.error.message, code: r.error.code, decline_code: r.error.decline_code } });
      return RawResponse.json({ redirect: `/invoices/${encodeURIComponent(id)}` });
    },
  });
}

const PAY_SCRIPT = `
(function () {
  var cfg = window.__invoice
  var stripe = Stripe(cfg.pk)
  var elements = stripe.elements({ mode: 'payment', amount: cfg.amount, currency: cfg.currency, appearance: { theme: 'stripe', variables: { colorPrimary: '#635bff', borderRadius: '6px' } } })
  elements.create('payment').mount('#payment-element')
  var btn = document.getElementById('pay')
  var err = document.getElementById('error')
  document.getElementById('pay-form').addEventListener('submit', function (e) {
    e.preventDefault()
    err.textContent = ''
    btn.disabled = true; btn.classList.add('busy')
    function stop(msg) { if (msg) err.textContent = msg; btn.disabled = false; btn.classList.remove('busy') }
    elements.submit().then(function (r) {
      if (r.error) return stop()
      return stripe.createPaymentMethod({ elements: elements }).then(function (res) {
        if (res.error) return stop(res.error.message)
        return fetch('/invoices/' + encodeURIComponent(cfg.id) + '/pay', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_method: res.paymentMethod.id }) })
          .then(function (x) { return x.json() })
          .then(function (out) { if (out.error) return stop(out.error.message); window.location.assign(out.redirect) })
      })
    }).catch(function (e) { stop(String(e && e.message || e)) })
  })
})()
`;
