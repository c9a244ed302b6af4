/**
 * Billing meters as Stripe has them: v1 meter events and the v2 stream de-duplicate identifiers over
 * 24 hours, event summaries add up, bad events get Stripe's errors, and a graduated tiered metered
 * price is invoiced at the period end from the meter total. Runs against Stripe test mode with
 * STRIPE_TEST_SECRET_KEY (the emulator-only parts are marked).
 */
import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { setupContract } from './helpers';

const t = setupContract();
const DAY = 86400;

async function meterFor(s: Stripe) {
  const eventName = `calls_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;
  const meter = await s.billing.meters.create({
    display_name: 'API calls',
    event_name: eventName,
    default_aggregation: { formula: 'sum' },
  });
  const customer = await s.customers.create({ email: 'meters@example.com' });
  return { eventName, meter, customer };
}

async function total(s: Stripe, meter: string, customer: string, start: number, end: number) {
  const page = await s.billing.meters.listEventSummaries(meter, { customer, start_time: start, end_time: end });
  return page.data.reduce((sum, d) => sum + d.aggregated_value, 0);
}

describe('meters: events and identifiers', () => {
  it('v1 refuses a repeated identifier and counts it once', async () => {
    const s = t.stripe;
    const { eventName, meter, customer } = await meterFor(s);
    const now = Math.floor(Date.now() / 1000);
    const ev = await s.billing.meterEvents.create({
      event_name: eventName,
      identifier: `id-${eventName}`,
      payload: { stripe_customer_id: customer.id, value: '25' },
      timestamp: now - 60,
    });
    expect(ev).toMatchObject({
      object: 'billing.meter_event',
      identifier: `id-${eventName}`,
      payload: { value: '25' },
      timestamp: now - 60,
    });
    await expect(
      s.billing.meterEvents.create({
        event_name: eventName,
        identifier: `id-${eventName}`,
        payload: { stripe_customer_id: customer.id, value: '25' },
        timestamp: now - 60,
      }),
    ).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    if (t.real) return; // real Stripe aggregates asynchronously
    expect(await total(s, meter.id, customer.id, now - DAY, now + 60)).toBe(25);
  });

  it('answers bad events with Stripe’s errors', async () => {
    const s = t.stripe;
    const { eventName, customer } = await meterFor(s);
    const now = Math.floor(Date.now() / 1000);
    await expect(s.billing.meterEvents.create({ event_name: eventName, payload: { value: '1' } })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(
      s.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer.id, value: 'many' } }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      s.billing.meterEvents.create({
        event_name: eventName,
        payload: { stripe_customer_id: customer.id, value: '1' },
        timestamp: now - 36 * DAY,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' });
    await expect(
      s.billing.meterEvents.create({
        event_name: eventName,
        payload: { stripe_customer_id: customer.id, value: '1' },
        timestamp: now + 3600,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' });
  });

  it('v2 stream: a session token sends up to 100 events; a repeated identifier is dropped without an error', async () => {
    const s = t.stripe;
    const { eventName, meter, customer } = await meterFor(s);
    const session = await s.v2.billing.meterEventSession.create();
    expect(session.authentication_token).toBeTruthy();
    const at = new Date(Date.now() - 120_000).toISOString();
    const events = [1, 2, 3].map((i) => ({
      event_name: eventName,
      identifier: `${eventName}-${i}`,
      payload: { stripe_customer_id: customer.id, value: String(i * 10) },
      timestamp: at,
    }));
    await s.v2.billing.meterEventStream.create({ events }, { apiKey: session.authentication_token });
    // The same batch again (a resend after a timeout), plus one new event.
    await s.v2.billing.meterEventStream.create(
      {
        events: [
          ...events,
          { event_name: eventName, identifier: `${eventName}-4`, payload: { stripe_customer_id: customer.id, value: '40' }, timestamp: at },
        ],
      },
      { apiKey: session.authentication_token },
    );
    if (t.real) return;
    const now = Math.floor(Date.now() / 1000);
    expect(await total(s, meter.id, customer.id, now - DAY, now + 60)).toBe(100);
  });
});

describe('meters: billing', () => {
  // Moves the emulator's clock a month on: the last test of the file.
  t.emulatorOnly('a graduated tiered metered price is invoiced at the period end from the meter total', async () => {
    const s = t.stripe;
    const { eventName, meter, customer } = await meterFor(s);
    const pm = await s.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await s.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const product = await s.products.create({ name: 'API calls' });
    const price = await s.prices.create({
      product: product.id,
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [
        { up_to: 1000, unit_amount: 0 },
        { up_to: 'inf', unit_amount: 1 },
      ],
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      expand: ['tiers'],
    });
    expect(price).toMatchObject({ billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: null });
    expect(price.tiers?.map((tier) => [tier.up_to, tier.unit_amount])).toEqual([
      [1000, 0],
      [null, 1],
    ]);
    // only when asked, as Stripe: not on a plain read, nor on the price inside a subscription item
    expect((await s.prices.retrieve(price.id)).tiers).toBeUndefined();
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub.items.data[0]!.price.tiers).toBeUndefined();
    const now = (await t.control('GET', '/clock')).body.now as number;
    await s.billing.meterEvents.create({
      event_name: eventName,
      identifier: `${eventName}-a`,
      payload: { stripe_customer_id: customer.id, value: '1200' },
      timestamp: now,
    });
    await s.billing.meterEvents.create({
      event_name: eventName,
      identifier: `${eventName}-b`,
      payload: { stripe_customer_id: customer.id, value: '345' },
      timestamp: now,
    });
    const end = sub.items.data[0]!.current_period_end;
    expect((await t.control('POST', '/clock/advance', { to: end + 60 })).status).toBe(200);
    const after = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    const inv = after.latest_invoice as Stripe.Invoice;
    expect(inv.billing_reason).toBe('subscription_cycle');
    const usage = inv.lines.data.find((l) => l.pricing?.price_details?.price === price.id || l.description?.startsWith('API calls'))!;
    expect(usage.description).toBe('API calls: 1,545 × tiers');
    expect(usage.quantity).toBe(1545);
    expect(usage.amount).toBe(545); // 1,000 free, 545 × 1¢
    expect(inv.total).toBe(545);
  });
});
