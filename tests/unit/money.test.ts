import { describe, expect, it } from 'vitest';
import { formatMoney, yearlySavingPercent } from '~/lib/money';
import { PLAN_LIST, planByLookupKey, METERED, ONE_TIME } from '~/billing/plans';

describe('formatMoney', () => {
  it('formats minor units', () => {
    expect(formatMoney(4900, 'usd')).toBe('$49.00');
    expect(formatMoney(1, 'usd')).toBe('$0.01');
    expect(formatMoney(-1250, 'usd')).toBe('-$12.50');
    expect(formatMoney(4900, 'usd', { compact: true })).toBe('$49');
    expect(formatMoney(4950, 'usd', { compact: true })).toBe('$49.50');
    expect(formatMoney(500, 'jpy')).toBe('¥500');
  });
  it('refuses fractions of a minor unit', () => {
    expect(() => formatMoney(10.5, 'usd')).toThrow(/integer/);
  });
});

describe('yearlySavingPercent', () => {
  it('rounds down and never goes negative', () => {
    expect(yearlySavingPercent(4900, 49000)).toBe(16); // 58,800 vs 49,000: 16.67 %
    expect(yearlySavingPercent(1000, 12000)).toBe(0);
    expect(yearlySavingPercent(1000, 13000)).toBe(0);
    expect(yearlySavingPercent(0, 0)).toBe(0);
  });
});

describe('plan catalogue', () => {
  it('has integer amounts and unique lookup keys', () => {
    const keys = new Set<string>();
    for (const plan of PLAN_LIST) {
      for (const interval of ['month', 'year'] as const) {
        const price = plan.prices[interval];
        expect(Number.isInteger(price.unitAmount)).toBe(true);
        expect(price.unitAmount).toBeGreaterThan(0);
        expect(price.interval).toBe(interval);
        expect(keys.has(price.lookupKey)).toBe(false);
        keys.add(price.lookupKey);
        expect(planByLookupKey(price.lookupKey)).toEqual({ plan, interval });
      }
      // A yearly price must be cheaper than twelve months.
      expect(plan.prices.year.unitAmount).toBeLessThan(plan.prices.month.unitAmount * 12);
    }
    expect(keys.has(METERED.price.lookupKey)).toBe(false);
    expect(keys.has(ONE_TIME.credit_pack.lookupKey)).toBe(false);
    expect(planByLookupKey('nope')).toBeNull();
  });
  it('offers the trial on Pro only, and ranks plans', () => {
    expect(PLAN_LIST.map((p) => [p.key, p.trialDays])).toEqual([
      ['starter', 0],
      ['pro', 14],
      ['team', 0],
    ]);
    expect(PLAN_LIST.map((p) => p.rank)).toEqual([1, 2, 3]);
  });
});
