/** Money is integer minor units plus an ISO currency. Division happens only for display. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

function minorUnitDigits(currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? 0 : 2;
}

/**
 * One `Intl.NumberFormat` per currency and number of decimals, made once: making one costs far more
 * than formatting with it.
 */
const formatters = new Map<string, Intl.NumberFormat>();

function currencyFormat(currency: string, fractionDigits: number): Intl.NumberFormat {
  const key = `${currency.toUpperCase()} ${fractionDigits}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: fractionDigits,
      maximumFractionDigits: fractionDigits,
    });
    formatters.set(key, format);
  }
  return format;
}

/**
 * US dollars as `Intl.NumberFormat('en-US')` writes them (`$1,234.50`, `-$12.50`), without it: the
 * first currency format a browser makes loads its locale data, tens of milliseconds of main thread on
 * a phone while every page with a price hydrates (docs/performance.md, "Pages"). Written from the
 * integer cents, so it is exact. tests/unit/money-format.test.ts checks it against `Intl.NumberFormat`.
 */
function formatUsd(cents: number, withCents: boolean): string {
  const digits = String(Math.abs(cents)).padStart(3, '0');
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = cents < 0 || Object.is(cents, -0) ? '-' : '';
  return `${sign}$${whole}${withCents ? `.${digits.slice(-2)}` : ''}`;
}

export function formatMoney(amount: number, currency: string, opts: { compact?: boolean } = {}): string {
  if (!Number.isInteger(amount)) throw new TypeError(`amount must be integer minor units, got ${amount}`);
  const digits = minorUnitDigits(currency);
  const major = amount / 10 ** digits;
  const shown = opts.compact && amount % 10 ** digits === 0 ? 0 : digits;
  if (currency.toLowerCase() === 'usd') return formatUsd(amount, shown > 0);
  return currencyFormat(currency, shown).format(major);
}

/** Saving of a yearly price against twelve monthly ones, in whole percent (rounded down). */
export function yearlySavingPercent(monthly: number, yearly: number): number {
  const full = monthly * 12;
  if (full <= 0 || yearly >= full) return 0;
  return Math.floor(((full - yearly) * 100) / full);
}
