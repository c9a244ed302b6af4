import type Stripe from 'stripe'
import { p } from '../core'

export const addressParam = p.object({
  city: p.string(),
  country: p.string(),
  line1: p.string(),
  line2: p.string(),
  postal_code: p.string(),
  state: p.string(),
})

export function toAddress(a: { city?: string; country?: string; line1?: string; line2?: string; postal_code?: string; state?: string } | null | undefined): Stripe.Address | null {
  if (!a) return null
  return {
    city: a.city ?? null,
    country: a.country ?? null,
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    postal_code: a.postal_code ?? null,
    state: a.state ?? null,
  }
}

/** Stripe's Decimal fields travel as strings; the SDK coerces them to its Decimal type on receipt. */
export function decimal(s: string | null): Stripe.Decimal | null {
  return s as unknown as Stripe.Decimal | null
}

export function deleted(object: string, id: string): { id: string; object: string; deleted: true } {
  return { id, object, deleted: true }
}
