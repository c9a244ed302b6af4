/**
 * The 3D Secure test page at /3ds/:intentId, like Stripe's "3D Secure 2 Test Page": "Complete" and
 * "Fail". Shown in a modal iframe by stripe.js (`?modal=1&origin=…`: reports back by postMessage) or
 * as a full page after a `redirect_to_url` next action (redirects to the intent's return_url).
 */
import type Stripe from 'stripe';
import { RawResponse, type EmulatorApp } from '../core';
import { html, jsonScript, money, page } from './html';
import { callApi } from './internal-api';

type Intent = Stripe.PaymentIntent | Stripe.SetupIntent;

function loadIntent(app: EmulatorApp, id: string): Intent | null {
  if (id.startsWith('pi_')) return app.store.get('payment_intent', id);
  if (id.startsWith('seti_')) return app.store.get('setup_intent', id);
  return null;
}

function safeOrigin(v: string | null): string | null {
  if (!v) return null;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

function shell(body: ReturnType<typeof html>): string {
  return page(
    '3D Secure authentication',
    html`<div class="tds">
      <header class="tds-head"><span class="tds-title">3D Secure 2 Test Page</span><span class="testbadge">Test mode</span></header>
      <main class="tds-main">${body}</main>
    </div>`,
    {
      head: html`<style>
        body {
          background: #fff;
        }
        .tds {
          display: flex;
          flex-direction: column;
          min-height: 100vh;
        }
        .tds-head {
          display: flex;
          align-items: center;
          justify-content: space-between;
          padding: 14px 20px;
          border-bottom: 1px solid var(--border);
          background: var(--bg);
        }
        .tds-title {
          font-weight: 600;
        }
        .tds-main {
          flex: 1;
          display: flex;
          flex-direction: column;
          justify-content: center;
          padding: 28px 28px 36px;
          max-width: 460px;
          margin: 0 auto;
          width: 100%;
        }
        .tds-main p {
          color: var(--muted);
          margin: 0 0 18px;
        }
        .tds-amount {
          font-size: 15px;
          margin: 0 0 22px;
          padding: 12px 14px;
          border: 1px solid var(--border);
          border-radius: 6px;
          display: flex;
          justify-content: space-between;
        }
        .tds-buttons {
          display: flex;
          gap: 12px;
        }
        .tds-buttons .btn {
          flex: 1;
          padding: 12px 16px;
        }
        .btn.complete {
          background: #0e6245;
        }
        .btn.fail {
          background: #fff;
          color: var(--danger);
          border-color: #f3b7c2;
        }
      </style>`,
    },
  );
}

export function registerThreeDs(app: EmulatorApp): void {
  app.route({
    method: 'GET',
    path: '/3ds/:id',
    auth: 'none',
    transaction: false,
    handler: (_ctx, _params, req) => {
      const id = req.pathParams.id!;
      const intent = loadIntent(app, id);
      const cs = req.query.get('client_secret') ?? '';
      if (!intent || !cs || cs !== intent.client_secret)
        return RawResponse.html(
          shell(
            html`<h1>Authentication unavailable</h1>
              <p>This authentication request is invalid or has expired.</p>`,
          ),
          404,
        );
      const modal = req.query.get('modal') === '1';
      const origin = safeOrigin(req.query.get('origin'));
      if (intent.status !== 'requires_action')
        return RawResponse.html(
          shell(
            html`<h1>Nothing to authenticate</h1>
              <p>This payment is not waiting for authentication (status: ${intent.status}).</p>
              ${modal && origin ? doneScript(origin, 'none') : ''}`,
          ),
        );
      const pi = intent.object === 'payment_intent' ? (intent as Stripe.PaymentIntent) : null;
      const what = pi
        ? html`<div class="tds-amount"><span>Amount</span><strong>${money(pi.amount, pi.currency)}</strong></div>`
        : html`<div class="tds-amount"><span>Save card for future payments</span><strong>Setup</strong></div>`;
      const form = (outcome: 'complete' | 'fail', label: string, cls: string) =>
        html`<form method="post" action="${`/3ds/${encodeURIComponent(id)}`}" style="flex:1;display:flex">
          <input type="hidden" name="outcome" value="${outcome}" /><input type="hidden" name="client_secret" value="${cs}" />
          ${modal ? html`<input type="hidden" name="modal" value="1" />` : ''}${origin ? html`<input type="hidden" name="origin" value="${origin}" />` : ''}
          <button type="submit" class="btn ${cls}" style="flex:1">${label}</button>
        </form>`;
      return RawResponse.html(
        shell(
          html`<h1>Authenticate this ${pi ? 'payment' : 'card'}</h1>
            <p>
              This is a test page for 3D Secure authentication. In live mode the cardholder's bank would ask them to confirm. Choose
              <strong>Complete</strong> to authenticate or <strong>Fail</strong> to decline authentication.
            </p>
            ${what}
            <div class="tds-buttons">${form('fail', 'Fail', 'fail')}${form('complete', 'Complete', 'complete')}</div>`,
        ),
      );
    },
  });

  app.route({
    method: 'POST',
    path: '/3ds/:id',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, params, req) => {
      const raw = params as Record<string, unknown>;
      const id = req.pathParams.id!;
      const intent = loadIntent(app, id);
      const cs = String(raw.client_secret ?? '');
      const outcome = raw.outcome === 'fail' ? 'fail' : 'complete';
      const modal = raw.modal === '1';
      const origin = safeOrigin(typeof raw.origin === 'string' ? raw.origin : null);
      if (!intent || cs !== intent.client_secret)
        return RawResponse.html(
          shell(
            html`<h1>Authentication unavailable</h1>
              <p>This authentication request is invalid or has expired.</p>`,
          ),
          404,
        );
      let returnUrl: string | null = null;
      if (intent.status === 'requires_action') {
        const r = await callApi<{ return_url: string | null }>(app, 'POST', `/_emulator/3ds/${encodeURIComponent(id)}`, { outcome });
        if (!r.ok)
          return RawResponse.html(
            shell(
              html`<h1>Authentication failed</h1>
                <p>${r.error.message}</p>`,
            ),
            r.error.status,
          );
        returnUrl = r.body.return_url;
      }
      if (modal && origin)
        return RawResponse.html(
          shell(
            html`<h1>${outcome === 'complete' ? 'Authentication complete' : 'Authentication failed'}</h1>
              <p>Returning to the merchant…</p>
              ${doneScript(origin, outcome)}`,
          ),
        );
      if (returnUrl) return RawResponse.redirect(returnUrl);
      return RawResponse.html(
        shell(
          html`<h1>${outcome === 'complete' ? 'Authentication complete' : 'Authentication failed'}</h1>
            <p>You can close this window.</p>`,
        ),
      );
    },
  });
}

function doneScript(origin: string, outcome: string) {
  return html`<script>
    window.parent.postMessage({ __stripeEmu3ds: true, outcome: ${jsonScript(outcome)} }, ${jsonScript(origin)});
  </script>`;
}
