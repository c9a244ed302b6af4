/**
 * Prorations to the second.
 *
 * For a change at time t inside a period [start, end):
 *   fraction = (end - t) / (end - start)
 *   credit   = -round(oldUnitAmount * oldQuantity * fraction)   "Unused time on <old> after <date>"
 *   debit    =  round(newUnitAmount * newQuantity * fraction)   "Remaining time on <new> after <date>"
 *
 * Rounding rule: each line is rounded individually to the nearest minor unit, halves away from
 * zero (so a credit is always exactly the negation of the matching debit for the same price).
 * Computed with BigInt so amount x quantity x seconds never loses precision.
 */
import { formatStripeDate } from './period';

export type ProrationBehavior = 'create_prorations' | 'always_invoice' | 'none';

/** round(numerator / denominator), halves away from zero, exact integers. */
export function roundDiv(numerator: bigint, denominator: bigint): number {
  if (denominator === 0n) throw new Error('division by zero');
  const neg = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (2n * n + d) / (2n * d);
  return Number(neg ? -q : q);
}

/** The prorated amount (positive) of `unitAmount x quantity` for the time left after t. */
export function prorateAmount(unitAmount: number, quantity: number, periodStart: number, periodEnd: number, t: number): number {
  assertInt(unitAmount, 'unitAmount');
  assertInt(quantity, 'quantity');
  if (periodEnd <= periodStart) return 0;
  const at = Math.min(Math.max(t, periodStart), periodEnd);
  const remaining = BigInt(periodEnd - at);
  const length = BigInt(periodEnd - periodStart);
  return roundDiv(BigInt(unitAmount) * BigInt(quantity) * remaining, length);
}

function assertInt(v: number, name: string): void {
  if (!Number.isSafeInteger(v)) throw new Error(`${name} must be an integer in minor units, got ${v}`);
}

export interface ProratedItem {
  /** Price id. */
  price: string;
  /** Label used in descriptions: price nickname or product name. */
  label: string;
  unitAmount: number;
  quantity: number;
  /** Subscription item id this line belongs to. */
  subscriptionItem: string;
}

export interface ProrationLine {
  kind: 'credit' | 'debit';
  price: string;
  subscriptionItem: string;
  quantity: number;
  unitAmount: number;
  amount: number;
  description: string;
  period: { start: number; end: number };
}

function label(quantity: number, name: string): string {
  return quantity > 1 ? `${quantity} × ${name}` : name;
}

function unusedTimeDescription(name: string, quantity: number, t: number): string {
  return `Unused time on ${label(quantity, name)} after ${formatStripeDate(t)}`;
}

function remainingTimeDescription(name: string, quantity: number, t: number): string {
  return `Remaining time on ${label(quantity, name)} after ${formatStripeDate(t)}`;
}

/**
 * Lines for replacing `before` with `after` (either may be null: item added / removed) at time t
 * within [periodStart, periodEnd). Returns [] when nothing changes billing-wise.
 */
export function prorationLines(
  before: ProratedItem | null,
  after: ProratedItem | null,
  periodStart: number,
  periodEnd: number,
  t: number,
): ProrationLine[] {
  if (before && after && before.price === after.price && before.quantity === after.quantity && before.unitAmount === after.unitAmount) {
    return [];
  }
  const at = Math.min(Math.max(t, periodStart), periodEnd);
  const out: ProrationLine[] = [];
  if (before && before.quantity > 0) {
    const amount = prorateAmount(before.unitAmount, before.quantity, periodStart, periodEnd, at);
    out.push({
      kind: 'credit',
      price: before.price,
      subscriptionItem: before.subscriptionItem,
      quantity: before.quantity,
      unitAmount: before.unitAmount,
      amount: amount === 0 ? 0 : -amount,
      description: unusedTimeDescription(before.label, before.quantity, at),
      period: { start: at, end: periodEnd },
    });
  }
  if (after && after.quantity > 0) {
    const amount = prorateAmount(after.unitAmount, after.quantity, periodStart, periodEnd, at);
    out.push({
      kind: 'debit',
      price: after.price,
      subscriptionItem: after.subscriptionItem,
      quantity: after.quantity,
      unitAmount: after.unitAmount,
      amount,
      description: remainingTimeDescription(after.label, after.quantity, at),
      period: { start: at, end: periodEnd },
    });
  }
  return out;
}
