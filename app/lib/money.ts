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

export function formatMoney(amount: number, currency: string, opts: { compact?: boolean } = {}): string {
  if (!Number.isInteger(amount)) throw new TypeError(`amount must be integer minor units, got ${amount}`);
  const digits = minorUnitDigits(currency);
  const major = amount / 10 ** digits;
  const wholeAmount = opts.compact && amount % 10 ** digits === 0;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: wholeAmount ? 0 : digits,
    maximumFractionDigits: wholeAmount ? 0 : digits,
  }).format(major);
}

/** Saving of a yearly price against twelve monthly ones, in whole percent (rounded down). */
export function yearlySavingPercent(monthly: number, yearly: number): number {
  const full = monthly * 12;
  if (full <= 0 || yearly >= full) return 0;
  return Math.floor(((full - yearly) * 100) / full);
}
