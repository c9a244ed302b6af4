/**
 * A full subscription life through the official SDK, driven by a test clock.
 * Amounts are computed by hand in the comments. Runs against real Stripe when
 * STRIPE_TEST_SECRET_KEY is set (test clocks advance asynchronously there, see waitReady).
 */
import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { setupContract } from './helpers';

const t = setupContract();
const ts = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const DAY = 86400;

async function waitReady(stripe: Stripe, id: string): Promise<Stripe.TestHelpers.TestClock> {
  for (let i = 0; i < 120; i++) {
    const c = await stripe.testHelpers.testClocks.retrieve(id);
    if (c.status === 'ready') return c;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('test clock did not become ready');
}

async function advance(stripe: Stripe, clock: string, to: number) {
  await stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  return waitReady(stripe, clock);
}

async function eventsOf(stripe: Stripe, type: string, objectId: string): Promise<Stripe.Event[]> {
  const list = await stripe.events.list({ type, limit: 100 });
  return list.data.filter((e) => (e.data.object as { id?: string }).id === objectId);
}

describe('billing: subscription life', () => {
  it('trial → paid → upgrade → scheduled downgrade → renewal → failure → retries → recovery → cancel', async () => {
    const s = t.stripe;
    // 2026 (in the future relative to the emulator clock is not required for test clocks)
    const T0 = ts('2027-01-01T00:00:00Z');
    const clock = await s.testHelpers.testClocks.create({ frozen_time: T0, name: 'life' });
    const customer = await s.customers.create({ email: 'life@example.com', name: 'Life Cycle', test_clock: clock.id });
    const product = await s.products.create({ name: 'Portal' });
    const basic = await s.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 1000,
      nickname: 'Basic',
      recurring: { interval: 'month' },
    });
    const pro = await s.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 3000,
      nickname: 'Pro',
      recurring: { interval: 'month' },
    });

    // --- trial, no payment method: pending_setup_intent, $0 invoice paid
    let sub = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
      trial_period_days: 14,
      payment_behavior: 'default_incomplete',
      payment_settings: { save_default_payment_method: 'on_subscription' },
      trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
      expand: ['latest_invoice', 'pending_setup_intent'],
    });
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end).toBe(T0 + 14 * DAY);
    expect(sub.items.data[0].current_period_start).toBe(T0);
    expect(sub.items.data[0].current_period_end).toBe(T0 + 14 * DAY);
    const trialInvoice = sub.latest_invoice as Stripe.Invoice;
    expect(trialInvoice.status).toBe('paid');
    expect(trialInvoice.total).toBe(0);
    expect(trialInvoice.billing_reason).toBe('subscription_create');
    const seti = sub.pending_setup_intent as Stripe.SetupIntent;
    expect(seti.object).toBe('setup_intent');

    // the customer saves a card through the SetupIntent → default payment method of the subscription
    await s.setupIntents.confirm(seti.id, { payment_method: 'pm_card_visa' });
    sub = await s.subscriptions.retrieve(sub.id);
    expect(sub.pending_setup_intent).toBeNull();
    expect(sub.default_payment_method).toBeTruthy();

    // --- trial_will_end 3 days before the end
    await advance(s, clock.id, T0 + 11 * DAY + 3600);
    expect((await eventsOf(s, 'customer.subscription.trial_will_end', sub.id)).length).toBe(1);

    // --- trial end: first paid invoice, period 15 Jan → 15 Feb (31 days)
    const trialEnd = T0 + 14 * DAY; // 2027-01-15
    await advance(s, clock.id, trialEnd + 60);
    sub = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(sub.status).toBe('active');
    const firstPaid = sub.latest_invoice as Stripe.Invoice;
    expect(firstPaid.status).toBe('paid');
    expect(firstPaid.amount_paid).toBe(1000);
    expect(firstPaid.billing_reason).toBe('subscription_cycle');
    expect(sub.items.data[0].current_period_start).toBe(trialEnd);
    const periodEnd = ts('2027-02-15T00:00:00Z');
    expect(sub.items.data[0].current_period_end).toBe(periodEnd);

    // --- upgrade on 25 Jan (21 of 31 days left) with always_invoice, previewed first
    const upgradeAt = ts('2027-01-25T00:00:00Z');
    await advance(s, clock.id, upgradeAt);
    const itemId = sub.items.data[0].id;
    const preview = await s.invoices.createPreview({
      customer: customer.id,
      subscription: sub.id,
      subscription_details: { items: [{ id: itemId, price: pro.id }], proration_behavior: 'always_invoice', proration_date: upgradeAt },
    });
    // remaining fraction = (15 Feb − 25 Jan) / (15 Feb − 15 Jan) = 1814400 / 2678400
    // credit = −round(1000 × 1814400 / 2678400) = −round(677.42) = −677
    // debit  =  round(3000 × 1814400 / 2678400) = round(2032.26) = 2032
    const amounts = preview.lines.data.map((l) => l.amount).sort((a, b) => a - b);
    expect(amounts).toEqual([-677, 2032]);
    expect(preview.total).toBe(1355);
    const credit = preview.lines.data.find((l) => l.amount < 0)!;
    expect(credit.description).toBe('Unused time on Basic after 25 Jan 2027');
    expect(credit.parent?.subscription_item_details?.proration).toBe(true);
    expect(credit.pricing?.price_details?.price).toBe(basic.id);

    sub = await s.subscriptions.update(sub.id, {
      items: [{ id: itemId, price: pro.id }],
      proration_behavior: 'always_invoice',
      proration_date: upgradeAt,
      expand: ['latest_invoice'],
    });
    const upgradeInvoice = sub.latest_invoice as Stripe.Invoice;
    expect(upgradeInvoice.billing_reason).toBe('subscription_update');
    expect(upgradeInvoice.total).toBe(preview.total);
    expect(upgradeInvoice.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual(amounts);
    expect(upgradeInvoice.status).toBe('paid');
    expect(sub.items.data[0].price.id).toBe(pro.id);
    const updated = await eventsOf(s, 'customer.subscription.updated', sub.id);
    expect(updated.some((e) => e.data.previous_attributes && 'items' in e.data.previous_attributes)).toBe(true);

    // --- downgrade at period end through a schedule
    let sched = await s.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(sched.phases).toHaveLength(1);
    sched = await s.subscriptionSchedules.update(sched.id, {
      end_behavior: 'release',
      phases: [
        { items: [{ price: pro.id, quantity: 1 }], start_date: sched.phases[0].start_date, end_date: periodEnd },
        { items: [{ price: basic.id, quantity: 1 }], duration: { interval: 'month', interval_count: 1 } },
      ],
    });
    expect(sched.phases[1].end_date).toBe(ts('2027-03-15T00:00:00Z'));
    sub = await s.subscriptions.retrieve(sub.id);
    expect(sub.items.data[0].price.id).toBe(pro.id); // unchanged until the phase ends

    // --- renewal on 15 Feb: the schedule switches to Basic, the renewal bills Basic
    await advance(s, clock.id, periodEnd + 3600);
    sub = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(sub.items.data[0].price.id).toBe(basic.id);
    const renewal = sub.latest_invoice as Stripe.Invoice;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(renewal.total).toBe(1000);
    expect(renewal.status).toBe('paid');
    expect(sub.status).toBe('active');

    // --- payment failure: a card that attaches but fails later
    const failing = await s.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    await s.subscriptions.update(sub.id, { default_payment_method: failing.id });
    const march15 = ts('2027-03-15T00:00:00Z');
    await advance(s, clock.id, march15 + 3600);
    sched = await s.subscriptionSchedules.retrieve(sched.id);
    expect(sched.status).toBe('released');
    sub = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(sub.status).toBe('past_due');
    let failed = sub.latest_invoice as Stripe.Invoice;
    expect(failed.status).toBe('open');
    expect(failed.attempt_count).toBe(1);
    expect(failed.next_payment_attempt).toBe(march15 + 3 * DAY);
    expect((await eventsOf(s, 'invoice.payment_failed', failed.id)).length).toBe(1);

    // --- automatic retry 3 days later fails again
    await advance(s, clock.id, march15 + 3 * DAY + 3600);
    failed = await s.invoices.retrieve(failed.id);
    expect(failed.attempt_count).toBe(2);
    expect(failed.next_payment_attempt).toBe(march15 + 5 * DAY);

    // --- recovery: new default card, pay the invoice
    const good = await s.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await s.subscriptions.update(sub.id, { default_payment_method: good.id });
    const paid = await s.invoices.pay(failed.id, { expand: ['payments'] });
    expect(paid.status).toBe('paid');
    expect(paid.payments?.data[0]?.payment.payment_intent).toBeTruthy();
    sub = await s.subscriptions.retrieve(sub.id);
    expect(sub.status).toBe('active');

    // --- cancel at period end
    sub = await s.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(sub.cancel_at_period_end).toBe(true);
    const april15 = ts('2027-04-15T00:00:00Z');
    expect(sub.cancel_at).toBe(april15);
    await advance(s, clock.id, april15 + 60);
    sub = await s.subscriptions.retrieve(sub.id);
    expect(sub.status).toBe('canceled');
    expect(sub.ended_at).toBe(april15);
    expect((await eventsOf(s, 'customer.subscription.deleted', sub.id)).length).toBe(1);
    // no renewal invoice was created for the canceled period
    const invoices = await s.invoices.list({ subscription: sub.id, limit: 100 });
    expect(invoices.data.filter((i) => i.created >= april15)).toHaveLength(0);
  });
});
