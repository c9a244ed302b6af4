/**
 * Contract: what a plan change needs, through the official SDK (the app's app/billing/plan-changes.server.ts
 * makes exactly these calls). Runs against Stripe test mode when STRIPE_TEST_SECRET_KEY is set: each
 * test drives its own test clock, and amounts are computed by hand in the comments.
 *
 * - invoices.createPreview with subscription_details (items, proration_date, proration_behavior):
 *   proration lines with their periods; the update at the same proration_date invoices the same total;
 * - an interval change (month → year) restarts the period now and invoices it at once;
 * - payment_behavior=pending_if_incomplete: a declined or unauthenticated charge leaves the items as they
 *   were and the change in pending_update (expiring after 23 hours); paying applies it, voiding drops it;
 * - schedules from_subscription with two phases, and release (the subscription stays as it is).
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();
const ts = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const DAY = 86_400;
const HOUR = 3600;

async function waitReady(stripe: Stripe, id: string) {
  for (let i = 0; i < 120; i++) {
    const c = await stripe.testHelpers.testClocks.retrieve(id);
    if (c.status === 'ready') return c;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('test clock did not become ready');
}

/** A customer on its own test clock at `start`, paying Starter monthly with `card`, and the prices. */
async function subscribed(start: number, card = 'pm_card_visa') {
  const s = t.stripe;
  const clock = await s.testHelpers.testClocks.create({ frozen_time: start });
  const customer = await s.customers
    .create({ test_clock: clock.id, payment_method: card, invoice_settings: { default_payment_method: card } })
    .catch(async () => {
      // Real Stripe wants the test payment method attached first; the emulator accepts both forms.
      const c = await s.customers.create({ test_clock: clock.id });
      const pm = await s.paymentMethods.attach(card, { customer: c.id });
      await s.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } });
      return c;
    });
  const product = await s.products.create({ name: 'Plans' });
  const starter = await s.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1200,
    nickname: 'Starter',
    recurring: { interval: 'month' },
  });
  const pro = await s.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 4900,
    nickname: 'Pro',
    recurring: { interval: 'month' },
  });
  const proYearly = await s.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 49000,
    nickname: 'Pro yearly',
    recurring: { interval: 'year' },
  });
  const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: starter.id }] });
  expect(sub.status).toBe('active');
  return { clock, customer, starter, pro, proYearly, sub };
}

async function advance(clock: string, to: number) {
  await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  await waitReady(t.stripe, clock);
}

async function useCard(customer: string, card: string) {
  const pm = await t.stripe.paymentMethods.attach(card, { customer });
  await t.stripe.customers.update(customer, { invoice_settings: { default_payment_method: pm.id } });
  return pm;
}

