/**
 * A metered invoice line in words (isomorphic: no database, no Stripe). The plans' metered prices are
 * graduated (app/billing/plans.ts, `meteredPriceOf`): a free first tier (the calls the plan includes),
 * then a per-call price. The line's quantity is the period's calls, its amount the calls beyond the
 * free tier at the paid tier's price, so the words say exactly that:
 *
 *   "12,345 calls × $0.01 beyond 10,000 included"   22,345 calls in the period, $123.45
 *   "8,000 calls, within 10,000 included"           nothing to pay
 */
import type { PriceTierView } from '~/db/schema';
import { formatMoney } from '~/lib/money';

/** What a metered price charges: `included` calls free (0 without a free tier), then `unit` (minor units, a decimal string) each. */
interface MeteredTerms {
  included: number;
  unit: string | null;
}

const isFree = (t: PriceTierView) => !t.flatAmount && Number(t.unitAmountDecimal ?? t.unitAmount ?? 0) === 0;

/**
 * The terms of a graduated price with a free first tier and one paid tier after it; null for any
 * other shape (several paid tiers, flat fees), which the words would misstate.
 */
export function meteredTerms(tiers: PriceTierView[] | null | undefined): MeteredTerms | null {
  if (!tiers?.length || tiers.length > 2) return null;
  const [first, second] = tiers as [PriceTierView, PriceTierView | undefined];
  if (!second) return first.upTo === null && !first.flatAmount ? { included: 0, unit: unitOf(first) } : null;
  if (!isFree(first) || first.upTo === null || second.upTo !== null || second.flatAmount) return null;
  return { included: first.upTo, unit: unitOf(second) };
}

function unitOf(tier: PriceTierView): string | null {
  if (tier.unitAmountDecimal != null) return tier.unitAmountDecimal;
  return tier.unitAmount != null ? String(tier.unitAmount) : null;
}

/** A unit price in minor units (a decimal string: fractions of a cent are kept, e.g. "$0.005"). */
export function unitPriceWords(decimal: string | null, currency: string): string | null {
  if (decimal === null || decimal === '') return null;
  const n = Number(decimal);
  if (!Number.isFinite(n) || n < 0) return null;
  if (Number.isInteger(n)) return formatMoney(n, currency);
  const decimals = Math.min(6, (decimal.split('.')[1]?.length ?? 0) + 2);
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).format(n / 100);
}

const count = (n: number, unit: string) => `${n.toLocaleString('en-US')} ${unit}${n === 1 ? '' : 's'}`;

/**
 * The words for `calls` on a metered price: with an allowance, the calls beyond it at the unit price
 * or "within" it; without one (a per-call price, or terms the mirror does not know), the calls and,
 * when known, the unit price. A line's quantity is the period's calls; should Stripe bill a graduated
 * price as a line per tier, the paid tier's line holds only the calls beyond: its `amount` (the
 * quantity times the unit price) tells the two apart.
 */
export function usageWords({
  calls,
  amount,
  terms,
  unit = 'call',
  currency,
}: {
  calls: number;
  /** The line's amount in minor units, when known. */
  amount?: number;
  terms: MeteredTerms | null;
  unit?: string;
  currency: string;
}): string {
  const price = terms ? unitPriceWords(terms.unit, currency) : null;
  if (!terms || terms.included === 0) return price ? `${count(calls, unit)} × ${price}` : count(calls, unit);
  const included = terms.included.toLocaleString('en-US');
  const perCall = Number(terms.unit ?? NaN);
  const billsEveryCall = amount !== undefined && amount > 0 && perCall > 0 && Math.round(calls * perCall) === amount;
  const beyond = billsEveryCall ? calls : calls - terms.included;
  if (beyond <= 0) return `${count(calls, unit)}, within ${included} included`;
  return `${count(beyond, unit)} × ${price ?? 'the plan’s price'} beyond ${included} included`;
}
