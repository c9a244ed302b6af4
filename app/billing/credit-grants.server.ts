/**
 * Credit packs in Stripe: each pack's credits become a Stripe billing credit grant scoped to the
 * metered prices, so Stripe spends them on the calls beyond the plan's allowance at the period end,
 * before anything is charged (docs/billing.md, "Credits"). Run by the usage reporter from the
 * `webhook_effects` rows the purchase and refunds record (app/billing/payments.server.ts):
 *
 *  - a `credit_grant` effect without its grant gets one (`billing.creditGrants.create`, idempotency
 *    key `credit-grant:{paymentIntent}`), recorded as a `stripe_credit_grant` effect;
 *  - a `credit_revoke` effect (a refund) ends the pack's current grant and, when part of the pack is
 *    left, grants that part again: Stripe cannot lower a grant. What is left is decided once and
 *    written down before any call (`credit_regrant_plan`), so a retry after a crash makes the same
 *    calls with the same idempotency keys.
 *
 * What Stripe spent is read from the invoices it finalized: `creditSpendEffects` (webhooks) records
 * the credits a finalized invoice's lines took, and gives them back when the invoice is voided.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { db } from '~/db/client.server';
import { users, webhookEffects } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { ONE_TIME } from './plans';
import type { Tx } from './sync.server';

const { creditValue } = ONE_TIME.credit_pack;

interface EffectRow {
  key: string;
  userId: string | null;
  data: Record<string, unknown> | null;
}

function insertOnce(
  tx: Tx | ReturnType<typeof db>,
  effect: { key: string; kind: string; eventId: string; userId: string | null; data: Record<string, unknown> },
) {
  return (
    tx
      .insert(webhookEffects)
      .values({ ...effect, createdAt: machineClock.nowMs() })
      .onConflictDoNothing()
      .run().changes > 0
  );
}

function customerOf(userId: string | null): string | null {
  if (!userId) return null;
  return db().select({ id: users.stripeCustomerId }).from(users).where(eq(users.id, userId)).get()?.id ?? null;
}

/** The grant that holds a pack's credits now (the latest one made for it), or null. */
function currentGrant(paymentIntent: string): string | null {
  const row = db()
    .select({ data: webhookEffects.data })
    .from(webhookEffects)
    .where(
      and(eq(webhookEffects.kind, 'stripe_credit_grant'), sql`json_extract(${webhookEffects.data}, '$.paymentIntent') = ${paymentIntent}`),
    )
    .orderBy(desc(webhookEffects.createdAt), desc(sql`rowid`))
    .get();
  return typeof row?.data?.grant === 'string' ? row.data.grant : null;
}

/** `credit_grant` effects (or `credit_revoke` ones) that have no `{prefix}{key}` effect yet. */
function pending(kind: 'credit_grant' | 'credit_revoke', prefix: string): EffectRow[] {
  return db()
    .select({ key: webhookEffects.key, userId: webhookEffects.userId, data: webhookEffects.data })
    .from(webhookEffects)
    .where(
      and(
        eq(webhookEffects.kind, kind),
        sql`not exists (select 1 from ${webhookEffects} done where done.key = ${prefix} || ${webhookEffects.key})`,
      ),
    )
    .orderBy(webhookEffects.createdAt)
    .all();
}

async function grantCredits(row: EffectRow): Promise<boolean> {
  const pi = String(row.data?.paymentIntent ?? '');
  const credits = Number(row.data?.credits ?? 0);
  const customer = customerOf(row.userId);
  if (!pi || !customer || !(credits > 0)) return false;
  const grant = await stripe().billing.creditGrants.create(
    {
      customer,
      name: ONE_TIME.credit_pack.name,
      amount: { type: 'monetary', monetary: { currency: String(row.data?.currency ?? 'usd'), value: credits * creditValue } },
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid',
      metadata: { payment_intent: pi, ...(row.userId ? { user_id: row.userId } : {}) },
    },
    { idempotencyKey: `credit-grant:${pi}` },
  );
  return insertOnce(db(), {
    key: `stripe:${row.key}`,
    kind: 'stripe_credit_grant',
    eventId: 'credit-grants',
    userId: row.userId,
    data: { paymentIntent: pi, grant: grant.id, credits },
  });
}

