/**
 * Credit packs are spent before overage is billed: a bought pack becomes a Stripe billing credit
 * grant (once, however often the reporter runs), Stripe pays the period's calls beyond the
 * allowance from it at the period end, the credits page shows what is left, and a partial refund
 * ends the grant and grants again only what is left after the refund's share.
 */
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUserByEmail } from '~/auth/users.server';
import { ensureCatalog, priceByLookupKey } from '~/billing/catalog.server';
import { syncCreditGrants } from '~/billing/credit-grants.server';
import { invoiceDetail } from '~/billing/invoices.server';
import { completeCreditPackPurchase, creditsOverview, startCreditPackPurchase } from '~/billing/payments.server';
import { syncCustomer } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { users, webhookEffects } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { UsageLedger } from '~/usage/ledger.server';
import { ensureMeteredItems } from '~/usage/metered-items.server';
import { UsageReporter } from '~/usage/reporter.server';
import { action as signupAction } from '~/routes/signup';
import { formRequest, settle } from '../helpers/requests';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await ensureCatalog();
});
afterAll(async () => {
  clock.reset();
  await h?.close();
});

async function followEmulatorClock() {
  const { now_ms } = await h.control<{ now_ms: number }>('GET', '/clock');
  clock.setOffset(now_ms - Date.now());
}

async function available(customer: string): Promise<number> {
  const summary = await h.stripe.billing.creditBalanceSummaries.retrieve({
    customer,
    filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } },
  });
  return summary.balances.reduce((s, b) => s + (b.available_balance.monetary?.value ?? 0), 0);
}

const effects = (userId: string, kind: string) =>
  db()
    .select()
    .from(webhookEffects)
    .where(eq(webhookEffects.userId, userId))
    .all()
    .filter((e) => e.kind === kind);

describe('credit packs pay the overage', () => {
  it('grants the pack in Stripe once, spends it on the calls beyond the allowance, and regrants what a refund leaves', async () => {
    const email = `spend-${Date.now()}@example.com`;
    await settle(() =>
      signupAction({
        request: formRequest('/signup', { name: 'Heavy User', email, password: 'spend-password-1' }),
        params: {},
        context: {},
      }),
    );
    const userId = getUserByEmail(email)!.id;

    // The pack, bought as the page buys it.
    const step = await startCreditPackPurchase({ userId, nonce: 'spend-nonce-1' });
    const pack = step.clientSecret.split('_secret_')[0]!;
    await h.stripe.paymentIntents.confirm(pack, { payment_method: 'pm_card_visa' });
    await completeCreditPackPurchase({ userId, clientSecret: step.clientSecret });
    expect(creditsOverview({ userId }).credits).toBe(5_000);

    const customer = db().select().from(users).where(eq(users.id, userId)).get()!.stripeCustomerId!;
    expect(await syncCreditGrants()).toBe(1);
    expect(await syncCreditGrants()).toBe(0); // once
    const grants = await h.stripe.billing.creditGrants.list({ customer });
    expect(grants.data).toHaveLength(1);
    expect(grants.data[0]).toMatchObject({
      amount: { type: 'monetary', monetary: { currency: 'usd', value: 5_000 } }, // 5,000 calls at 1¢
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid',
      metadata: { payment_intent: pack, user_id: userId },
    });

    // A Starter subscription with its metered item, and 12,345 calls: 2,345 beyond the 10,000 included.
    const pm = await h.stripe.paymentMethods.attach('pm_card_visa', { customer });
    await h.stripe.customers.update(customer, { invoice_settings: { default_payment_method: pm.id } });
    const sub = await h.stripe.subscriptions.create({
      customer,
      items: [{ price: (await priceByLookupKey('starter_monthly')).id }],
      metadata: { userId },
    });
    await syncCustomer(customer);
    await ensureMeteredItems({ subscriptionIds: [sub.id] });
    await followEmulatorClock();
    const ledger = new UsageLedger();
    await Promise.all([6_000, 6_345].map((value) => ledger.record({ userId, apiKeyId: 'k', meter: 'api_call', value })));
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, backoffMs: () => 50 });
    await new Promise((r) => setTimeout(r, 1_050));
    await waitFor(
      async () => (
        await reporter.tick(),
        (db().$client.prepare(`SELECT count(*) AS c FROM meter_reports WHERE user_id = ? AND status = 'sent'`).get(userId) as { c: number })
          .c > 0
      ),
      {
        what: 'the usage reported',
      },
    );

    await h.control('POST', '/clock/advance', { to: sub.items.data[0]!.current_period_end + 120 });
    const invoice = (await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] })).latest_invoice as Stripe.Invoice;
    const usage = invoice.lines.data.find((l) => l.description?.startsWith('API calls'))!;
    expect(usage.amount).toBe(2_345);
    expect(usage.pretax_credit_amounts?.filter((c) => c.type === 'credit_balance_transaction').map((c) => c.amount)).toEqual([2_345]);
    const plan = invoice.lines.data.filter((l) => l !== usage).reduce((s, l) => s + l.amount, 0);
    expect(invoice.amount_paid).toBe(plan); // the plan is charged; the calls were paid with credits
    await waitFor(() => effects(userId, 'credit_spend').length === 1, {
      what: 'the spend recorded from the invoice webhooks',
      timeoutMs: 15_000,
    });
    expect(creditsOverview({ userId }).credits).toBe(5_000 - 2_345);
    // The invoice page says so: "Credits applied −$23.45", and the total is what was charged.
    expect(invoiceDetail({ userId, invoiceId: invoice.id })).toMatchObject({ billingCredits: 2_345, total: plan, amountPaid: plan });
    expect(await available(customer)).toBe(5_000 - 2_345);

    // $10 of the $25 pack refunded: 2,000 credits taken back, the 655 left are granted again.
    await h.stripe.refunds.create({ payment_intent: pack, amount: 1_000 });
    await waitFor(() => effects(userId, 'credit_revoke').length === 1, { what: 'the refund webhook handled', timeoutMs: 15_000 });
    expect(creditsOverview({ userId }).credits).toBe(655);
    expect(await syncCreditGrants()).toBe(1);
    expect(await syncCreditGrants()).toBe(0);
    expect(await available(customer)).toBe(655);
    const after = await h.stripe.billing.creditGrants.list({ customer });
    expect(after.data.map((g) => [g.amount.monetary?.value, g.expires_at === null]).sort()).toEqual([
      [5_000, false],
      [655, true],
    ]);
  });
});