describe('createPreview with subscription_details, then the update at the same proration_date', () => {
  it('Starter → Pro on 10 Feb 13:14:15 (28-day February): lines, periods and total match the invoice', async () => {
    const start = ts('2027-02-01T00:00:00Z');
    const { clock, customer, pro, sub } = await subscribed(start);
    const end = ts('2027-03-01T00:00:00Z');
    expect(sub.items.data[0]!.current_period_end).toBe(end);
    const prorationDate = ts('2027-02-10T13:14:15Z');
    await advance(clock.id, prorationDate);
    const item = sub.items.data[0]!.id;
    const preview = await t.stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: item, price: pro.id }], proration_date: prorationDate, proration_behavior: 'always_invoice' },
    });
    // remaining = 1 Mar − 10 Feb 13:14:15 = 38 745 s + 18 days = 1 593 945 s of 2 419 200 s
    // credit = round(1200 × 1593945 / 2419200) = round(790.65) = 791; debit = round(4900 × 1593945 / 2419200) = round(3228.48) = 3228
    const remaining = end - prorationDate;
    expect(remaining).toBe(1_593_945);
    const amounts = preview.lines.data.map((l) => l.amount);
    expect(amounts).toEqual([-791, 3228]);
    expect(preview.total).toBe(2437);
    for (const line of preview.lines.data) {
      expect(line.period).toEqual({ start: prorationDate, end });
      expect(line.parent?.subscription_item_details?.proration).toBe(true);
    }
    // Minutes later, the update sends the same proration_date: the invoice is the preview.
    await advance(clock.id, prorationDate + 7 * 60);
    const updated = await t.stripe.subscriptions.update(sub.id, {
      items: [{ id: item, price: pro.id }],
      proration_date: prorationDate,
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'paid', total: 2437, amount_paid: 2437, billing_reason: 'subscription_update' });
    expect(updated.pending_update).toBeNull();
    expect(updated.items.data[0]!.price.id).toBe(pro.id);
  });

  it('month → year restarts the period now: credit for the unused month, the year in full', async () => {
    const start = ts('2027-04-01T00:00:00Z');
    const { clock, customer, proYearly, sub } = await subscribed(start);
    const at = ts('2027-04-16T00:00:00Z'); // half of April's 30 days
    await advance(clock.id, at);
    const item = sub.items.data[0]!.id;
    const preview = await t.stripe.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: item, price: proYearly.id }], proration_date: at, proration_behavior: 'always_invoice' },
    });
    // credit = round(1200 × 15/30) = 600; the year: 49000
    expect(preview.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-600, 49000]);
    expect(preview.total).toBe(48400);
    const yearLine = preview.lines.data.find((l) => l.amount === 49000)!;
    expect(yearLine.period).toEqual({ start: at, end: ts('2028-04-16T00:00:00Z') });
    const updated = await t.stripe.subscriptions.update(sub.id, {
      items: [{ id: item, price: proYearly.id }],
      proration_date: at,
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      expand: ['latest_invoice'],
    });
    expect((updated.latest_invoice as Stripe.Invoice).amount_paid).toBe(48400);
    expect(updated.billing_cycle_anchor).toBe(at);
    expect(updated.items.data[0]).toMatchObject({ current_period_start: at, current_period_end: ts('2028-04-16T00:00:00Z') });
  });
});

describe('payment_behavior=pending_if_incomplete', () => {
  it('a decline keeps the old items, stays active, and waits in pending_update; voiding the invoice drops it', async () => {
    const start = ts('2027-05-01T00:00:00Z');
    const { clock, customer, starter, pro, sub } = await subscribed(start);
    await advance(clock.id, start + 5 * DAY);
    await useCard(customer.id, 'pm_card_chargeCustomerFail');
    const updated = await t.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      expand: ['latest_invoice'],
    });
    expect(updated.status).toBe('active');
    expect(updated.items.data[0]!.price.id).toBe(starter.id);
    expect(updated.pending_update).toMatchObject({ expires_at: start + 5 * DAY + 23 * HOUR });
    expect(updated.pending_update!.subscription_items![0]!.price.id).toBe(pro.id);
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice.status).toBe('open');
    await t.stripe.invoices.voidInvoice(invoice.id);
    const after = await t.stripe.subscriptions.retrieve(sub.id);
    expect(after.pending_update).toBeNull();
    expect(after).toMatchObject({ status: 'active' });
    expect(after.items.data[0]!.price.id).toBe(starter.id);
  });

  it('a charge that needs authentication waits; paying the invoice applies the change', async () => {
    const start = ts('2027-06-01T00:00:00Z');
    const { clock, customer, pro, sub } = await subscribed(start);
    await advance(clock.id, start + 2 * DAY);
    await useCard(customer.id, 'pm_card_authenticationRequired');
    const updated = await t.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      expand: ['latest_invoice.payments'],
    });
    expect(updated.pending_update).not.toBeNull();
    const invoice = updated.latest_invoice as Stripe.Invoice;
    const piId = invoice.payments!.data[0]!.payment.payment_intent as string;
    expect((await t.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    const visa = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await t.stripe.invoices.pay(invoice.id, { payment_method: visa.id });
    const after = await t.stripe.subscriptions.retrieve(sub.id);
    expect(after.pending_update).toBeNull();
    expect(after.items.data[0]!.price.id).toBe(pro.id);
  });

  it('refuses parameters a pending update cannot carry', async () => {
    const { pro, sub } = await subscribed(ts('2027-07-01T00:00:00Z'));
    const err = await t.stripe.subscriptions
      .update(sub.id, {
        items: [{ id: sub.items.data[0]!.id, price: pro.id }],
        payment_behavior: 'pending_if_incomplete',
        metadata: { a: 'b' },
      })
      .catch((e) => e);
    expect(err).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
  });

  t.emulatorOnly('an unpaid pending update expires after 23 hours (customer.subscription.pending_update_expired)', async () => {
    const start = ts('2027-08-01T00:00:00Z');
    const { clock, customer, starter, pro, sub } = await subscribed(start);
    await useCard(customer.id, 'pm_card_chargeCustomerFail');
    await t.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
    });
    await advance(clock.id, start + 23 * HOUR + 1);
    const after = await t.stripe.subscriptions.retrieve(sub.id);
    expect(after.pending_update).toBeNull();
    expect(after.items.data[0]!.price.id).toBe(starter.id);
    expect(after.status).toBe('active');
    const events = await t.stripe.events.list({ type: 'customer.subscription.pending_update_expired', limit: 20 });
    expect(events.data.some((e) => (e.data.object as Stripe.Subscription).id === sub.id)).toBe(true);
  });
});

