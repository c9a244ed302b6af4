/**
 * Contract: search for charges, payment intents, invoices and subscriptions with Stripe's query
 * language (exact, substring, negation, metadata, numeric comparisons, AND / OR), paged with
 * `page`/`next_page`. Stripe's search index lags writes by up to a minute, so against Stripe test
 * mode (STRIPE_TEST_SECRET_KEY) each search is retried until it settles; the emulator is current.
 */
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupContract, uniq } from './helpers';

const t = setupContract();
const run = uniq('run');

/** Retries a search until `ok` (real Stripe: eventual consistency), else returns the first answer. */
async function settled<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const until = Date.now() + (t.real ? 90_000 : 0);
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() >= until) return v;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

let customer: Stripe.Customer;
const pis: Stripe.PaymentIntent[] = [];

beforeAll(async () => {
  customer = await t.stripe.customers.create({ name: 'Search Co', metadata: { run } });
  for (const [amount, tier] of [
    [1500, 'gold'],
    [2500, 'silver'],
    [3500, 'gold'],
  ] as const) {
    pis.push(
      await t.stripe.paymentIntents.create({
        amount,
        currency: 'usd',
        customer: customer.id,
        payment_method: 'pm_card_visa',
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        confirm: true,
        metadata: { run, tier },
      }),
    );
  }
}, 60_000);

describe('search', () => {
  it('finds payment intents by metadata, amount comparisons, negation and OR, newest first', async () => {
    const q = `metadata['run']:'${run}' AND amount>=2000`;
    const found = await settled(
      () => t.stripe.paymentIntents.search({ query: q }),
      (r) => r.data.length === 2,
    );
    expect(found.object).toBe('search_result');
    expect(found.data.map((p) => p.amount)).toEqual([3500, 2500]);
    const gold = await settled(
      () => t.stripe.paymentIntents.search({ query: `metadata['run']:'${run}' -metadata['tier']:'silver'` }),
      (r) => r.data.length === 2,
    );
    expect(gold.data.map((p) => p.metadata.tier)).toEqual(['gold', 'gold']);
    const either = await settled(
      () => t.stripe.paymentIntents.search({ query: `amount:1500 OR amount:2500` }),
      (r) => r.data.filter((p) => p.metadata.run === run).length === 2,
    );
    expect(either.data.every((p) => p.amount === 1500 || p.amount === 2500)).toBe(true);
  });

  it('pages with next_page until every match was returned exactly once', async () => {
    const query = `customer:'${customer.id}' AND status:'succeeded'`;
    const page1 = await settled(
      () => t.stripe.paymentIntents.search({ query, limit: 2 }),
      (r) => r.has_more,
    );
    expect(page1.data).toHaveLength(2);
    expect(page1.has_more).toBe(true);
    expect(page1.next_page).toEqual(expect.any(String));
    const page2 = await t.stripe.paymentIntents.search({ query, limit: 2, page: page1.next_page! });
    expect(page2.has_more).toBe(false);
    expect(page2.next_page).toBeNull();
    expect([...page1.data, ...page2.data].map((p) => p.id).sort()).toEqual(pis.map((p) => p.id).sort());
  });

  it('finds charges by card and refund state', async () => {
    await t.stripe.refunds.create({ payment_intent: pis[0]!.id });
    const refunded = await settled(
      () => t.stripe.charges.search({ query: `customer:'${customer.id}' AND refunded:'true'` }),
      (r) => r.data.length === 1,
    );
    expect(refunded.data.map((c) => c.payment_intent)).toEqual([pis[0]!.id]);
    const byCard = await settled(
      () => t.stripe.charges.search({ query: `customer:'${customer.id}' AND payment_method_details.card.last4:'4242'` }),
      (r) => r.data.length === 3,
    );
    expect(byCard.data.every((c) => c.payment_method_details?.card?.last4 === '4242')).toBe(true);
  });

  it('finds invoices by number substring, status and total, and subscriptions by status and metadata', async () => {
    const draft = await t.stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 10,
      metadata: { run },
    });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 4200, currency: 'usd' });
    const inv = await t.stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    const byNumber = await settled(
      () => t.stripe.invoices.search({ query: `number~'${inv.number!.slice(0, 6)}' AND total>4000 AND status:'open'` }),
      (r) => r.data.some((i) => i.id === inv.id),
    );
    expect(byNumber.data.map((i) => i.id)).toContain(inv.id);
    expect(byNumber.data.every((i) => i.total > 4000 && i.status === 'open')).toBe(true);

    const product = await t.stripe.products.create({ name: `Search plan ${run}` });
    const price = await t.stripe.prices.create({
      product: product.id,
      unit_amount: 900,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const sub = await t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: pm.id,
      metadata: { run },
    });
    expect(sub.status).toBe('active');
    const subs = await settled(
      () => t.stripe.subscriptions.search({ query: `metadata['run']:'${run}' AND status:'active'` }),
      (r) => r.data.length === 1,
    );
    expect(subs.data.map((s) => s.id)).toEqual([sub.id]);
    const bySub = await settled(
      () => t.stripe.invoices.search({ query: `subscription:'${sub.id}'` }),
      (r) => r.data.length === 1,
    );
    expect(bySub.data[0]!.total).toBe(900);
  });

  it('answers an unsupported field, a mixed AND/OR and a short substring with a 400', async () => {
    for (const query of [`nickname:'x'`, `amount:1 AND status:'succeeded' OR currency:'usd'`, `status~'su'`]) {
      const err = await t.stripe.paymentIntents.search({ query }).catch((e) => e);
      expect(err).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'query' });
    }
  });
});
