/**
 * Contract: refunds and balance transactions — money goes back, the charge says how much, the
 * balance shows both sides, and bad requests get Stripe's errors. Via the SDK (also against Stripe
 * test mode with STRIPE_TEST_SECRET_KEY).
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

async function paid(amount: number, metadata: Record<string, string> = {}): Promise<Stripe.PaymentIntent> {
  const customer = await t.stripe.customers.create({ name: 'Refund Co' });
  return t.stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    customer: customer.id,
    payment_method: 'pm_card_visa',
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    confirm: true,
    description: 'Credit pack',
    metadata,
  });
}

describe('refunds', () => {
  it('refunds part then the rest of a payment: the charge, refund and balance transactions agree', async () => {
    const pi = await paid(2000);
    expect(pi.status).toBe('succeeded');
    const chargeId = pi.latest_charge as string;

    const part = await t.stripe.refunds.create({ payment_intent: pi.id, amount: 500, reason: 'requested_by_customer' });
    expect(part).toMatchObject({
      object: 'refund',
      amount: 500,
      charge: chargeId,
      payment_intent: pi.id,
      currency: 'usd',
      status: 'succeeded',
      reason: 'requested_by_customer',
    });
    expect(part.id).toMatch(/^re_/);
    let ch = await t.stripe.charges.retrieve(chargeId);
    expect(ch).toMatchObject({ amount: 2000, amount_refunded: 500, refunded: false });

    const tooMuch = await t.stripe.refunds.create({ charge: chargeId, amount: 1600 }).catch((e) => e);
    expect(tooMuch).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400, code: 'amount_too_large' });

    const rest = await t.stripe.refunds.create({ charge: chargeId });
    expect(rest.amount).toBe(1500);
    ch = await t.stripe.charges.retrieve(chargeId, { expand: ['refunds', 'balance_transaction'] });
    expect(ch).toMatchObject({ amount_refunded: 2000, refunded: true });
    expect(ch.refunds!.data.map((r) => r.id).sort()).toEqual([part.id, rest.id].sort());

    const again = await t.stripe.refunds.create({ payment_intent: pi.id }).catch((e) => e);
    expect(again).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });

    // the charge's transaction carries the fee; each refund takes its amount back
    const chargeTxn = ch.balance_transaction as Stripe.BalanceTransaction;
    expect(chargeTxn).toMatchObject({ object: 'balance_transaction', type: 'charge', amount: 2000, currency: 'usd' });
    expect(chargeTxn.net).toBe(chargeTxn.amount - chargeTxn.fee);
    expect(chargeTxn.fee).toBeGreaterThan(0);
    const refundTxn = await t.stripe.balanceTransactions.retrieve(part.balance_transaction as string);
    expect(refundTxn).toMatchObject({ type: 'refund', amount: -500, net: -500, source: part.id });

    const listed = await t.stripe.refunds.list({ payment_intent: pi.id });
    expect(listed.data.map((r) => r.amount)).toEqual([1500, 500]);
    const bySource = await t.stripe.balanceTransactions.list({ source: rest.id });
    expect(bySource.data.map((b) => b.amount)).toEqual([-1500]);
  });

  it('updates metadata, cannot cancel a card refund, and refuses a payment that never succeeded', async () => {
    const pi = await paid(1000);
    const r = await t.stripe.refunds.create({ payment_intent: pi.id, metadata: { ticket: 'T-1' } });
    const updated = await t.stripe.refunds.update(r.id, { metadata: { ticket: 'T-2' } });
    expect(updated.metadata).toEqual({ ticket: 'T-2' });
    expect((await t.stripe.refunds.retrieve(r.id)).metadata).toEqual({ ticket: 'T-2' });
    const cancel = await t.stripe.refunds.cancel(r.id).catch((e) => e);
    expect(cancel).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });

    const open = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const notPaid = await t.stripe.refunds.create({ payment_intent: open.id }).catch((e) => e);
    expect(notPaid).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    const missing = await t.stripe.refunds.retrieve('re_doesnotexist').catch((e) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  t.emulatorOnly('emits refund.created and charge.refunded, then refund.updated and charge.refund.updated', async () => {
    const pi = await paid(1200);
    const r = await t.stripe.refunds.create({ payment_intent: pi.id, amount: 200 });
    await t.stripe.refunds.update(r.id, { metadata: { note: 'x' } });
    // events are stored in the request's transaction: listed at once
    const events = await t.stripe.events.list({ limit: 20 });
    const mine = events.data.filter(
      (e) => (e.data.object as { id: string }).id === r.id || (e.data.object as { id: string }).id === pi.latest_charge,
    );
    expect(mine.map((e) => e.type).reverse()).toEqual([
      'charge.succeeded',
      'refund.created',
      'charge.refunded',
      'refund.updated',
      'charge.refund.updated',
    ]);
    const refunded = mine.find((e) => e.type === 'charge.refunded')!;
    expect(refunded.data.object).toMatchObject({ amount_refunded: 200, refunded: false });
    expect(refunded.data.previous_attributes).toEqual({ amount_refunded: 0 });
  });
});
