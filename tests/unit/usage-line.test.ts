import { describe, expect, it } from 'vitest';
import { meteredTerms, unitPriceWords, usageWords } from '~/billing/usage-line';
import { PLANS, meteredPriceOf } from '~/billing/plans';
import type { PriceTierView } from '~/db/schema';

/** A plan's metered tiers as the mirror stores them from Stripe (`up_to: null` for the last). */
const mirrored = (plan: keyof typeof PLANS): PriceTierView[] =>
  meteredPriceOf(PLANS[plan]).tiers.map((t) => ({
    upTo: t.upTo === 'inf' ? null : t.upTo,
    unitAmount: t.unitAmount,
    unitAmountDecimal: String(t.unitAmount),
    flatAmount: null,
  }));

const tier = (upTo: number | null, unitAmountDecimal: string, flatAmount: number | null = null): PriceTierView => ({
  upTo,
  unitAmount: Number.isInteger(Number(unitAmountDecimal)) ? Number(unitAmountDecimal) : null,
  unitAmountDecimal,
  flatAmount,
});

describe('meteredTerms', () => {
  it('reads the allowance from the free tier and the price from the paid one', () => {
    expect(meteredTerms(mirrored('starter'))).toEqual({ included: 10_000, unit: '1' });
    expect(meteredTerms(mirrored('pro'))).toEqual({ included: 100_000, unit: '1' });
  });
  it('reads a single per-call tier as no allowance', () => {
    expect(meteredTerms([tier(null, '0.5')])).toEqual({ included: 0, unit: '0.5' });
  });
  it('knows no terms for shapes the words would misstate', () => {
    expect(meteredTerms(null)).toBeNull();
    expect(meteredTerms([])).toBeNull();
    // Several paid tiers, a paid first tier, a flat fee.
    expect(meteredTerms([tier(1000, '0'), tier(5000, '2'), tier(null, '1')])).toBeNull();
    expect(meteredTerms([tier(1000, '2'), tier(null, '1')])).toBeNull();
    expect(meteredTerms([tier(1000, '0', 500), tier(null, '1')])).toBeNull();
    expect(meteredTerms([tier(1000, '0'), tier(null, '1', 200)])).toBeNull();
  });
});

describe('unitPriceWords', () => {
  it('shows cents, and fractions of a cent as the price has them', () => {
    expect(unitPriceWords('1', 'usd')).toBe('$0.01');
    expect(unitPriceWords('150', 'usd')).toBe('$1.50');
    expect(unitPriceWords('0.5', 'usd')).toBe('$0.005');
    expect(unitPriceWords('0.125', 'usd')).toBe('$0.00125');
    expect(unitPriceWords('3', 'eur')).toBe('€0.03');
  });
  it('says nothing for no price or a value that is not one', () => {
    expect(unitPriceWords(null, 'usd')).toBeNull();
    expect(unitPriceWords('', 'usd')).toBeNull();
    expect(unitPriceWords('abc', 'usd')).toBeNull();
    expect(unitPriceWords('-1', 'usd')).toBeNull();
  });
});

describe('usageWords', () => {
  const starter = meteredTerms(mirrored('starter'));
  const words = (calls: number, terms = starter) => usageWords({ calls, terms, currency: 'usd' });

  it('words the calls beyond the allowance at the paid tier’s price', () => {
    // 22,345 calls in the period: 12,345 beyond the 10,000 included, $123.45.
    expect(words(22_345)).toBe('12,345 calls × $0.01 beyond 10,000 included');
    expect(words(1_010_000)).toBe('1,000,000 calls × $0.01 beyond 10,000 included');
    expect(usageWords({ calls: 250_000, terms: meteredTerms(mirrored('pro')), currency: 'usd' })).toBe(
      '150,000 calls × $0.01 beyond 100,000 included',
    );
  });
  it('says "within" when nothing is beyond the allowance', () => {
    expect(words(8_000)).toBe('8,000 calls, within 10,000 included');
    expect(words(10_000)).toBe('10,000 calls, within 10,000 included');
    expect(words(0)).toBe('0 calls, within 10,000 included');
  });
  it('says "1 call", never "1 calls"', () => {
    expect(words(1)).toBe('1 call, within 10,000 included');
    expect(words(10_001)).toBe('1 call × $0.01 beyond 10,000 included');
    expect(usageWords({ calls: 1, terms: { included: 0, unit: '0.5' }, currency: 'usd' })).toBe('1 call × $0.005');
  });
  it('tells the period’s calls from a paid tier’s own line by the amount', () => {
    // One line for the period: 22,345 calls, $123.45.
    expect(usageWords({ calls: 22_345, amount: 12_345, terms: starter, currency: 'usd' })).toBe(
      '12,345 calls × $0.01 beyond 10,000 included',
    );
    // A line per tier: the free tier's 10,000 calls, then the paid tier's 12,345 at $123.45.
    expect(usageWords({ calls: 10_000, amount: 0, terms: starter, currency: 'usd' })).toBe('10,000 calls, within 10,000 included');
    expect(usageWords({ calls: 12_345, amount: 12_345, terms: starter, currency: 'usd' })).toBe(
      '12,345 calls × $0.01 beyond 10,000 included',
    );
    expect(usageWords({ calls: 5, amount: 5, terms: starter, currency: 'usd' })).toBe('5 calls × $0.01 beyond 10,000 included');
    // Nothing beyond: the amount is 0 whichever way it is billed.
    expect(usageWords({ calls: 8_000, amount: 0, terms: starter, currency: 'usd' })).toBe('8,000 calls, within 10,000 included');
  });
  it('has the calls alone, or with the price, when there is no allowance to speak of', () => {
    expect(usageWords({ calls: 12_345, terms: { included: 0, unit: '1' }, currency: 'usd' })).toBe('12,345 calls × $0.01');
    expect(usageWords({ calls: 12_345, terms: null, currency: 'usd' })).toBe('12,345 calls');
    expect(usageWords({ calls: 2, terms: null, unit: 'request', currency: 'usd' })).toBe('2 requests');
  });
});
