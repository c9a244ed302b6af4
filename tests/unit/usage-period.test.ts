import { describe, expect, it } from 'vitest';
import { overageCost, thresholdOf, usagePeriodAt } from '~/usage/summary.server';
import { reportWindowSeconds } from '~/usage/reporter.server';

const at = (iso: string) => new Date(iso);

describe('usage periods, thresholds and the window setting', () => {
  it('follows a monthly anchor, clamped to short months as Stripe does', () => {
    const anchor = at('2027-01-31T10:00:00Z');
    expect(usagePeriodAt(anchor, at('2027-02-15T00:00:00Z'))).toEqual({
      start: at('2027-01-31T10:00:00Z'),
      end: at('2027-02-28T10:00:00Z'),
    });
    expect(usagePeriodAt(anchor, at('2027-02-28T10:00:00Z'))).toEqual({
      start: at('2027-02-28T10:00:00Z'),
      end: at('2027-03-31T10:00:00Z'),
    });
    expect(usagePeriodAt(anchor, at('2027-03-31T09:59:59Z')).start).toEqual(at('2027-02-28T10:00:00Z'));
    // Five periods back.
    expect(usagePeriodAt(anchor, at('2027-07-01T00:00:00Z'), 5)).toEqual({
      start: at('2027-01-31T10:00:00Z'),
      end: at('2027-02-28T10:00:00Z'),
    });
  });

  it('uses the calendar month without a subscription', () => {
    expect(usagePeriodAt(null, at('2027-12-31T23:59:59Z'))).toEqual({ start: at('2027-12-01T00:00:00Z'), end: at('2028-01-01T00:00:00Z') });
  });

  it('alerts at 80% and 100%, and costs only the calls beyond the allowance', () => {
    expect([7_999, 8_000, 9_999, 10_000, 12_000].map((n) => thresholdOf(n, 10_000))).toEqual([0, 80, 80, 100, 100]);
    expect(thresholdOf(50, null)).toBe(0);
    expect(overageCost(12_345, 10_000)).toEqual({ overage: 2_345, fromCredits: 0, cost: 2_345 });
    expect(overageCost(9_000, 10_000)).toEqual({ overage: 0, fromCredits: 0, cost: 0 });
  });

  it('pays the calls beyond the allowance with credits first, a credit a call', () => {
    expect(overageCost(12_345, 10_000, 2_000)).toEqual({ overage: 2_345, fromCredits: 2_000, cost: 345 });
    expect(overageCost(12_345, 10_000, 5_000)).toEqual({ overage: 2_345, fromCredits: 2_345, cost: 0 });
    expect(overageCost(9_000, 10_000, 5_000)).toEqual({ overage: 0, fromCredits: 0, cost: 0 });
  });

  it('reads USAGE_REPORT_WINDOW_SECONDS and names it when it is wrong', () => {
    expect(reportWindowSeconds({})).toBe(60);
    expect(reportWindowSeconds({ USAGE_REPORT_WINDOW_SECONDS: '5' })).toBe(5);
    for (const bad of ['0', '1.5', 'soon', '90000']) {
      expect(() => reportWindowSeconds({ USAGE_REPORT_WINDOW_SECONDS: bad })).toThrow(/USAGE_REPORT_WINDOW_SECONDS/);
    }
  });
});
