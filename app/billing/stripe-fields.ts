/**
 * Pure readers of Stripe object fields that the mirror writer (`sync.server.ts`) stores: ids of
 * expandable fields, timestamps, lookup keys, a schedule's pending change, an invoice's PaymentIntent.
 */
import type Stripe from 'stripe';

/** The id of an expandable field, whether Stripe returned the id or the expanded object. */
export const idOf = (v: string | { id: string } | null | undefined): string | null => (v == null ? null : typeof v === 'string' ? v : v.id);

/** A Stripe timestamp (seconds) as a Date. */
export const toDate = (seconds: number | null | undefined): Date | null => (seconds == null ? null : new Date(seconds * 1000));

export function priceLookupKey(price: Stripe.Price | Stripe.DeletedPrice | string | null | undefined): string | null {
  return price && typeof price === 'object' && 'lookup_key' in price ? (price.lookup_key ?? null) : null;
}

/** The pending plan change of a schedule: the next phase, when it differs from the current items. */
export function pendingChange(sub: Stripe.Subscription): { priceId: string | null; quantity: number | null; at: number | null } {
  const none = { priceId: null, quantity: null, at: null };
  const schedule = sub.schedule;
  if (!schedule || typeof schedule === 'string') return none;
  if (schedule.status !== 'active' && schedule.status !== 'not_started') return none;
  const now = schedule.current_phase?.start_date ?? 0;
  const next = schedule.phases.filter((p) => p.start_date > now).sort((a, b) => a.start_date - b.start_date)[0];
  if (!next) return none;
  const item = next.items[0];
  if (!item) return none;
  const priceId = idOf(item.price as string | { id: string });
  const current = sub.items.data[0];
  const quantity = item.quantity ?? null;
  if (current && current.price.id === priceId && (current.quantity ?? null) === quantity) return none;
  return { priceId, quantity, at: next.start_date };
}

/** The PaymentIntent of an invoice's newest payment attempt (the one the customer acts on). */
export function invoicePaymentIntentId(invoice: Stripe.Invoice): string | null {
  const list = invoice.payments?.data ?? [];
  const sorted = [...list].sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
  for (const p of sorted) {
    const pi = idOf(p.payment?.payment_intent ?? null);
    if (pi) return pi;
  }
  return null;
}
