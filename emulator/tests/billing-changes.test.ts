/** Subscription changes: items, pause/resume, pause_collection, trial_end now, anchors, schedules. */
import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { advanceTestClock, setupContract } from './helpers';

const t = setupContract();
const DAY = 86400;

async function setup(s: Stripe) {
  const frozen = Math.floor(Date.UTC(2027, 2, 1) / 1000); // 1 Mar 2027, 31-day month
  const clock = await s.testHelpers.testClocks.create({ frozen_time: frozen });
  const customer = await s.customers.create({ email: 'c@example.com', test_clock: clock.id });
  const pm = await s.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await s.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const product = await s.products.create({ name: 'Seats' });
  const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 3100, recurring: { interval: 'month' } });
  return { clock, customer, price, frozen, product };
}

describe('billing: subscription changes', () => {
  it('seat quantity change via subscription_items with prorations (none / create_prorations)', async () => {
    const s = t.stripe;
    const { customer, price, clock, frozen } = await setup(s);
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id, quantity: 1 }] });
    const itemId = sub.items.data[0].id;
    // 11 Mar: 20 of 31 days left. +2 seats: round(3100 × 2 × 20/31)... credit of 1 seat, debit of 3 seats
    await advanceTestClock(s, clock.id, frozen + 11 * DAY);
    const item = await s.subscriptionItems.update(itemId, { quantity: 3, proration_behavior: 'create_prorations' });
    expect(item.quantity).toBe(3);
    const pending = await s.invoiceItems.list({ customer: customer.id, pending: true });
    // credit −round(3100 × 1 × 20/31) = −2000, debit round(3100 × 3 × 20/31) = 6000
    expect(pending.data.map((i) => i.amount).sort((a, b) => a - b)).toEqual([-2000, 6000]);
    expect(pending.data.every((i) => i.proration)).toBe(true);
    const none = await s.subscriptionItems.update(itemId, { quantity: 4, proration_behavior: 'none' });
    expect(none.quantity).toBe(4);
    expect((await s.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(2);
    const items = await s.subscriptionItems.list({ subscription: sub.id });
    expect(items.data).toHaveLength(1);
    expect(items.data[0].current_period_end).toBe(frozen + 31 * DAY);
  });

  it('pause and resume; pause_collection keeps renewals as drafts; cancel_at', async () => {
    const s = t.stripe;
    const { customer, price, clock, frozen } = await setup(s);
    let sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    sub = await s.subscriptions.update(sub.id, { pause_collection: { behavior: 'keep_as_draft' } });
    expect(sub.pause_collection?.behavior).toBe('keep_as_draft');
    expect(sub.status).toBe('active');
    await advanceTestClock(s, clock.id, frozen + 31 * DAY + 60);
    sub = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect((sub.latest_invoice as Stripe.Invoice).status).toBe('draft');
    sub = await s.subscriptions.update(sub.id, { pause_collection: '' });
    expect(sub.pause_collection).toBeNull();

    sub = await s.subscriptions.pause(sub.id, { type: 'subscription' } as Stripe.SubscriptionPauseParams);
    expect(sub.status).toBe('paused');
    sub = await s.subscriptions.resume(sub.id, { billing_cycle_anchor: { type: 'now' } });
    expect(sub.status).toBe('active');
    expect(sub.items.data[0].current_period_start).toBe(frozen + 31 * DAY + 60);

    const cancelAt = frozen + 40 * DAY;
    sub = await s.subscriptions.update(sub.id, { cancel_at: cancelAt });
    expect(sub.cancel_at).toBe(cancelAt);
    await advanceTestClock(s, clock.id, cancelAt + 1);
    sub = await s.subscriptions.retrieve(sub.id);
    expect(sub.status).toBe('canceled');
  });

  it('trial_end now ends the trial and charges; trial with missing payment method pauses', async () => {
    const s = t.stripe;
    const { customer, price, clock, frozen } = await setup(s);
    let sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 30 });
    expect(sub.status).toBe('trialing');
    sub = await s.subscriptions.update(sub.id, { trial_end: 'now', expand: ['latest_invoice'] });
    expect(sub.status).toBe('active');
    expect((sub.latest_invoice as Stripe.Invoice).amount_paid).toBe(3100);

    const bare = await s.customers.create({ email: 'nopm@example.com', test_clock: clock.id });
    const paused = await s.subscriptions.create({
      customer: bare.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
    });
    await advanceTestClock(s, clock.id, frozen + 7 * DAY + 10);
    expect((await s.subscriptions.retrieve(paused.id)).status).toBe('paused');
  });

  it('subscription schedule cancel cancels the subscription', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await expect(
      s.subscriptionSchedules.create({ from_subscription: sub.id, phases: [{ items: [{ price: price.id }] }] }),
    ).rejects.toMatchObject({ statusCode: 400 });
    const sched = await s.subscriptionSchedules.create({ from_subscription: sub.id });
    expect(sched.status).toBe('active');
    expect((await s.subscriptions.retrieve(sub.id)).schedule).toBe(sched.id);
    const canceled = await s.subscriptionSchedules.cancel(sched.id);
    expect(canceled.status).toBe('canceled');
    expect((await s.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  it('billing_cycle_anchor now resets the period and invoices with a credit', async () => {
    const s = t.stripe;
    const { customer, price, clock, frozen } = await setup(s);
    let sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await advanceTestClock(s, clock.id, frozen + 11 * DAY);
    sub = await s.subscriptions.update(sub.id, {
      billing_cycle_anchor: { type: 'now' },
      proration_behavior: 'create_prorations',
      expand: ['latest_invoice'],
    });
    const inv = sub.latest_invoice as Stripe.Invoice;
    // −round(3100 × 20/31) = −2000 credit + 3100 new period
    expect(inv.total).toBe(1100);
    expect(sub.items.data[0].current_period_start).toBe(frozen + 11 * DAY);
    expect(sub.billing_cycle_anchor).toBe(frozen + 11 * DAY);
  });

  it('list: status=all includes canceled, the default excludes only canceled', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const live = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const gone = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await s.subscriptions.cancel(gone.id);
    const incomplete = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    const all = (await s.subscriptions.list({ customer: customer.id, status: 'all' })).data.map((x) => x.id);
    expect(all).toEqual(expect.arrayContaining([live.id, gone.id, incomplete.id]));
    const dflt = (await s.subscriptions.list({ customer: customer.id })).data.map((x) => x.id);
    expect(dflt).toContain(live.id);
    expect(dflt).toContain(incomplete.id);
    expect(dflt).not.toContain(gone.id);
    const canceled = (await s.subscriptions.list({ customer: customer.id, status: 'canceled' })).data.map((x) => x.id);
    expect(canceled).toEqual([gone.id]);
  });

  t.emulatorOnly('emits customer.subscription.* and invoice.* events with previous_attributes', async () => {
    const s = t.stripe;
    const { customer, price } = await setup(s);
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await s.subscriptions.update(sub.id, { metadata: { plan: 'x' } });
    const ev = await s.events.list({ type: 'customer.subscription.updated', limit: 5 });
    const mine = ev.data.find((e) => (e.data.object as Stripe.Subscription).id === sub.id)!;
    expect(mine.data.previous_attributes).toHaveProperty('metadata');
    const types = new Set(
      (await s.events.list({ limit: 100 })).data
        .filter((e) => {
          const o = e.data.object as { id?: string; parent?: { subscription_details?: { subscription?: string } } };
          return o.id === sub.id || o.parent?.subscription_details?.subscription === sub.id;
        })
        .map((e) => e.type),
    );
    for (const tpe of [
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
    ])
      expect(types).toContain(tpe);
  });
});
