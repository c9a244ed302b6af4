/**
 * Pure readers of Stripe object fields that the mirror writer (`sync.server.ts`) stores: ids of
 * expandable fields, timestamps, lookup keys, a schedule's pending change, an invoice's PaymentIntent,
 * an invoice's printed details (discounts, tax, balance, billed-to, payments), a customer's address and tax IDs.
 */
import type Stripe from 'stripe';
import type { PostalAddress, TaxIdView } from '~/db/schema';

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
  // The plan is the licensed item (a metered API-calls item may sit beside it, in any order).
  const current = sub.items.data.find((i) => i.price?.recurring?.usage_type !== 'metered') ?? sub.items.data[0];
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

/**
 * What the invoice page prints beyond the amounts: discounts, tax, the balance applied, credit notes,
 * the billing details frozen at finalization and the payments (`payments` is expanded on every read).
 */
export function invoiceDetails(invoice: Stripe.Invoice) {
  const sum = (list: { amount: number }[] | null | undefined) => (list ?? []).reduce((n, x) => n + x.amount, 0);
  return {
    description: invoice.description ?? null,
    discountTotal: sum(invoice.total_discount_amounts),
    pretaxCreditTotal: sum((invoice.total_pretax_credit_amounts ?? []).filter((c) => c.type === 'credit_balance_transaction')),
    taxTotal: sum(invoice.total_taxes),
    startingBalance: invoice.starting_balance ?? 0,
    endingBalance: invoice.ending_balance ?? null,
    postPaymentCreditNotesAmount: invoice.post_payment_credit_notes_amount ?? 0,
    prePaymentCreditNotesAmount: invoice.pre_payment_credit_notes_amount ?? 0,
    customerName: invoice.customer_name ?? null,
    customerEmail: invoice.customer_email ?? null,
    customerAddress: postalAddress(invoice.customer_address),
    customerTaxIds: (invoice.customer_tax_ids ?? []).map((t) => ({ id: null, type: t.type, value: t.value, verification: null })),
    payments: (invoice.payments?.data ?? []).map((p) => ({
      id: p.id,
      amountPaid: p.amount_paid ?? null,
      amountRequested: p.amount_requested,
      status: p.status,
      paidAt: p.status_transitions?.paid_at ?? null,
    })),
  };
}

function postalAddress(a: Stripe.Address | null | undefined): PostalAddress | null {
  if (!a) return null;
  return {
    line1: a.line1 ?? null,
    line2: a.line2 ?? null,
    city: a.city ?? null,
    state: a.state ?? null,
    postal_code: a.postal_code ?? null,
    country: a.country ?? null,
  };
}

/** Stripe's `*_decimal` fields arrive as strings or as the SDK's Decimal: keep the decimal text. */
export function decimalString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return String(v);
}

/** Address and tax IDs (`tax_ids` is expanded on every customer read; absent, nothing is known). */
export function customerBillingDetails(customer: Stripe.Customer): { address: PostalAddress | null; taxIds?: TaxIdView[] } {
  const taxIds = customer.tax_ids?.data;
  return {
    address: postalAddress(customer.address),
    ...(taxIds
      ? { taxIds: taxIds.map((t) => ({ id: t.id, type: t.type, value: t.value, verification: t.verification?.status ?? null })) }
      : {}),
  };
}
