import type Stripe from 'stripe';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentSubscription, getBillingState } from '~/billing/queries.server';
import { writeSnapshot } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { customers, invoiceLines, invoices, paymentMethods, subscriptionItems, subscriptions, users } from '~/db/schema';
import { targetOf } from '~/webhooks/handlers.server';
import { loadEvent } from '../helpers/stripe-events';

const subFixture = () => structuredClone(loadEvent('customer.subscription.updated').data.object) as unknown as Stripe.Subscription;
const invoiceFixture = () => structuredClone(loadEvent('invoice.paid').data.object) as unknown as Stripe.Invoice;
const write = (snap: Parameters<typeof writeSnapshot>[1], at: number) => db().transaction((tx) => writeSnapshot(tx, snap, new Date(at)));

describe('mirror writes (sync.server.ts)', () => {
  beforeEach(() => {
    for (const t of [subscriptionItems, subscriptions, invoiceLines, invoices, paymentMethods, customers, users]) db().delete(t).run();
  });

  it('maps a subscription: periods from the items, cancel state, plan price and lookup key', () => {
    write({ kind: 'subscription', id: 'sub_1FixtureSubscription01', object: subFixture() }, 1000);
    const row = db().select().from(subscriptions).get()!;
    expect(row).toMatchObject({
      id: 'sub_1FixtureSubscription01',
      customerId: 'cus_FixtureCustomer01',
      status: 'active',
      cancelAtPeriodEnd: true,
      priceId: 'price_FixturePro01',
      priceLookupKey: 'pro_monthly',
      quantity: 1,
      defaultPaymentMethodId: 'pm_FixtureCard01',
      latestInvoiceId: 'in_FixtureInvoice01',
    });
    expect(row.currentPeriodStart?.getTime()).toBe(1787000000 * 1000);
    expect(row.currentPeriodEnd?.getTime()).toBe(1789592000 * 1000);
    expect(db().select().from(subscriptionItems).all()).toMatchObject([{ id: 'si_FixtureItem01', priceLookupKey: 'pro_monthly' }]);
  });

  it('keeps every Stripe status, including past_due, incomplete and paused', () => {
    for (const status of ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const) {
      const sub = { ...subFixture(), id: `sub_${status}`, status };
      write({ kind: 'subscription', id: sub.id, object: sub }, 1000);
    }
    expect(
      db()
        .select()
        .from(subscriptions)
        .all()
        .map((s) => s.status)
        .sort(),
    ).toEqual(['active', 'canceled', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'].sort());
  });

  it('never lets an older read overwrite a newer one (out-of-order completion)', () => {
    const newer = { ...subFixture(), status: 'canceled' as const };
    const older = { ...subFixture(), status: 'active' as const, items: { ...subFixture().items, data: [] } };
    write({ kind: 'subscription', id: newer.id, object: newer }, 2000);
    write({ kind: 'subscription', id: older.id, object: older }, 1000);
    expect(db().select().from(subscriptions).get()!.status).toBe('canceled');
    expect(db().select().from(subscriptionItems).all()).toHaveLength(1);
    // An equal or later read wins.
    write({ kind: 'subscription', id: older.id, object: older }, 2000);
    expect(db().select().from(subscriptions).get()!.status).toBe('active');
    expect(db().select().from(subscriptionItems).all()).toHaveLength(0);
  });

  it('marks objects Stripe no longer has as deleted instead of removing them', () => {
    write({ kind: 'invoice', id: 'in_FixtureInvoice01', object: invoiceFixture() }, 1000);
    write({ kind: 'invoice', id: 'in_FixtureInvoice01', object: null }, 2000);
    expect(db().select().from(invoices).get()).toMatchObject({ id: 'in_FixtureInvoice01', deleted: true, amountPaid: 4900 });
    write(
      {
        kind: 'customer',
        id: 'cus_FixtureCustomer01',
        object: {
          id: 'cus_FixtureCustomer01',
          object: 'customer',
          created: 1,
          email: 'a@example.com',
          name: 'A',
          balance: 0,
          metadata: {},
          invoice_settings: { default_payment_method: null },
        } as unknown as Stripe.Customer,
      },
      1000,
    );
    write(
      {
        kind: 'customer',
        id: 'cus_FixtureCustomer01',
        object: { id: 'cus_FixtureCustomer01', object: 'customer', deleted: true } as Stripe.DeletedCustomer,
      },
      3000,
    );
    expect(db().select().from(customers).get()).toMatchObject({ deleted: true, email: 'a@example.com' });
  });

  it('maps an invoice: the subscription from parent, urls, amounts in minor units', () => {
    write({ kind: 'invoice', id: 'in_FixtureInvoice01', object: invoiceFixture() }, 1000);
    expect(db().select().from(invoices).get()).toMatchObject({
      subscriptionId: 'sub_1FixtureSubscription01',
      status: 'paid',
      number: 'FIX-0001',
      amountDue: 4900,
      currency: 'usd',
      billingReason: 'subscription_cycle',
      hostedInvoiceUrl: 'https://invoice.stripe.com/i/fixture',
      invoicePdf: 'https://pay.stripe.com/invoice/fixture/pdf',
    });
  });

  it('reads billing state scoped to the owner only', () => {
    db()
      .insert(users)
      .values([
        { id: 'usr_a', email: 'a@example.com', name: 'A', passwordHash: 'x', stripeCustomerId: 'cus_FixtureCustomer01' },
        { id: 'usr_b', email: 'b@example.com', name: 'B', passwordHash: 'x', stripeCustomerId: 'cus_other' },
      ])
      .run();
    write({ kind: 'subscription', id: 'sub_1FixtureSubscription01', object: subFixture() }, 1000);
    write({ kind: 'invoice', id: 'in_FixtureInvoice01', object: invoiceFixture() }, 1000);
    const a = getBillingState({ userId: 'usr_a' });
    expect(a.subscription?.id).toBe('sub_1FixtureSubscription01');
    expect(a.subscription?.items).toHaveLength(1);
    expect(a.invoices.map((i) => i.id)).toEqual(['in_FixtureInvoice01']);
    expect(db().select().from(subscriptions).get()!.userId).toBe('usr_a');
    const b = getBillingState({ userId: 'usr_b' });
    expect(b.subscription).toBeNull();
    expect(b.invoices).toEqual([]);
  });

  it('prefers the newest live subscription over a newer canceled one', () => {
    const at = (s: number) => new Date(s * 1000);
    const picked = currentSubscription([
      { id: 'old', status: 'canceled' as const, stripeCreated: at(3) },
      { id: 'live', status: 'past_due' as const, stripeCreated: at(2) },
    ]);
    expect(picked?.id).toBe('live');
  });

  it('routes each event to the object to re-read', () => {
    const e = (type: string, object: Record<string, unknown>) => targetOf({ id: 'evt', type, created: 1, object });
    expect(e('customer.subscription.updated', { id: 'sub_1' })).toEqual({ kind: 'subscription', id: 'sub_1' });
    expect(e('invoice.payment_failed', { id: 'in_1' })).toEqual({ kind: 'invoice', id: 'in_1' });
    expect(e('subscription_schedule.released', { id: 'sub_sched_1', subscription: null, released_subscription: 'sub_2' })).toEqual({
      kind: 'subscription',
      id: 'sub_2',
    });
    expect(e('checkout.session.completed', { id: 'cs_1', subscription: 'sub_3', payment_intent: null })).toEqual({
      kind: 'subscription',
      id: 'sub_3',
    });
    expect(e('invoice_payment.paid', { id: 'inpay_1', invoice: 'in_9' })).toEqual({ kind: 'invoice', id: 'in_9' });
    expect(e('radar.early_fraud_warning.created', { id: 'issfr_1' })).toBeNull();
  });
});
