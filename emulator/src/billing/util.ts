/** Small helpers shared by the billing modules. */
import type Stripe from 'stripe';

/** `*_decimal` fields are strings on the wire; the SDK turns them into Stripe.Decimal. */
export function dec(v: number | string | null): Stripe.Decimal {
  return String(v) as unknown as Stripe.Decimal;
}

export function decOrNull(v: number | string | null | undefined): Stripe.Decimal | null {
  return v == null ? null : dec(v);
}

export function apiList<T>(data: T[], url: string): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: false, url };
}

export function idOf(v: string | { id: string } | null | undefined): string | null {
  if (v == null) return null;
  return typeof v === 'string' ? v : v.id;
}

/** Top-level keys whose JSON differs, mapped to their previous values (for previous_attributes). */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (JSON.stringify(b[key]) !== JSON.stringify(a[key])) out[key] = b[key] === undefined ? null : b[key];
  }
  return out;
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export const DAY = 86400;
