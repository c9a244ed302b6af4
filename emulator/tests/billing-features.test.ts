/** Billing features through the official SDK (emulator or real Stripe with STRIPE_TEST_SECRET_KEY). */
import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { PDFDocument } from 'pdf-lib';
import { advanceTestClock, setupContract } from './helpers';

const t = setupContract();
const DAY = 86400;

async function setup(s: Stripe, opts: { clock?: boolean; card?: string } = {}) {
  const frozen = Math.floor(Date.UTC(2027, 5, 1) / 1000);
  const clock = opts.clock ? await s.testHelpers.testClocks.create({ frozen_time: frozen }) : null;
  const customer = await s.customers.create({ email: 'f@example.com', ...(clock ? { test_clock: clock.id } : {}) });
  if (opts.card) {
    const pm = await s.paymentMethods.attach(opts.card, { customer: customer.id });
    await s.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  }
  const product = await s.products.create({ name: 'Team plan' });
  const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
  return { clock, customer, product, price, frozen };
}

describe('billing: incomplete subscriptions', () => {
  it('default_incomplete exposes confirmation_secret; confirming the PaymentIntent activates it', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const sub = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      payment_settings: { save_default_payment_method: 'on_subscription' },
      expand: ['latest_invoice.confirmation_secret', 'latest_invoice.payments'],
    });
    expect(sub.status).toBe('incomplete');
    const inv = sub.latest_invoice as Stripe.Invoice;
    expect(inv.status).toBe('open');
    expect(inv.hosted_invoice_url).toBeTruthy();
    expect(inv.confirmation_secret?.type).toBe('payment_intent');
    const secret = inv.confirmation_secret!.client_secret;
    const piId = secret.split('_secret_')[0];
    expect(inv.payments?.data[0]?.payment.payment_intent).toBe(piId);
    // not included unless expanded
    const plain = await s.invoices.retrieve(inv.id);
    expect(plain.confirmation_secret).toBeUndefined();
    expect(plain.payments).toBeUndefined();

    const pi = await s.paymentIntents.confirm(piId, { payment_method: 'pm_card_visa', return_url: 'https://example.com/return' });
    expect(pi.status).toBe('succeeded');
    const after = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(after.status).toBe('active');
    expect((after.latest_invoice as Stripe.Invoice).status).toBe('paid');
    expect((after.latest_invoice as Stripe.Invoice).payments).toBeUndefined();
    expect(after.default_payment_method).toBe(pi.payment_method);
    // nor in events; a list brings them back when asked
    const paidEvent = (await s.events.list({ type: 'invoice.paid', limit: 100 })).data.find(
      (e) => (e.data.object as Stripe.Invoice).id === inv.id,
    );
    expect(paidEvent).toBeDefined();
    expect((paidEvent!.data.object as Stripe.Invoice).payments).toBeUndefined();
    const listed = await s.invoices.list({ customer: customer.id, expand: ['data.payments'] });
    expect(listed.data.find((i) => i.id === inv.id)?.payments?.data[0]?.status).toBe('paid');
  });

  t.emulatorOnly('an unpaid first invoice expires the subscription after 23 hours', async () => {
    const s = t.stripe;
    const { customer, price, clock, frozen } = await setup(s, { clock: true });
    const sub = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    expect(sub.status).toBe('incomplete');
    await advanceTestClock(s, clock!.id, frozen + 22 * 3600);
    expect((await s.subscriptions.retrieve(sub.id)).status).toBe('incomplete');
    await advanceTestClock(s, clock!.id, frozen + 23 * 3600 + 1);
    const expired = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(expired.status).toBe('incomplete_expired');
    expect((expired.latest_invoice as Stripe.Invoice).status).toBe('void');
  });

  it('error_if_incomplete with a declining card is a 402 and creates nothing usable', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s, { card: 'pm_card_chargeCustomerFail' });
    await expect(
      s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'error_if_incomplete' }),
    ).rejects.toMatchObject({ type: 'StripeCardError' });
  });

  it('rejects unknown params', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    await expect(
      s.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        bogus: 1,
      } as unknown as Stripe.SubscriptionCreateParams),
    ).rejects.toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'bogus' });
  });
});

