/**
 * Access follows the subscription: one pure function of the mirrored subscription and the clock.
 * No I/O here; `requireEntitlement` (entitlements.server.ts) feeds it from SQLite. The states and the
 * predicates that decide them are documented in docs/billing.md.
 */
import { planByLookupKey, PLANS, type Feature, type PlanKey } from './plans';

export type SubscriptionStatus =
  'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';

/** The columns of a mirrored subscription this module needs (a `subscriptions` row fits). */
export interface SubscriptionFacts {
  status: SubscriptionStatus;
  priceLookupKey: string | null;
  cancelAtPeriodEnd: boolean;
  cancelAt: Date | null;
  pauseBehavior: string | null;
  pauseResumesAt: Date | null;
  trialEnd: Date | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
}

type Access = 'full' | 'grace' | 'none';

type AccessReason =
  | 'no_subscription'
  | 'trialing'
  | 'trial_ending'
  | 'active'
  | 'cancel_pending'
  | 'past_due'
  | 'past_due_grace_over'
  | 'collection_paused'
  | 'paused'
  | 'incomplete'
  | 'ended';

export interface Entitlement {
  access: Access;
  plan: PlanKey | null;
  reason: AccessReason;
  /** When this verdict changes by itself (trial end, period end, grace end, pause end), if known. */
  until: Date | null;
}

/** Days a past_due subscription keeps access, counted from the start of the unpaid period. */
export const PAST_DUE_GRACE_DAYS = 7;
/** Slack after a trial's end while Stripe turns the trial into a paid period (webhook lag). */
export const TRIAL_SETTLE_MS = 24 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

function planOf(sub: Pick<SubscriptionFacts, 'priceLookupKey'> | null): PlanKey | null {
  if (!sub?.priceLookupKey) return null;
  return planByLookupKey(sub.priceLookupKey)?.plan.key ?? null;
}

// Predicates in Cashier's vocabulary, over the local row.
export const onTrial = (sub: SubscriptionFacts, now: Date) => sub.status === 'trialing' && sub.trialEnd !== null && now < sub.trialEnd;

const isCollectionPaused = (sub: SubscriptionFacts) => sub.status === 'active' && sub.pauseBehavior !== null;

/** When a cancellation takes effect, if one is scheduled. */
export function cancelsAt(sub: SubscriptionFacts): Date | null {
  if (sub.cancelAt) return sub.cancelAt;
  if (sub.cancelAtPeriodEnd) return sub.currentPeriodEnd;
  return null;
}

/** Cancelled but still inside the paid period (Cashier's onGracePeriod). */
export const onGracePeriod = (sub: SubscriptionFacts, now: Date) => {
  const end = cancelsAt(sub);
  return (sub.status === 'active' || sub.status === 'trialing') && end !== null && now < end;
};

export function pastDueGraceEnds(sub: SubscriptionFacts, graceDays = PAST_DUE_GRACE_DAYS): Date | null {
  return sub.currentPeriodStart ? new Date(sub.currentPeriodStart.getTime() + graceDays * DAY_MS) : null;
}

export function entitlementFor(sub: SubscriptionFacts | null, now: Date, opts: { graceDays?: number } = {}): Entitlement {
  if (!sub) return { access: 'none', plan: null, reason: 'no_subscription', until: null };
  const plan = planOf(sub);
  const verdict = (access: Access, reason: AccessReason, until: Date | null): Entitlement => ({ access, plan, reason, until });

  switch (sub.status) {
    case 'trialing': {
      const end = cancelsAt(sub);
      if (end && now >= end) return verdict('none', 'ended', null);
      if (onTrial(sub, now))
        return verdict('full', end && end < sub.trialEnd! ? 'cancel_pending' : 'trialing', end && end < sub.trialEnd! ? end : sub.trialEnd);
      // Trial is over but Stripe has not told us what came next yet.
      const settleUntil = sub.trialEnd ? new Date(sub.trialEnd.getTime() + TRIAL_SETTLE_MS) : null;
      if (settleUntil && now < settleUntil) return verdict('grace', 'trial_ending', settleUntil);
      return verdict('none', 'ended', null);
    }
    case 'active': {
      if (isCollectionPaused(sub)) return verdict('none', 'collection_paused', sub.pauseResumesAt);
      const end = cancelsAt(sub);
      if (end) return now < end ? verdict('full', 'cancel_pending', end) : verdict('none', 'ended', null);
      return verdict('full', 'active', sub.currentPeriodEnd);
    }
    case 'past_due': {
      const graceEnd = pastDueGraceEnds(sub, opts.graceDays);
      if (graceEnd && now < graceEnd) return verdict('grace', 'past_due', graceEnd);
      return verdict('none', 'past_due_grace_over', null);
    }
    case 'paused':
      return verdict('none', 'paused', null);
    case 'incomplete':
      return verdict('none', 'incomplete', null);
    case 'incomplete_expired':
    case 'canceled':
    case 'unpaid':
      return verdict('none', 'ended', null);
  }
}

function hasAccess(e: Entitlement): boolean {
  return e.access !== 'none';
}

export function hasFeature(e: Entitlement, feature: Feature): boolean {
  return hasAccess(e) && e.plan !== null && PLANS[e.plan].features.includes(feature);
}

/** A sentence a person can act on, for 402 answers and banners. */
export function explainNoAccess(e: Entitlement): string {
  switch (e.reason) {
    case 'no_subscription':
      return 'You have no subscription. Choose a plan on the Billing page.';
    case 'incomplete':
      return 'Your subscription is waiting for payment. Finish paying on the Billing page.';
    case 'past_due_grace_over':
      return 'Your last payment failed and the grace period is over. Update your card on the Billing page.';
    case 'collection_paused':
    case 'paused':
      return 'Your subscription is paused. Resume it on the Billing page.';
    case 'ended':
      return 'Your subscription has ended. Choose a plan on the Billing page to continue.';
    default:
      return 'Your plan does not include this feature. Upgrade on the Billing page.';
  }
}
