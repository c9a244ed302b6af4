/**
 * The plan-change rules as one pure function (isomorphic, unit-tested in tests/unit/plan-change.test.ts,
 * documented in docs/billing.md "Changing plan"). Given what the customer has now and what they want,
 * it says whether the change is refused, applies now (and whether it is charged now), or waits for the
 * period end. `plan-changes.server.ts` does what it says; the review page words it.
 */
import { MAX_SEATS, PLANS, type Interval, type PlanKey } from './plans';
import type { SubscriptionStatus } from './entitlements';

export interface PlanChoice {
  plan: PlanKey;
  interval: Interval;
  seats: number;
}

/** What the rules need to know about the current subscription (the mirror row fits, via `currentFacts`). */
export interface CurrentPlan extends PlanChoice {
  status: SubscriptionStatus;
  /** `pause_collection` is set (status stays active). */
  collectionPaused: boolean;
  /** Set to cancel at the period end (or at a date). */
  cancelPending: boolean;
  /** A change already scheduled for the period end (a subscription schedule's next phase). */
  pending: PlanChoice | null;
}

type RefusalReason = 'past_due' | 'not_changeable' | 'same_plan' | 'already_scheduled' | 'invalid_seats';

export type PlanChangeDecision =
  | { kind: 'refused'; reason: RefusalReason; message: string }
  /**
   * Applies at once. `charge`: invoiced now (`always_invoice` + `pending_if_incomplete`); false during a
   * trial (nothing is charged, the trial end stays). `resetsPeriod`: the interval changes, so Stripe
   * starts a new period today (month → year).
   */
  | { kind: 'now'; charge: boolean; resetsPeriod: boolean; clearsCancel: boolean; dropsPending: boolean }
  /** Scheduled for the period end with a subscription schedule; nothing is charged today. */
  | { kind: 'period_end'; clearsCancel: boolean; replacesPending: boolean }
  /** The customer picked what they have while a change is scheduled: the schedule is released (Undo). */
  | { kind: 'keep_current' };

/** The recurring amount per month in minor units, seats included (a yearly price counts a twelfth). */
export function monthlyAmount(choice: PlanChoice): number {
  const price = PLANS[choice.plan].prices[choice.interval];
  const total = price.unitAmount * seatsFor(choice);
  return choice.interval === 'year' ? total / 12 : total;
}

/** Seats as billed: per-seat plans carry the count, the others are always one. */
export function seatsFor(choice: Pick<PlanChoice, 'plan' | 'seats'>): number {
  return PLANS[choice.plan].perSeat ? choice.seats : 1;
}

export function sameChoice(a: PlanChoice, b: PlanChoice): boolean {
  return a.plan === b.plan && a.interval === b.interval && seatsFor(a) === seatsFor(b);
}

function validSeats(seats: number): boolean {
  return Number.isInteger(seats) && seats >= 1 && seats <= MAX_SEATS;
}

/**
 * The rules (docs/billing.md):
 * - past due or unpaid: no change until the open invoice is paid; incomplete, paused or ended: none;
 * - during a trial: every change applies now, charges nothing and keeps the trial end;
 * - monthly → yearly, and any change to a higher amount per month (seats included): now, invoiced now;
 * - every other change (lower or equal amount, fewer seats, yearly → monthly): at the period end;
 * - the current choice while a change is scheduled: keep it (release the schedule);
 * - a subscription set to cancel: the change also clears the cancellation (the review says so).
 */
export function decidePlanChange(current: CurrentPlan, wanted: PlanChoice): PlanChangeDecision {
  if (PLANS[wanted.plan].perSeat && !validSeats(wanted.seats)) {
    return { kind: 'refused', reason: 'invalid_seats', message: `Choose between 1 and ${MAX_SEATS} seats.` };
  }
  if (current.status === 'past_due' || current.status === 'unpaid') {
    return { kind: 'refused', reason: 'past_due', message: 'Your last payment failed. Pay the open invoice first, then change your plan.' };
  }
  if (current.status === 'active' && current.collectionPaused) {
    return {
      kind: 'refused',
      reason: 'not_changeable',
      message: 'Payments on your subscription are paused. Resume it first, then change your plan.',
    };
  }
  if (current.status !== 'active' && current.status !== 'trialing') {
    return {
      kind: 'refused',
      reason: 'not_changeable',
      message:
        current.status === 'incomplete'
          ? 'Finish paying for your subscription first.'
          : 'You have no subscription to change. Choose a plan on the Billing page.',
    };
  }
  const clearsCancel = current.cancelPending;
  if (sameChoice(current, wanted)) {
    if (current.pending) return { kind: 'keep_current' };
    if (clearsCancel) return { kind: 'now', charge: false, resetsPeriod: false, clearsCancel: true, dropsPending: false };
    return { kind: 'refused', reason: 'same_plan', message: 'That is already your plan.' };
  }
  if (current.pending && sameChoice(current.pending, wanted) && !clearsCancel) {
    return { kind: 'refused', reason: 'already_scheduled', message: 'That change is already scheduled for the end of this period.' };
  }
  const resetsPeriod = current.interval !== wanted.interval;
  if (current.status === 'trialing') {
    return { kind: 'now', charge: false, resetsPeriod: false, clearsCancel, dropsPending: current.pending !== null };
  }
  const toYearly = current.interval === 'month' && wanted.interval === 'year';
  const toMonthly = current.interval === 'year' && wanted.interval === 'month';
  if (toYearly || (!toMonthly && monthlyAmount(wanted) > monthlyAmount(current))) {
    return { kind: 'now', charge: true, resetsPeriod, clearsCancel, dropsPending: current.pending !== null };
  }
  return { kind: 'period_end', clearsCancel, replacesPending: current.pending !== null };
}