describe('billing: previews, prorations and coupons', () => {
  t.emulatorOnly("a preview has no payments: none unless expanded, then an empty list (the emulator's choice)", async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s, { card: 'pm_card_visa' });
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect((await s.invoices.createPreview({ subscription: sub.id })).payments).toBeUndefined();
    const expanded = await s.invoices.createPreview({ subscription: sub.id, expand: ['payments'] });
    expect(expanded.payments).toMatchObject({ object: 'list', data: [], has_more: false });
  });

  it('createPreview with create_prorations equals the next real renewal invoice', async () => {
    const s = t.stripe;
    const { customer, price, product, clock, frozen } = await setup(s, { clock: true, card: 'pm_card_visa' });
    const bigger = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 5000, recurring: { interval: 'month' } });
    let sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 2 }] });
    expect(sub.status).toBe('active');
    // 1 Jun → 1 Jul = 30 days. Change on 11 Jun (20 days left), quantity 2 → 3 and price 2000 → 5000
    const at = frozen + 10 * DAY;
    await advanceTestClock(s, clock!.id, at);
    const items = [{ id: sub.items.data[0].id, price: bigger.id, quantity: 3 }];
    const preview = await s.invoices.createPreview({
      subscription: sub.id,
      subscription_details: { items, proration_behavior: 'create_prorations', proration_date: at },
    });
    // credit −round(2000×2×20/30) = −2667, debit round(5000×3×20/30) = 10000, next period 15000
    expect(preview.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-2667, 10000, 15000]);
    expect(preview.total).toBe(22333);
    sub = await s.subscriptions.update(sub.id, { items, proration_behavior: 'create_prorations', proration_date: at });
    const pending = await s.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data.map((i) => i.amount).sort((a, b) => a - b)).toEqual([-2667, 10000]);
    await advanceTestClock(s, clock!.id, frozen + 30 * DAY + 60);
    sub = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    const real = sub.latest_invoice as Stripe.Invoice;
    expect(real.total).toBe(preview.total);
    expect(real.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-2667, 10000, 15000]);
    expect(real.status).toBe('paid');
  });

  it('coupons through promotion codes: percent forever and amount once', async () => {
    const s = t.stripe;
    const { customer, price, clock, frozen } = await setup(s, { clock: true, card: 'pm_card_visa' });
    const pct = await s.coupons.create({ percent_off: 25, duration: 'forever' });
    const promo = await s.promotionCodes.create({ promotion: { type: 'coupon', coupon: pct.id }, code: `SAVE25${Date.now() % 100000}` });
    const flat = await s.coupons.create({ amount_off: 300, currency: 'usd', duration: 'once' });
    const sub = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      discounts: [{ promotion_code: promo.id }, { coupon: flat.id }],
      expand: ['latest_invoice'],
    });
    const first = sub.latest_invoice as Stripe.Invoice;
    // 2000 − 25% (500) − 300 = 1200
    expect(first.subtotal).toBe(2000);
    expect(first.total).toBe(1200);
    expect(first.total_discount_amounts?.map((d) => d.amount)).toEqual([500, 300]);
    expect(first.amount_paid).toBe(1200);
    await advanceTestClock(s, clock!.id, frozen + 30 * DAY + 60);
    const second = (await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] })).latest_invoice as Stripe.Invoice;
    // the `once` coupon is gone, the forever one stays: 2000 − 500
    expect(second.total).toBe(1500);
    expect((await s.promotionCodes.retrieve(promo.id)).times_redeemed).toBe(1);
    expect((await s.coupons.retrieve(flat.id)).times_redeemed).toBe(1);
  });

  it('invoice PDF is a real PDF', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s, { card: 'pm_card_visa' });
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], expand: ['latest_invoice'] });
    const inv = sub.latest_invoice as Stripe.Invoice;
    expect(inv.invoice_pdf).toBeTruthy();
    expect(inv.number).toMatch(/-0001$/);
    const res = await fetch(inv.invoice_pdf!);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.slice(0, 5)).toString()).toBe('%PDF-');
    if (!t.real) {
      expect(res.headers.get('content-type')).toBe('application/pdf');
      const doc = await PDFDocument.load(bytes);
      expect(doc.getPageCount()).toBeGreaterThanOrEqual(1);
    }
  });

  it('cancel now with prorate credits unused time; invoices void and list filters', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s, { card: 'pm_card_visa' });
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const canceled = await s.subscriptions.cancel(sub.id, { prorate: true });
    expect(canceled.status).toBe('canceled');
    const credits = await s.invoiceItems.list({ customer: customer.id, pending: true });
    expect(credits.data.length).toBe(1);
    expect(credits.data[0].amount).toBeLessThan(0);
    expect(credits.data[0].amount).toBeGreaterThanOrEqual(-2000);
    const paid = await s.invoices.list({ customer: customer.id, status: 'paid' });
    expect(paid.data.length).toBe(1);
    const draft = await s.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'exclude' });
    await s.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1234, currency: 'usd', description: 'Setup fee' });
    const fin = await s.invoices.finalizeInvoice(draft.id);
    expect(fin.status).toBe('open');
    expect(fin.amount_due).toBe(1234);
    const voided = await s.invoices.voidInvoice(fin.id);
    expect(voided.status).toBe('void');
  });
});

