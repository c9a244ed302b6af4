/** Lookups: prices, plans, subscriptions and invoices from the store, private state, default payment method. */
import type Stripe from 'stripe';
import { errors } from '../../core/errors';
import { type Interval, type Recurrence } from '../period';
import { decOrNull, idOf } from '../util';
import { type Billing, type Sub, type Inv } from './context';

/** Private per-subscription state (store internal). */
export interface SubState {
  trialWillEndSentFor?: number | null;
  upcomingSentFor?: number | null;
  /** payment_behavior used at creation */
  paymentBehavior?: string;
}

/** Private per-invoice state (store internal). */
export interface InvState {
  paymentIntent?: string | null;
  confirmationSecret?: string | null;
  firstAttemptAt?: number | null;
  /** The engine's last failed attempt (null after a failed client-side confirm), for the subscription's reaction. */
  failedAttempt?: { at: number; automatic: boolean } | null;
}

export function requirePrice(b: Billing, id: string, param = 'price'): Stripe.Price {
  const p = b.host.getPrice(id);
  if (!p) throw errors.noSuch('price', id, param);
  return p;
}

export function productName(b: Billing, price: Stripe.Price): string {
  const pid = idOf(price.product as string | { id: string });
  const prod = pid ? b.host.getProduct(pid) : null;
  return prod?.name ?? pid ?? 'product';
}

export function priceLabel(b: Billing, price: Stripe.Price): string {
  return price.nickname ?? productName(b, price);
}

export function recurrence(price: Stripe.Price): Recurrence {
  const r = price.recurring;
  if (!r)
    throw errors.invalid(
      `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
      'items',
    );
  return { interval: r.interval as Interval, interval_count: r.interval_count };
}

export function isMetered(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

export function planOf(price: Stripe.Price): Stripe.Plan {
  const r = price.recurring!;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: decOrNull(price.unit_amount_decimal as unknown as string | null),
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r.interval,
    interval_count: r.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: r.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: null,
    trial_period_days: r.trial_period_days ?? null,
    usage_type: r.usage_type,
  };
}

export function getSub(b: Billing, id: string): Sub | null {
  return b.store.get('subscription', id) as Sub | null;
}

export function requireSub(b: Billing, id: string, param?: string): Sub {
  const s = getSub(b, id);
  if (!s) throw errors.noSuch('subscription', id, param);
  return s;
}

export function getInvoice(b: Billing, id: string): Inv | null {
  return b.store.get('invoice', id) as Inv | null;
}

export function requireInvoice(b: Billing, id: string, param?: string): Inv {
  const i = getInvoice(b, id);
  if (!i) throw errors.noSuch('invoice', id, param);
  return i;
}

export function subState(b: Billing, id: string): SubState {
  return (b.store.getInternal<SubState>(id) ?? {}) as SubState;
}

export function setSubState(b: Billing, id: string, patch: Partial<SubState>): void {
  b.store.setInternal(id, { ...subState(b, id), ...patch });
}

export function invState(b: Billing, id: string): InvState {
  return (b.store.getInternal<InvState>(id) ?? {}) as InvState;
}

export function setInvState(b: Billing, id: string, patch: Partial<InvState>): void {
  b.store.setInternal(id, { ...invState(b, id), ...patch });
}

/** Payment method used for automatic charges. */
export function defaultPaymentMethod(b: Billing, sub: Sub | null, customerId: string): string | null {
  const fromSub = sub ? idOf(sub.default_payment_method as string | null) : null;
  if (fromSub) return fromSub;
  const c = b.host.getCustomer(customerId);
  return idOf((c?.invoice_settings?.default_payment_method as string | null) ?? null);
}
