/**
 * Contract: a subscription collected by sending invoices (`collection_method: send_invoice`) is
 * active at once, its invoices are finalized and left open with a due date `days_until_due` days
 * on, and nothing is charged; without `days_until_due` it is refused.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { advanceTestClock, setupContract } from './helpers';

const t = setupContract();
const DAY = 86_400;

describe('subscriptions paid by sent invoices', () => {
  it('are active at once, with open invoices due days_until_due days on, renewal after renewal', async () => {
    const s = t.stripe;
    const start = Math.floor(Date.UTC(2027, 2, 10) / 1000);
    const clock = await s.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await s.customers.create({ email: 'ap@example.com', test_clock: clock.id });
    const product = await s.products.create({ name: 'Invoiced plan' });
    const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 9900, recurring: { interval: 'month' } });
    const sub = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      collection_method: 'send_invoice',
      days_until_due: 14,
      expand: ['latest_invoice'],
    });
    expect(sub).toMatchObject({ status: 'active', collection_method: 'send_invoice', days_until_due: 14 });
    const first = sub.latest_invoice as Stripe.Invoice;
    expect(first).toMatchObject({ status: 'open', collection_method: 'send_invoice', amount_due: 9900, attempt_count: 0 });
    expect(first.due_date! - first.created).toBe(14 * DAY);

    await advanceTestClock(s, clock.id, sub.items.data[0]!.current_period_end + 2 * 3600);
    const renewed = await s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    const second = renewed.latest_invoice as Stripe.Invoice;
    expect(renewed.status).toBe('active');
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'open',
      collection_method: 'send_invoice',
      attempt_count: 0,
    });
    expect(second.due_date! - second.created).toBe(14 * DAY);

    const missing = await s.subscriptions
      .create({ customer: customer.id, items: [{ price: price.id }], collection_method: 'send_invoice' })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(missing).toMatchObject({ statusCode: 400, param: 'days_until_due' });
  });
});