async function availableOn(grant: string, customer: string): Promise<number> {
  const summary = await stripe().billing.creditBalanceSummaries.retrieve({
    customer,
    filter: { type: 'credit_grant', credit_grant: grant },
  });
  return summary.balances.reduce((s, b) => s + (b.available_balance.monetary?.value ?? 0), 0);
}

async function revokeCredits(row: EffectRow): Promise<boolean> {
  const pi = String(row.data?.paymentIntent ?? '');
  const customer = customerOf(row.userId);
  const grant = pi ? currentGrant(pi) : null;
  // The pack's grant is made first (same pass, earlier step); without one there is nothing to end.
  if (!customer || !grant) return false;
  const planKey = `plan:${row.key}`;
  const due = Number(row.data?.credits ?? 0) * creditValue;
  // Decide once what stays: a retry reads the plan instead of a balance the first try already ended.
  const planned = db().select({ data: webhookEffects.data }).from(webhookEffects).where(eq(webhookEffects.key, planKey)).get();
  const remaining = planned ? Number(planned.data?.remaining ?? 0) : Math.max(0, (await availableOn(grant, customer)) - due);
  if (!planned)
    insertOnce(db(), {
      key: planKey,
      kind: 'credit_regrant_plan',
      eventId: 'credit-grants',
      userId: row.userId,
      data: { paymentIntent: pi, grant, remaining },
    });
  const ended = await stripe()
    .billing.creditGrants.expire(grant, {}, { idempotencyKey: `credit-expire:${row.key}` })
    .catch((error: Stripe.errors.StripeError) => {
      // Ended already (by an earlier try whose key has expired, or in the Dashboard): nothing to do.
      if (error.statusCode === 400 && /expired|voided/i.test(error.message)) return null;
      throw error;
    });
  if (remaining > 0) {
    const again = await stripe().billing.creditGrants.create(
      {
        customer,
        name: ONE_TIME.credit_pack.name,
        amount: { type: 'monetary', monetary: { currency: String(row.data?.currency ?? 'usd'), value: remaining } },
        applicability_config: { scope: { price_type: 'metered' } },
        category: 'paid',
        metadata: { payment_intent: pi, replaces: ended?.id ?? grant, ...(row.userId ? { user_id: row.userId } : {}) },
      },
      { idempotencyKey: `credit-regrant:${row.key}` },
    );
    insertOnce(db(), {
      key: `stripe:${row.key}`,
      kind: 'stripe_credit_grant',
      eventId: 'credit-grants',
      userId: row.userId,
      data: { paymentIntent: pi, grant: again.id, credits: remaining / creditValue },
    });
  } else {
    insertOnce(db(), {
      key: `stripe:${row.key}`,
      kind: 'stripe_credit_ended',
      eventId: 'credit-grants',
      userId: row.userId,
      data: { paymentIntent: pi, grant },
    });
  }
  return true;
}

/** One pass: grants for new packs, then refunds. Returns how many effects were carried to Stripe. */
export async function syncCreditGrants(): Promise<number> {
  let done = 0;
  // Sequential on purpose: a refund's step needs its pack's grant, made earlier in the pass.
  for (const row of pending('credit_grant', 'stripe:')) if (await grantCredits(row)) done += 1;
  for (const row of pending('credit_revoke', 'stripe:')) if (await revokeCredits(row)) done += 1;
  return done;
}

/**
 * The credits a finalized invoice's lines took from billing credit grants (Stripe applies them at
 * finalization, before tax), recorded once per invoice; a voided invoice gives them back once
 * (Stripe reinstates them). In credits, not money: `credits × creditValue` is what they paid.
 */
export function recordCreditSpend(tx: Tx, invoice: Stripe.Invoice, userId: string | null, eventId: string): void {
  if (!userId || invoice.status === 'draft') return;
  const paid = invoice.lines.data
    .flatMap((l) => l.pretax_credit_amounts ?? [])
    .filter((c) => c.type === 'credit_balance_transaction')
    .reduce((s, c) => s + c.amount, 0);
  if (paid <= 0) return;
  const credits = Math.round(paid / creditValue);
  insertOnce(tx, {
    key: `credit-spend:${invoice.id}`,
    kind: 'credit_spend',
    eventId,
    userId,
    data: { invoice: invoice.id, credits, amount: paid },
  });
  if (invoice.status === 'void')
    insertOnce(tx, {
      key: `credit-unspend:${invoice.id}`,
      kind: 'credit_unspend',
      eventId,
      userId,
      data: { invoice: invoice.id, credits, amount: paid },
    });
}
