/**
 * Contract: billing credits. Credit grants are created, listed, updated, expired and voided; the
 * balance summary and the ledger of credit balance transactions follow; at the period end a
 * metered line is paid from the grants in Stripe's order (promotional before paid), grants scoped
 * to other prices are left alone, and voiding the invoice gives the credits back.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { advanceTestClock, setupContract } from './helpers';

const t = setupContract();
const HOUR = 3600;

async function now(): Promise<number> {
  return t.real ? Math.floor(Date.now() / 1000) : ((await t.control('GET', '/clock')).body.now as number);
}

/** A meter and a graduated metered price on it: 1,000 calls free, then 1¢ a call. */
async function meteredPrice(s: Stripe) {
  const eventName = `credits_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;
  const meter = await s.billing.meters.create({ display_name: 'Calls', event_name: eventName, default_aggregation: { formula: 'sum' } });
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
  });
  return { eventName, meter, price };
}

const usd = (value: number) => ({ type: 'monetary' as const, monetary: { currency: 'usd', value } });

async function available(s: Stripe, customer: string, filter: Stripe.Billing.CreditBalanceSummaryRetrieveParams.Filter) {
  const summary = await s.billing.creditBalanceSummaries.retrieve({ customer, filter });
  return summary.balances.find((x) => x.available_balance.monetary?.currency === 'usd')?.available_balance.monetary?.value ?? 0;
}

describe('billing credits', () => {
  it('grants, lists, updates, expires and voids, with the balance and the ledger', async () => {
    const s = t.stripe;
    const customer = await s.customers.create({ email: 'credits@example.com' });
    const grant = await s.billing.creditGrants.create({
      customer: customer.id,
      name: 'Credit pack',
      amount: usd(5000),
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid',
      metadata: { payment_intent: 'pi_123' },
    });
    expect(grant).toMatchObject({
      object: 'billing.credit_grant',
      amount: usd(5000),
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid',
      customer: customer.id,
      expires_at: null,
      name: 'Credit pack',
      priority: 50,
      voided_at: null,
      metadata: { payment_intent: 'pi_123' },
    });
    const promo = await s.billing.creditGrants.create({
      customer: customer.id,
      amount: usd(700),
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'promotional',
    });
    expect((await s.billing.creditGrants.list({ customer: customer.id })).data.map((g) => g.id).sort()).toEqual(
      [grant.id, promo.id].sort(),
    );
    expect(await available(s, customer.id, { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } })).toBe(5700);
    expect(await available(s, customer.id, { type: 'credit_grant', credit_grant: promo.id })).toBe(700);

    const later = (await now()) + 30 * 86400;
    const updated = await s.billing.creditGrants.update(grant.id, { expires_at: later, metadata: { note: 'x' } });
    expect(updated).toMatchObject({ expires_at: later, metadata: { payment_intent: 'pi_123', note: 'x' } });

    const expired = await s.billing.creditGrants.expire(promo.id);
    expect(expired.expires_at).not.toBeNull();
    expect(await available(s, customer.id, { type: 'credit_grant', credit_grant: promo.id })).toBe(0);
    const voided = await s.billing.creditGrants.voidGrant(grant.id);
    expect(voided.voided_at).not.toBeNull();
    expect(await available(s, customer.id, { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } })).toBe(0);

    const ledger = await s.billing.creditBalanceTransactions.list({ customer: customer.id, limit: 100 });
    const kinds = ledger.data.map((x) => `${x.credit_grant as string}:${x.type}:${x.credit?.type ?? x.debit?.type}`).sort();
    expect(kinds).toEqual(
      [
        `${grant.id}:credit:credits_granted`,
        `${grant.id}:debit:credits_voided`,
        `${promo.id}:credit:credits_granted`,
        `${promo.id}:debit:credits_expired`,
      ].sort(),
    );
    const one = await s.billing.creditBalanceTransactions.retrieve(ledger.data[0]!.id);
    expect(one.id).toBe(ledger.data[0]!.id);
  });

  it('refuses what Stripe refuses, with the parameter named', async () => {
    const s = t.stripe;
    const customer = await s.customers.create({});
    const product = await s.products.create({ name: 'Seat' });
    const licensed = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });
    const refused = (p: Promise<unknown>) =>
      p.then(() => null).catch((e: Stripe.errors.StripeError) => ({ status: e.statusCode, param: e.param }));
    expect(
      await refused(s.billing.creditGrants.create({ amount: usd(100), applicability_config: { scope: { price_type: 'metered' } } })),
    ).toEqual({
      status: 400,
      param: 'customer',
    });
    expect(
      await refused(
        s.billing.creditGrants.create({
          customer: customer.id,
          amount: usd(100),
          applicability_config: { scope: { prices: [{ id: licensed.id }] } },
        }),
      ),
    ).toMatchObject({ status: 400, param: 'applicability_config[scope][prices][0][id]' });
    expect(await refused(s.billing.creditGrants.retrieve('credgr_nope'))).toMatchObject({ status: 404 });
    const g = await s.billing.creditGrants.create({
      customer: customer.id,
      amount: usd(100),
      applicability_config: { scope: { price_type: 'metered' } },
    });
    await s.billing.creditGrants.voidGrant(g.id);
    expect(await refused(s.billing.creditGrants.voidGrant(g.id))).toMatchObject({ status: 400 });
    expect(
      await refused(s.billing.creditBalanceSummaries.retrieve({ customer: customer.id, filter: { type: 'credit_grant' } })),
    ).toMatchObject({
      status: 400,
      param: 'filter[credit_grant]',
    });
  });

  it('pays the metered line from the grants in order, leaves other scopes alone, and gives credits back on void', async () => {
    const s = t.stripe;
    const start = await now();
    const clock = await s.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await s.customers.create({ email: 'metered@example.com', test_clock: clock.id });
    const { eventName, price } = await meteredPrice(s);
    const other = await meteredPrice(s);
    const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const paid = await s.billing.creditGrants.create({
      customer: customer.id,
      amount: usd(100),
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid',
    });
    const promo = await s.billing.creditGrants.create({
      customer: customer.id,
      amount: usd(300),
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'promotional',
    });
    const elsewhere = await s.billing.creditGrants.create({
      customer: customer.id,
      amount: usd(1000),
      applicability_config: { scope: { prices: [{ id: other.price.id }] } },
    });
    await s.billing.meterEvents.create({
      event_name: eventName,
      payload: { stripe_customer_id: customer.id, value: '1545' },
      timestamp: start,
    });

    await advanceTestClock(s, clock.id, sub.items.data[0]!.current_period_end + 2 * HOUR);
    const invoices = await s.invoices.list({ customer: customer.id, subscription: sub.id, limit: 10 });
    const inv = invoices.data.find((i) => i.billing_reason === 'subscription_cycle')!;
    const line = inv.lines.data.find((l) => l.pricing?.price_details?.price === price.id)!;
    expect(line.amount).toBe(545); // 1,545 calls, 1,000 free
    const credits = (line.pretax_credit_amounts ?? []).filter((x) => x.type === 'credit_balance_transaction');
    expect(credits.map((x) => x.amount)).toEqual([300, 100]); // promotional first, then paid
    expect(inv.total).toBe(145);
    expect(inv.amount_due).toBe(145); // no card: the invoice stays open
    expect(inv.status).toBe('open');
    const debit = await s.billing.creditBalanceTransactions.retrieve(credits[0]!.credit_balance_transaction as string);
    expect(debit).toMatchObject({
      type: 'debit',
      credit_grant: promo.id,
      debit: { type: 'credits_applied', amount: usd(300), credits_applied: { invoice: inv.id, invoice_line_item: line.id } },
    });
    expect(await available(s, customer.id, { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } })).toBe(0);
    expect(await available(s, customer.id, { type: 'credit_grant', credit_grant: elsewhere.id })).toBe(1000);

    await s.invoices.voidInvoice(inv.id);
    expect(await available(s, customer.id, { type: 'credit_grant', credit_grant: promo.id })).toBe(300);
    expect(await available(s, customer.id, { type: 'credit_grant', credit_grant: paid.id })).toBe(100);
    const back = await s.billing.creditBalanceTransactions.list({ customer: customer.id, credit_grant: paid.id });
    expect(back.data.map((x) => x.credit?.type ?? x.debit?.type).sort()).toEqual([
      'credits_application_invoice_voided',
      'credits_applied',
      'credits_granted',
    ]);
  });

  t.emulatorOnly('announces grants and ledger entries as events', async () => {
    const s = t.stripe;
    const customer = await s.customers.create({});
    const g = await s.billing.creditGrants.create({
      customer: customer.id,
      amount: usd(250),
      applicability_config: { scope: { price_type: 'metered' } },
    });
    await s.billing.creditGrants.expire(g.id);
    const events = (await s.events.list({ limit: 20 })).data.filter((e) => {
      const o = e.data.object as { id?: string; credit_grant?: string };
      return o.id === g.id || o.credit_grant === g.id;
    });
    expect(events.map((e) => e.type).sort()).toEqual([
      'billing.credit_balance_transaction.created',
      'billing.credit_balance_transaction.created',
      'billing.credit_grant.created',
      'billing.credit_grant.updated',
    ]);
  });
});
