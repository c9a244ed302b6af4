/**
 * Dunning, as the pages show it (docs/billing.md, "Dunning"): when the user's subscription is past due
 * or unpaid, the banner on every page says which payment failed, when, how many days of access are
 * left, and links to the open invoice, where it can be paid with the saved card, a new card or 3D
 * Secure. When a subscription ended because payments failed, the overview says so. Read from the
 * mirror and the recorded webhook effects only (no Stripe calls): the root loader runs it per page.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { preparedFor } from '~/db/prepared.server';
import { invoices, subscriptions, webhookEffects } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { entitlementFor } from './entitlements';
import { currentSubscription } from './queries.server';
import { daysLeft, shortDate } from './status';

export interface DunningNotice {
  status: 'past_due' | 'unpaid';
  /** The bank asked the customer to authenticate (3D Secure) rather than declining. */
  actionRequired: boolean;
  /** What is owed: null while the failed invoice is not in the mirror yet (its webhook comes apart). */
  amount: number | null;
  currency: string;
  /** "3 Dec": when the payment failed. */
  failedOn: string | null;
  /** Days of access left (past_due within its grace period), else null. */
  graceDaysLeft: number | null;
  /** Where the customer fixes it: the open invoice's page. */
  fixPath: string;
}

export interface EndedNotice {
  /** "3 Jan" */
  endedOn: string | null;
  reason: 'payment_failed' | 'other';
}

function effectData(userId: string, kind: string, invoiceId: string) {
  const rows = db()
    .select({ data: webhookEffects.data })
    .from(webhookEffects)
    .where(and(eq(webhookEffects.userId, userId), eq(webhookEffects.kind, kind)))
    .orderBy(desc(webhookEffects.createdAt))
    .limit(20)
    .all();
  return rows.map((r) => r.data ?? {}).find((d) => d.invoice === invoiceId) ?? null;
}

/** The user's subscriptions: the root loader reads them on every signed-in page, so compiled once per database handle. */
const userSubscriptions = preparedFor((d) =>
  d
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.userId, sql.placeholder('userId')))
    .prepare(),
);

/** The banner's facts, or null when nothing is owed. */
export function dunningNotice(userId: string): DunningNotice | null {
  const subs = userSubscriptions().all({ userId });
  const sub = currentSubscription(subs);
  if (!sub || (sub.status !== 'past_due' && sub.status !== 'unpaid')) return null;
  const open = db()
    .select()
    .from(invoices)
    .where(and(eq(invoices.subscriptionId, sub.id), inArray(invoices.status, ['open'])))
    .orderBy(desc(invoices.stripeCreated))
    .get();
  const now = clock.now();
  const failed = open ? effectData(userId, 'email:payment-failed', open.id) : null;
  const action = open ? effectData(userId, 'email:payment-action-required', open.id) : null;
  const failedAt = typeof failed?.failedAt === 'number' ? new Date(failed.failedAt * 1000) : (open?.finalizedAt ?? null);
  const entitlement = entitlementFor(sub, now);
  return {
    status: sub.status,
    actionRequired: !!action,
    amount: open ? open.amountRemaining : null,
    currency: open?.currency ?? sub.currency,
    failedOn: failedAt ? shortDate(failedAt, now) : null,
    graceDaysLeft: entitlement.access === 'grace' && entitlement.until ? daysLeft(entitlement.until, now) : null,
    fixPath: open ? `/billing/invoices/${open.id}` : '/billing/payment-methods',
  };
}

/** When the user's newest subscription ended (and no other is live): why, for the overview. */
export function endedNotice(userId: string): EndedNotice | null {
  const subs = userSubscriptions().all({ userId });
  const sub = currentSubscription(subs);
  if (!sub || sub.status !== 'canceled') return null;
  const now = clock.now();
  const effect = db()
    .select({ data: webhookEffects.data })
    .from(webhookEffects)
    .where(eq(webhookEffects.key, `email:subscription-canceled:${sub.id}`))
    .get();
  const ended = sub.endedAt ?? sub.canceledAt;
  return { endedOn: ended ? shortDate(ended, now) : null, reason: effect?.data?.reason === 'payment_failed' ? 'payment_failed' : 'other' };
}
