/**
 * The words and colours of a subscription's state, as the overview shows them. Pure and isomorphic
 * (unit-tested), fed from the mirror.
 */
import { formatMoney } from '~/lib/money';
import { cancelsAt, pastDueGraceEnds, type SubscriptionFacts } from './entitlements';

export type Tone = 'green' | 'blue' | 'amber' | 'red' | 'gray';

export interface StatusView {
  label: string;
  tone: Tone;
  /** The sentence under the badge, e.g. "Renews 3 Jan for $49.00". */
  detail: string;
}

// Made once: `toLocaleDateString` with options makes a new `Intl.DateTimeFormat` on every call.
const withoutYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const withYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "12 Dec", or "12 Dec 2027" when not in the current year (UTC, like Stripe's periods). */
export function shortDate(date: Date, now: Date): string {
  // As `toLocaleDateString` does, an unreadable date reads "Invalid Date" (`format` would throw).
  if (Number.isNaN(date.getTime())) return 'Invalid Date';
  return (date.getUTCFullYear() === now.getUTCFullYear() ? withoutYear : withYear).format(date);
}

export function daysLeft(until: Date, now: Date): number {
  return Math.max(0, Math.ceil((until.getTime() - now.getTime()) / 86_400_000));
}

export function describeStatus(sub: SubscriptionFacts, now: Date, next: { amount: number; currency: string } | null): StatusView {
  const cancelDate = cancelsAt(sub);
  switch (sub.status) {
    case 'trialing': {
      const end = sub.trialEnd ?? sub.currentPeriodEnd;
      if (!end) return { label: 'Trial', tone: 'blue', detail: 'Your free trial is running.' };
      const left = daysLeft(end, now);
      const when = `${left} day${left === 1 ? '' : 's'} left`;
      if (cancelDate) return { label: 'Trial', tone: 'amber', detail: `Ends ${shortDate(end, now)} (${when}); it will not renew.` };
      return {
        label: 'Trial',
        tone: 'blue',
        detail: `Ends ${shortDate(end, now)} (${when})${next ? `, then ${formatMoney(next.amount, next.currency)}` : ''}.`,
      };
    }
    case 'active': {
      if (sub.pauseBehavior) {
        return {
          label: 'Paused',
          tone: 'gray',
          detail: sub.pauseResumesAt
            ? `Payments are paused until ${shortDate(sub.pauseResumesAt, now)}.`
            : 'Payments are paused until you resume.',
        };
      }
      if (cancelDate)
        return {
          label: `Cancels on ${shortDate(cancelDate, now)}`,
          tone: 'amber',
          detail: `You keep full access until ${shortDate(cancelDate, now)}. Nothing more will be charged.`,
        };
      if (!sub.currentPeriodEnd) return { label: 'Active', tone: 'green', detail: 'Your subscription is active.' };
      return {
        label: 'Active',
        tone: 'green',
        detail: `Renews ${shortDate(sub.currentPeriodEnd, now)}${next ? ` for ${formatMoney(next.amount, next.currency)}` : ''}.`,
      };
    }
    case 'past_due': {
      const grace = pastDueGraceEnds(sub);
      return {
        label: 'Past due',
        tone: 'red',
        detail: `Your last payment failed: update your card${grace && grace > now ? ` before ${shortDate(grace, now)} to keep access` : ''}.`,
      };
    }
    case 'paused':
      return { label: 'Paused', tone: 'gray', detail: 'Your subscription is paused. Resume it to get access back.' };
    case 'incomplete':
      return { label: 'Incomplete', tone: 'amber', detail: 'Finish payment to start your subscription.' };
    case 'incomplete_expired':
      return { label: 'Expired', tone: 'gray', detail: 'The first payment was never completed. Choose a plan to start again.' };
    case 'unpaid':
      return {
        label: 'Unpaid',
        tone: 'red',
        detail: 'Payments kept failing, so access is suspended. Update your card and pay the open invoice.',
      };
    case 'canceled':
      return { label: 'Canceled', tone: 'gray', detail: 'Your subscription has ended. Choose a plan to come back.' };
  }
}
