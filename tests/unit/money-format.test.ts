/**
 * formatMoney writes US dollars without `Intl` (app/lib/money.ts: making a currency format costs a
 * phone tens of milliseconds while a page hydrates); here it must agree with `Intl.NumberFormat`
 * to the character, for small, large (up to a trillion dollars), negative, whole and compact amounts.
 */
import { describe, expect, it } from 'vitest';
import { formatMoney } from '~/lib/money';

const intl = (amount: number, digits: number) =>
  new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount / 100);

const amounts = [
  0, -0, 1, 5, 9, 10, 99, 100, 101, 999, 1000, 1001, 1250, 4900, 4950, 9999, 10000, 12345, 99999, 100000, 123456, 999999, 1000000, 1234567,
  100000000, 123456789, 99999999999999,
];
// And a deterministic spread of amounts in between.
for (let i = 0, x = 7; i < 400; i++) {
  x = (x * 48271) % 2147483647;
  amounts.push(x % 10 ** (1 + (i % 10)));
}

describe('formatMoney in US dollars', () => {
  it('writes what Intl.NumberFormat writes, with cents', () => {
    const differ = [...amounts, ...amounts.map((a) => -a)]
      .map((a) => [a, formatMoney(a, 'usd'), intl(a, 2)] as const)
      .filter(([, ours, theirs]) => ours !== theirs);
    expect(differ).toEqual([]);
  });

  it('writes what Intl.NumberFormat writes, compact (whole dollars without cents)', () => {
    const differ = [...amounts, ...amounts.map((a) => -a)]
      .map((a) => [a, formatMoney(a, 'USD', { compact: true }), intl(a, a % 100 === 0 ? 0 : 2)] as const)
      .filter(([, ours, theirs]) => ours !== theirs);
    expect(differ).toEqual([]);
  });

  it('leaves other currencies to Intl', () => {
    expect(formatMoney(500, 'jpy')).toBe('¥500');
    expect(formatMoney(123456, 'eur')).toBe('€1,234.56');
  });
});