describe('a change at the period end with a schedule, and its release', () => {
  it('from_subscription, two phases, release leaves the subscription as it is', async () => {
    const start = ts('2027-09-01T00:00:00Z');
    const { clock, starter, pro, customer } = await subscribed(start);
    // Pro now (another subscription of the same customer is fine for this contract)
    const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
    await advance(clock.id, start + 3 * DAY);
    const schedule = await t.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(schedule.phases).toHaveLength(1);
    expect(schedule.current_phase).toEqual({ start_date: start, end_date: ts('2027-10-01T00:00:00Z') });
    const updated = await t.stripe.subscriptionSchedules.update(schedule.id, {
      end_behavior: 'release',
      phases: [
        { items: [{ price: pro.id, quantity: 1 }], start_date: start, end_date: ts('2027-10-01T00:00:00Z'), proration_behavior: 'none' },
        { items: [{ price: starter.id, quantity: 1 }], duration: { interval: 'month', interval_count: 1 }, proration_behavior: 'none' },
      ],
    });
    expect(updated.phases.map((p) => [p.start_date, p.end_date])).toEqual([
      [start, ts('2027-10-01T00:00:00Z')],
      [ts('2027-10-01T00:00:00Z'), ts('2027-11-01T00:00:00Z')],
    ]);
    expect((await t.stripe.subscriptions.retrieve(sub.id)).schedule).toBe(schedule.id);
    // The next invoice is previewed as the phase that starts with it: Starter, not Pro.
    const upcoming = await t.stripe.invoices.createPreview({ subscription: sub.id });
    const plans = upcoming.lines.data.map((l) => l.pricing?.price_details?.price).filter((p) => p === starter.id || p === pro.id);
    expect(plans).toEqual([starter.id]);
    expect(upcoming.total).toBe(starter.unit_amount);
    const released = await t.stripe.subscriptionSchedules.release(schedule.id);
    expect(released).toMatchObject({ status: 'released', released_subscription: sub.id, subscription: null });
    const after = await t.stripe.subscriptions.retrieve(sub.id);
    expect(after).toMatchObject({ status: 'active', schedule: null, cancel_at_period_end: false });
    expect(after.items.data[0]!.price.id).toBe(pro.id);
    // At the period end nothing switches: it renews on Pro.
    await advance(clock.id, ts('2027-10-01T00:00:00Z') + HOUR);
    expect((await t.stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id).toBe(pro.id);
  });
});
