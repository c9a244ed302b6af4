/**
 * Billing the calls: every live monthly subscription carries its plan's graduated metered price, the
 * period's meter total is invoiced at the period end with the plan's included calls free, and a plan
 * change mid-period moves the metered item so the period is billed with the new plan's allowance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { ensureCatalog, priceByLookupKey } from '~/billing/catalog.server';
import { syncCustomer } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { subscriptionItems, users } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { UsageLedger } from '~/usage/ledger.server';
import { ensureMeteredItems } from '~/usage/metered-items.server';
import { UsageReporter } from '~/usage/reporter.server';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let seq = 0;

async function subscribed(lookupKey: string) {
  const userId = `usr_bill_${seq++}_${Date.now()}`;
  const customer = await h.stripe.customers.create({ email: `${userId}@example.com`, metadata: { userId } });
  db()
    .insert(users)
    .values({ id: userId, email: `${userId}@example.com`, name: 'Billed', passwordHash: 'x', stripeCustomerId: customer.id })
    .run();
  const pm = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const price = await priceByLookupKey(lookupKey);
  const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], metadata: { userId } });
  await syncCustomer(customer.id);
  return { userId, customer, sub };
}

/** The portal's clock follows the emulator's (as under npm start), which the tests move. */
async function followEmulatorClock() {
  const { now_ms } = await h.control<{ now_ms: number }>('GET', '/clock');
  clock.setOffset(now_ms - Date.now());
}

async function useAndReport(userId: string, calls: number) {
  await followEmulatorClock();
  const ledger = new UsageLedger();
  const rows = 10;
  await Promise.all(
    Array.from({ length: rows }, (_, i) =>
      ledger.record({ userId, apiKeyId: 'k', meter: 'api_call', value: Math.floor(calls / rows) + (i < calls % rows ? 1 : 0) }),
    ),
  );
  const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, backoffMs: () => 50 });
  await new Promise((r) => setTimeout(r, 1_050));
  await waitFor(
    async () => {
      await reporter.tick();
      return (
        (
          db()
            .$client.prepare(
              `SELECT count(*) AS c FROM usage_events WHERE user_id = ? AND (report_id IS NULL OR report_id IN (SELECT id FROM meter_reports WHERE status != 'sent'))`,
            )
            .get(userId) as { c: number }
        ).c === 0
      );
    },
    { what: 'the usage reported' },
  );
}

async function invoiceAfterPeriodEnd(sub: Stripe.Subscription): Promise<Stripe.Invoice> {
  const end = sub.items.data[0]!.current_period_end;
  await h.control('POST', '/clock/advance', { to: end + 120 });
  const after = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  return after.latest_invoice as Stripe.Invoice;
}

describe('usage billing', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await ensureCatalog();
  });
  afterAll(async () => {
    clock.reset();
    await h?.close();
  });

  it('adds the plan’s metered price and bills the calls beyond the included 10,000 at $0.01 at the period end', async () => {
    const { userId, sub } = await subscribed('starter_monthly');
    const changes = await ensureMeteredItems({ subscriptionIds: [sub.id] });
    expect(changes).toEqual([{ subscriptionId: sub.id, action: 'added', lookupKey: 'api_calls_starter_monthly' }]);
    expect(await ensureMeteredItems({ subscriptionIds: [sub.id] })).toEqual([]); // already right
    const items = db().select().from(subscriptionItems).where(eq(subscriptionItems.subscriptionId, sub.id)).all();
    expect(items.map((i) => i.priceLookupKey).sort()).toEqual(['api_calls_starter_monthly', 'starter_monthly']);

    await useAndReport(userId, 12_345);
    const invoice = await invoiceAfterPeriodEnd(sub);
    expect(invoice.billing_reason).toBe('subscription_cycle');
    const usage = invoice.lines.data.find((l) => l.description?.startsWith('API calls'))!;
    expect(usage.description).toBe('API calls: 12,345 × tiers');
    expect(usage.amount).toBe(2_345); // 12,345 − 10,000 included, at 1¢
  });

  it('moves the metered item on a plan change mid-period, so the period is billed with the new allowance', async () => {
    const { userId, customer, sub } = await subscribed('starter_monthly');
    await ensureMeteredItems({ subscriptionIds: [sub.id] });
    await useAndReport(userId, 30_000);
    // Upgrade to Pro mid-period (what the plan change does to the plan item).
    const planItem = sub.items.data[0]!;
    await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: planItem.id, price: (await priceByLookupKey('pro_monthly')).id }],
      proration_behavior: 'none',
    });
    await syncCustomer(customer.id);
    expect(await ensureMeteredItems({ subscriptionIds: [sub.id] })).toEqual([
      { subscriptionId: sub.id, action: 'moved', lookupKey: 'api_calls_pro_monthly' },
    ]);
    await useAndReport(userId, 5_000);
    const invoice = await invoiceAfterPeriodEnd(await h.stripe.subscriptions.retrieve(sub.id));
    const usage = invoice.lines.data.find((l) => l.description?.startsWith('API calls'))!;
    expect(usage.description).toBe('API calls: 35,000 × tiers');
    expect(usage.amount).toBe(0); // within Pro's 100,000
  });
});
