import { formatMoney } from '~/lib/money';

/** "3 Dec 2026" (UTC, like Stripe's periods). Accepts unix seconds, ms or an ISO string. */
export function mailDate(value: number | string | null | undefined): string | null {
  if (value == null || value === '') return null;
  const ms = typeof value === 'string' ? Date.parse(value) : value < 1e11 ? value * 1000 : value;
  if (!Number.isFinite(ms)) return null;
  return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function mailMoney(amount: unknown, currency: unknown): string | null {
  return typeof amount === 'number' && Number.isInteger(amount) && typeof currency === 'string' ? formatMoney(amount, currency) : null;
}

export const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