describe('billing: meters', () => {
  it('meter events dedupe by identifier and summarize by day; usage is billed at period end', async () => {
    const s = t.stripe;
    const { customer, product } = await setup(s, { clock: true, card: 'pm_card_visa' });
    const eventName = `api_calls_${Date.now()}`;
    const meter = await s.billing.meters.create({
      display_name: 'API calls',
      event_name: eventName,
      default_aggregation: { formula: 'sum' },
    });
    const metered = await s.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 5,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: metered.id }] });
    expect(sub.status).toBe('active');

    if (t.real) return;
    // meter events use the emulator's global clock for validation; send them with explicit timestamps
    const now = Math.floor(Date.now() / 1000);
    const dayStart = now - (now % DAY) - DAY;
    await s.billing.meterEvents.create({
      event_name: eventName,
      payload: { stripe_customer_id: customer.id, value: '7' },
      identifier: 'evt-a',
      timestamp: dayStart + 10,
    });
    await s.billing.meterEvents.create({
      event_name: eventName,
      payload: { stripe_customer_id: customer.id, value: '5' },
      identifier: 'evt-b',
      timestamp: dayStart + DAY + 10,
    });
    await expect(
      s.billing.meterEvents.create({
        event_name: eventName,
        payload: { stripe_customer_id: customer.id, value: '5' },
        identifier: 'evt-b',
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      s.billing.meterEvents.create({
        event_name: eventName,
        payload: { stripe_customer_id: customer.id, value: '1' },
        timestamp: now - 40 * DAY,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' });
    const summaries = await s.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: dayStart,
      end_time: dayStart + 2 * DAY,
      value_grouping_window: 'day',
    });
    expect(summaries.data.map((d) => d.aggregated_value)).toEqual([7, 5]);
    const total = await s.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: dayStart,
      end_time: dayStart + 2 * DAY,
    });
    expect(total.data[0].aggregated_value).toBe(12);
  });

  t.emulatorOnly('metered usage from meter events is billed at the period end (global clock)', async () => {
    const s = t.stripe;
    const { customer, product } = await setup(s, { card: 'pm_card_visa' });
    const eventName = `tokens_${Date.now()}`;
    const meter = await s.billing.meters.create({ display_name: 'Tokens', event_name: eventName, default_aggregation: { formula: 'sum' } });
    const metered = await s.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 3,
      recurring: { interval: 'day', usage_type: 'metered', meter: meter.id },
    });
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: metered.id }] });
    await s.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer.id, value: '40' } });
    await s.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer.id, value: '2' } });
    const adv = await t.control('POST', '/clock/advance', { seconds: DAY + 60 });
    expect(adv.status).toBe(200);
    const after = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    const inv = after.latest_invoice as Stripe.Invoice;
    expect(inv.billing_reason).toBe('subscription_cycle');
    // 42 units × 3¢
    expect(inv.total).toBe(126);
    expect(inv.status).toBe('paid');
  });

  t.emulatorOnly('v2 meter event session + stream', async () => {
    const s = t.stripe;
    const { customer } = await setup(s);
    const eventName = `stream_${Date.now()}`;
    const meter = await s.billing.meters.create({
      display_name: 'Stream',
      event_name: eventName,
      default_aggregation: { formula: 'count' },
    });
    const session = await s.v2.billing.meterEventSession.create();
    expect(session.authentication_token).toBeTruthy();
    const { default: StripeCtor } = await import('stripe');
    const streamClient = new StripeCtor(session.authentication_token, {
      host: '127.0.0.1',
      port: t.emu.port,
      protocol: 'http',
      telemetry: false,
    });
    await streamClient.v2.billing.meterEventStream.create({
      events: [
        { event_name: eventName, payload: { stripe_customer_id: customer.id }, identifier: 'stream-1' },
        { event_name: eventName, payload: { stripe_customer_id: customer.id }, identifier: 'stream-2' },
      ],
    });
    const now = (await t.control<{ now: number }>('GET', '/clock')).body.now;
    const sum = await s.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: now - 3600,
      end_time: now + 3600,
    });
    expect(sum.data[0].aggregated_value).toBe(2);
  });
});

