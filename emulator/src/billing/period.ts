/**
 * Billing period arithmetic, as Stripe does it.
 *
 * All timestamps are unix seconds, all calendar math is UTC.
 *
 * Periods are always computed from the billing cycle anchor (never chained from the previous
 * period end), so a month-end anchor keeps its day: anchor 31 Jan -> 28/29 Feb -> 31 Mar -> 30 Apr.
 * The time of day of the anchor is kept.
 */

export type Interval = 'day' | 'week' | 'month' | 'year';

export interface Recurrence {
  interval: Interval;
  interval_count: number;
}

const DAY = 86400;

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/** anchor + `months` calendar months, clamping the day of month to the target month's length. */
export function addMonths(ts: number, months: number, anchorDay?: number): number {
  const d = new Date(ts * 1000);
  const day = anchorDay ?? d.getUTCDate();
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  const clamped = Math.min(day, daysInMonth(year, month0));
  return Math.floor(Date.UTC(year, month0, clamped, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000);
}

/**
 * The n-th period boundary of a recurrence anchored at `anchor` (n may be negative).
 * boundary(0) = anchor; boundary(1) = end of the first full period after the anchor, etc.
 */
export function boundary(anchor: number, r: Recurrence, n: number): number {
  const count = Math.max(1, Math.floor(r.interval_count || 1));
  switch (r.interval) {
    case 'day':
      return anchor + n * count * DAY;
    case 'week':
      return anchor + n * count * 7 * DAY;
    case 'month':
      return addMonths(anchor, n * count);
    case 'year':
      return addMonths(anchor, n * count * 12);
    default:
      throw new Error(`unknown interval ${String(r.interval)}`);
  }
}

/** Approximate length of one period in seconds, used only to estimate an index. */
function approxLength(r: Recurrence): number {
  const count = Math.max(1, r.interval_count || 1);
  switch (r.interval) {
    case 'day':
      return count * DAY;
    case 'week':
      return count * 7 * DAY;
    case 'month':
      return count * 30.436875 * DAY;
    case 'year':
      return count * 365.2425 * DAY;
  }
}

/** Index n such that boundary(n) <= t < boundary(n + 1). */
function periodIndex(anchor: number, r: Recurrence, t: number): number {
  let n = Math.floor((t - anchor) / approxLength(r));
  while (boundary(anchor, r, n) > t) n--;
  while (boundary(anchor, r, n + 1) <= t) n++;
  return n;
}

/** The period [start, end) of the recurrence that contains t. */
export function periodContaining(anchor: number, r: Recurrence, t: number): { start: number; end: number } {
  const n = periodIndex(anchor, r, t);
  return { start: boundary(anchor, r, n), end: boundary(anchor, r, n + 1) };
}

/** The first boundary strictly after t. */
export function nextBoundaryAfter(anchor: number, r: Recurrence, t: number): number {
  return boundary(anchor, r, periodIndex(anchor, r, t) + 1);
}

/**
 * Period for a subscription starting at `start` with billing cycle anchor `anchor` (>= start).
 * When the anchor is in the future, the first period is [start, anchor) (a prorated stub period,
 * as Stripe does with a future `billing_cycle_anchor`). Otherwise the period containing `t`.
 */
export function subscriptionPeriodAt(start: number, anchor: number, r: Recurrence, t: number): { start: number; end: number } {
  if (t < anchor) return { start: Math.min(start, t), end: anchor };
  return periodContaining(anchor, r, t);
}

/** Add one whole duration (used by schedule phases: `duration { interval, interval_count }`). */
export function addDuration(ts: number, r: Recurrence): number {
  return boundary(ts, r, 1);
}

/** Human date as Stripe prints it in line descriptions, e.g. "31 Jan 2026". */
export function formatStripeDate(ts: number): string {
  const d = new Date(ts * 1000);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** Human date used in period lines, e.g. "Jan 31, 2026". */
export function formatShortDate(ts: number): string {
  const d = new Date(ts * 1000);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}
