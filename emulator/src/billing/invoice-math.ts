/**
 * Pure invoice arithmetic: line amounts, discounts, totals, customer balance.
 * Integer minor units only.
 *
 * Discount rules (documented deviations from Stripe are in docs/emulator.md):
 * - percent_off: each discountable line gets round(amount * percent / 100) (halves away from zero),
 *   credits (negative lines) are discounted too, so a discounted price is credited at its
 *   discounted value.
 * - amount_off: applied to the invoice, capped at the sum of positive discountable line amounts
 *   (after earlier discounts), split across the positive discountable lines in proportion to their
 *   amounts (floor), the remainder cent(s) going to the largest lines first.
 * - Discounts apply in the order given.
 * - Customer balance (negative = credit): applied to amount_due when the invoice is finalized;
 *   a negative total adds to the customer's credit.
 */
import { addMonths } from './period';
import { roundDiv } from './proration';

export interface CouponLike {
  id: string;
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  duration: 'once' | 'repeating' | 'forever' | string;
  duration_in_months: number | null;
  applies_to?: { products: string[] };
}

export interface DiscountLike {
  id: string;
  coupon: CouponLike;
  start: number;
  end: number | null;
}

export interface LineInput {
  amount: number;
  discountable: boolean;
  /** product id, for coupons restricted with applies_to */
  product?: string | null;
}

interface LineDiscount {
  discount: string;
  amount: number;
}

export interface Totals {
  subtotal: number;
  lineDiscounts: LineDiscount[][];
  totalDiscountAmounts: LineDiscount[];
  total: number;
}

export function percentOf(amount: number, percent: number): number {
  // percent may have up to 2 decimals (Stripe allows e.g. 12.5): scale to integer basis points
  const bp = Math.round(percent * 100);
  return roundDiv(BigInt(amount) * BigInt(bp), 10000n);
}

/** Compute subtotal, per-line discount amounts and total for lines and discounts. */
export function computeTotals(lines: LineInput[], discounts: DiscountLike[], currency: string): Totals {
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const lineDiscounts: LineDiscount[][] = lines.map(() => []);
  const remaining = lines.map((l) => l.amount);
  const totalDiscountAmounts: LineDiscount[] = [];
  for (const d of discounts) {
    const c = d.coupon;
    const eligible = lines
      .map((l, i) => i)
      .filter((i) => {
        const l = lines[i];
        if (!l.discountable) return false;
        if (c.applies_to && c.applies_to.products.length > 0) {
          return !!l.product && c.applies_to.products.includes(l.product);
        }
        return true;
      });
    let total = 0;
    if (c.percent_off != null) {
      for (const i of eligible) {
        const amt = percentOf(remaining[i], c.percent_off);
        if (amt !== 0) {
          lineDiscounts[i].push({ discount: d.id, amount: amt });
          remaining[i] -= amt;
          total += amt;
        }
      }
    } else if (c.amount_off != null) {
      if (c.currency && c.currency.toLowerCase() !== currency.toLowerCase()) continue;
      const positive = eligible.filter((i) => remaining[i] > 0);
      const base = positive.reduce((s, i) => s + remaining[i], 0);
      const net = eligible.reduce((s, i) => s + remaining[i], 0);
      const off = Math.max(0, Math.min(c.amount_off, base, Math.max(net, 0)));
      if (off > 0 && base > 0) {
        const shares = positive.map((i) => Math.floor((off * remaining[i]) / base));
        let left = off - shares.reduce((s, v) => s + v, 0);
        const order = positive.map((i, k) => ({ i, k })).sort((a, b) => remaining[b.i] - remaining[a.i]);
        for (const { k } of order) {
          if (left <= 0) break;
          shares[k] += 1;
          left -= 1;
        }
        positive.forEach((i, k) => {
          if (shares[k] > 0) {
            lineDiscounts[i].push({ discount: d.id, amount: shares[k] });
            remaining[i] -= shares[k];
          }
        });
        total += off;
      }
    }
    totalDiscountAmounts.push({ discount: d.id, amount: total });
  }
  const discountSum = totalDiscountAmounts.reduce((s, d) => s + d.amount, 0);
  return { subtotal, lineDiscounts, totalDiscountAmounts, total: subtotal - discountSum };
}

/** Whether a discount applies to an invoice created at `at` (repeating/forever; once handled by caller). */
export function discountActiveAt(d: DiscountLike, at: number): boolean {
  if (at < d.start) return false;
  if (d.end != null && at >= d.end) return false;
  return true;
}

/** The `end` of a discount started at `start` for a coupon (null unless repeating). */
export function discountEnd(coupon: CouponLike, start: number): number | null {
  if (coupon.duration === 'repeating' && coupon.duration_in_months) {
    return addMonths(start, coupon.duration_in_months);
  }
  return null;
}

export interface BalanceResult {
  starting_balance: number;
  ending_balance: number;
  amount_due: number;
}

/**
 * Apply a customer balance (negative = credit owed to the customer, positive = amount owed by
 * the customer) to an invoice total.
 */
export function applyBalance(total: number, customerBalance: number): BalanceResult {
  if (total <= 0) {
    // a negative total becomes customer credit; nothing is due
    return { starting_balance: customerBalance, ending_balance: customerBalance + total, amount_due: 0 };
  }
  const due = total + customerBalance;
  if (due <= 0) {
    return { starting_balance: customerBalance, ending_balance: due, amount_due: 0 };
  }
  return { starting_balance: customerBalance, ending_balance: 0, amount_due: due };
}

export interface Tier {
  up_to: number | null;
  unit_amount: number | null;
  flat_amount: number | null;
}

/** Amount for a usage quantity under a tiered price (graduated or volume). */
export function tieredAmount(tiers: Tier[], mode: 'graduated' | 'volume', quantity: number): number {
  if (tiers.length === 0) return 0;
  if (mode === 'volume') {
    const tier = tiers.find((t) => t.up_to == null || quantity <= t.up_to) ?? tiers[tiers.length - 1];
    return (tier.unit_amount ?? 0) * quantity + (tier.flat_amount ?? 0);
  }
  let total = 0;
  let prev = 0;
  for (const t of tiers) {
    if (quantity <= prev) break;
    const upper = t.up_to == null ? quantity : Math.min(t.up_to, quantity);
    const units = upper - prev;
    if (units > 0) total += (t.unit_amount ?? 0) * units + (t.flat_amount ?? 0);
    prev = t.up_to == null ? quantity : t.up_to;
  }
  return total;
}

/** Metered usage quantity from summed meter values; Stripe bills whole units (rounded). */
export function usageQuantity(value: number): number {
  return Math.round(value);
}