describe('billing: checkout and portal', () => {
  it('checkout session object (subscription mode, hosted page)', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const cs = await s.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://example.com/ok?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://example.com/cancel',
      allow_promotion_codes: true,
      subscription_data: { trial_period_days: 7 },
    });
    expect(cs.object).toBe('checkout.session');
    expect(cs.status).toBe('open');
    expect(cs.mode).toBe('subscription');
    expect(cs.url).toMatch(/^https?:\/\//);
    expect(cs.amount_total).toBe(2000);
    const again = await s.checkout.sessions.retrieve(cs.id, { expand: ['line_items'] });
    expect(again.line_items?.data[0]?.price?.id).toBe(price.id);
    const expired = await s.checkout.sessions.expire(cs.id);
    expect(expired.status).toBe('expired');
  });

  t.emulatorOnly('completing a checkout session creates the subscription and emits checkout.session.completed', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const cs = await s.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://example.com/ok',
    });
    const pm = await s.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } } as Stripe.PaymentMethodCreateParams);
    const { app, billing } = t.emu;
    const ctx = app.makeCtx({});
    const done = app.runInTransaction(ctx, () => billing.completeCheckoutSession(ctx, cs.id, pm.id));
    expect(done.status).toBe('complete');
    const sub = await s.subscriptions.retrieve(done.subscription as string);
    expect(sub.status).toBe('active');
    const events = await s.events.list({ type: 'checkout.session.completed' });
    expect(events.data.some((e) => (e.data.object as Stripe.Checkout.Session).id === cs.id)).toBe(true);
  });

  it('send_invoice invoices get a due date from days_until_due, and need one', async () => {
    const s = t.stripe;
    const { customer } = await setup(s);
    const inv = await s.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 30 });
    expect(inv.due_date).toBe(inv.created + 30 * 86_400);
    await expect(s.invoices.create({ customer: customer.id, collection_method: 'send_invoice' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'parameter_missing',
      param: 'days_until_due',
    });
  });

  it('billing portal configuration and session', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const conf = await s.billingPortal.configurations.create({
      features: {
        invoice_history: { enabled: true },
        subscription_cancel: { enabled: true, mode: 'at_period_end' },
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          products: [{ product: price.product as string, prices: [price.id] }],
        },
      },
      business_profile: { headline: 'Billing' },
    });
    expect(conf.object).toBe('billing_portal.configuration');
    // Form-encoded arrays come back as arrays, as on Stripe.
    const again = await s.billingPortal.configurations.retrieve(conf.id);
    expect(again.features.subscription_update.default_allowed_updates).toEqual(['price']);
    expect(again.features.subscription_update.products).toEqual([expect.objectContaining({ product: price.product, prices: [price.id] })]);
    const session = await s.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'https://example.com/account',
      configuration: conf.id,
    });
    expect(session.url).toMatch(/^https?:\/\//);
    expect(session.return_url).toBe('https://example.com/account');
  });
});
