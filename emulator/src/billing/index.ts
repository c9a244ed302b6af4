/**
 * Billing: subscriptions, invoices, coupons, schedules, test clocks, meters, Checkout and the billing
 * portal. `engine/` holds the billing logic (one file per concern), `routes/` the HTTP endpoints
 * (one file per resource); `register` wires both into the emulator.
 */
import type Stripe from 'stripe';
import type { EmulatorApp } from '../core';
import { defaultSettings } from './engine/context';
import { onPaymentIntentFailed, onPaymentIntentSucceeded } from './engine/invoices';
import { onInvoicePaid, onInvoicePaymentFailed, onInvoiceVoided, onSetupIntentSucceeded } from './engine/subscriptions';
import { createRuntime, type BillingRuntime } from './runtime';
import { register as alerts } from './routes/alerts';
import { register as billingPortal } from './routes/billing-portal';
import { register as checkout, type CompleteCheckoutSession } from './routes/checkout';
import { register as coupons } from './routes/coupons';
import { register as creditGrants } from './routes/credit-grants';
import { register as creditNotes } from './routes/credit-notes';
import { register as discounts } from './routes/discounts';
import { register as invoiceItems } from './routes/invoice-items';
import { register as invoiceLines } from './routes/invoice-lines';
import { register as invoices } from './routes/invoices';
import { register as meterEventAdjustments } from './routes/meter-event-adjustments';
import { register as meters } from './routes/meters';
import { register as schedules } from './routes/schedules';
import { register as subscriptionItems } from './routes/subscription-items';
import { register as subscriptions } from './routes/subscriptions';
import { register as testClocks } from './routes/test-clocks';

export type { CompleteCheckoutSession } from './routes/checkout';

export interface BillingModule extends BillingRuntime {
  /** For the hosted Checkout page (browser/checkout.ts). */
  completeCheckoutSession: CompleteCheckoutSession;
}

export function register(app: EmulatorApp): BillingModule {
  const rt = createRuntime(app);
  const { b, within } = rt;

  // Intent outcomes reach invoices, invoice outcomes reach subscriptions: all through event hooks.
  app.onEvent('payment_intent.succeeded', (ctx, event) =>
    within(ctx, () => onPaymentIntentSucceeded(b, event.data.object as Stripe.PaymentIntent)),
  );
  app.onEvent('payment_intent.payment_failed', (ctx, event) =>
    within(ctx, () => onPaymentIntentFailed(b, event.data.object as Stripe.PaymentIntent)),
  );
  app.onEvent('setup_intent.succeeded', (ctx, event) =>
    within(ctx, () => onSetupIntentSucceeded(b, event.data.object as Stripe.SetupIntent)),
  );
  app.onEvent('invoice.paid', (ctx, event) => within(ctx, () => onInvoicePaid(b, event.data.object as Stripe.Invoice)));
  app.onEvent('invoice.payment_failed', (ctx, event) => within(ctx, () => onInvoicePaymentFailed(b, event.data.object as Stripe.Invoice)));
  app.onEvent('invoice.voided', (ctx, event) => within(ctx, () => onInvoiceVoided(b, event.data.object as Stripe.Invoice)));

  subscriptions(app, rt);
  subscriptionItems(app, rt);
  invoices(app, rt);
  invoiceItems(app, rt);
  invoiceLines(app, rt);
  creditNotes(app, rt);
  coupons(app);
  discounts(app, rt);
  schedules(app, rt);
  testClocks(app, rt);
  meters(app, rt);
  meterEventAdjustments(app, rt);
  alerts(app, rt);
  creditGrants(app, rt);
  const { completeCheckoutSession } = checkout(app, rt);
  billingPortal(app);

  // control API: what happens after failed payments
  app.route({
    method: 'POST',
    path: '/_emulator/billing/settings',
    auth: 'none',
    handler: (_ctx, params) => {
      const body = params as Record<string, unknown>;
      if (body.after_retries === 'cancel' || body.after_retries === 'unpaid' || body.after_retries === 'past_due')
        b.settings.afterRetries = body.after_retries;
      if (Array.isArray(body.retry_days)) b.settings.retryDays = body.retry_days.map(Number);
      return b.settings;
    },
  });
  app.onReset(() => {
    b.settings = defaultSettings();
  });

  return { ...rt, completeCheckoutSession };
}
