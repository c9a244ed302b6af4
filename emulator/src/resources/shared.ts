import type Stripe from 'stripe';
import { p } from '../core';

/** As on Stripe, an empty field (`address[line2]=`) clears it. */
export const addressParam = p.object({
  city: p.string().emptyable(),
  country: p.string().emptyable(),
  line1: p.string().emptyable(),
  line2: p.string().emptyable(),
  postal_code: p.string().emptyable(),
  state: p.string().emptyable(),
});

export function toAddress(
  a:
    | {
        city?: string | null;
        country?: string | null;
        line1?: string | null;
        line2?: string | null;
        postal_code?: string | null;
        state?: string | null;
      }
    | null
    | undefined,
): Stripe.Address | null {
  if (!a) return null;
  return {
    city: a.city ?? null,
    country: a.country ?? null,
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    postal_code: a.postal_code ?? null,
    state: a.state ?? null,
  };
}

/** Stripe's Decimal fields travel as strings; the SDK coerces them to its Decimal type on receipt. */
export function decimal(s: string | null): Stripe.Decimal | null {
  return s as unknown as Stripe.Decimal | null;
}

export function deleted(object: string, id: string): { id: string; object: string; deleted: true } {
  return { id, object, deleted: true };
}
