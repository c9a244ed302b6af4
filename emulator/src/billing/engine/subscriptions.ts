/**
 * Subscriptions: create (with the first invoice and its payment), item changes with prorations,
 * period resets, cancellation, and the reactions to invoice outcomes (event hooks, see index.ts).
 */
import type Stripe from 'stripe';
import { errors, StripeError } from '../../core/errors';
import { boundary, type Recurrence } from '../period';
import { prorationLines } from '../proration';
import { apiList, clone, DAY, idOf, previousAttributes } from '../util';
import type { SubscriptionInput } from '../params';
import { type Billing, type Sub, type Inv, type LineSpec } from './context';
import { clockOfCustomer, nowForCustomer } from './clock';
import {
  defaultPaymentMethod,
  getSub,
  invState,
  isMetered,
  requirePrice,
  productName,
  recurrence,
  requireSub,
  setSubState,
} from './lookups';
import { consumeOnceDiscounts, createDiscounts } from './discounts';
import { buildItem, itemLine, proratedItem, unusedCredit, usageLine } from './lines';
import { attemptPayment, collect, createInvoice, createInvoiceItem, finalize, pendingItems } from './invoices';

/** Store a subscription (and its items as standalone rows for /v1/subscription_items). */
export function saveSub(b: Billing, sub: Sub): void {
  // Only saveSub writes items: those stored are the stored version's (no scan of every item)
  const prev = b.store.get('subscription', sub.id) as Sub | null;
  b.store.put('subscription', sub as never);
  const ids = new Set(sub.items.data.map((i) => i.id));
  for (const it of sub.items.data) b.store.put('subscription_item', it as never);
  const stored = prev?.items.has_more ? b.store.all('subscription_item', { where: { subscription: sub.id } }) : (prev?.items.data ?? []);
  for (const o of stored as Stripe.SubscriptionItem[]) if (!ids.has(o.id)) b.store.delete('subscription_item', o.id);
}

export function emitSubUpdated(b: Billing, before: Sub, after: Sub): void {
  if (b.creating.has(after.id)) return;
  const prev = previousAttributes(before, after);
  if (Object.keys(prev).length === 0) return;
  b.host.emit('customer.subscription.updated', after, prev);
}

/** The period a new subscription starts with. */
function firstPeriod(start: number, anchor: number, r: Recurrence, trialEnd: number | null): { start: number; end: number } {
  if (trialEnd && trialEnd > start) return { start, end: trialEnd };
  if (anchor > start) return { start, end: anchor };
  return { start, end: boundary(anchor, r, 1) };
}

export function createSubscription(b: Billing, params: SubscriptionInput): Sub {
  const customer = b.host.getCustomer(params.customer);
  if (!customer) throw errors.noSuch('customer', params.customer, 'customer');
  if (!params.items || params.items.length === 0) throw errors.missingParam('items');
  const at = nowForCustomer(b, params.customer);
  const prices = params.items.map((it, i) => requirePrice(b, it.price, `items[${i}][price]`));
  for (const [i, p] of prices.entries()) {
    if (!p.recurring)
      throw errors.invalid(
        `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
        `items[${i}][price]`,
      );
  }
  const currency = prices[0].currency;
  const r = recurrence(prices[0]);
  let trialEnd: number | null = null;
  if (params.trial_end !== undefined && params.trial_end !== 'now') trialEnd = params.trial_end;
  else if (params.trial_period_days) trialEnd = at + params.trial_period_days * DAY;
  else if (params.trial_from_plan && prices[0].recurring?.trial_period_days) trialEnd = at + prices[0].recurring.trial_period_days * DAY;
  if (trialEnd !== null && trialEnd <= at)
    throw errors.invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
  const anchor = params.billing_cycle_anchor ?? trialEnd ?? at;
  if (params.billing_cycle_anchor !== undefined && params.billing_cycle_anchor < at)
    throw errors.invalid('billing_cycle_anchor cannot be in the past', 'billing_cycle_anchor');
  const period = firstPeriod(at, anchor, r, trialEnd);
  const pm = params.default_payment_method ?? null;
  if (pm && !b.host.getPaymentMethod(pm)) throw errors.noSuch('PaymentMethod', pm, 'default_payment_method');
  const id = b.host.newId('sub');
  const items = params.items.map((it, i) => {
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(it.metadata ?? {})) if (v != null) md[k] = v;
    return buildItem(b, id, prices[i], it.quantity ?? 1, period, at, md);
  });
  const sub: Sub = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialEnd && !params.billing_cycle_anchor ? trialEnd : anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: params.cancel_at ?? (params.cancel_at_period_end ? period.end : null),
    cancel_at_period_end: params.cancel_at_period_end ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: (params.collection_method ?? 'charge_automatically') as Stripe.Subscription.CollectionMethod,
    created: at,
    currency,
    customer: params.customer,
    customer_account: null,
    days_until_due: params.days_until_due ?? null,
    default_payment_method: pm,
    default_source: null,
    default_tax_rates: [],
    description: params.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: apiList(items, `/v1/subscription_items?subscription=${id}`),
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: params.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: params.save_default_payment_method ?? 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: at,
    status: 'incomplete',
    test_clock: clockOfCustomer(b, params.customer),
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: {
        billing_cycle_anchor: null,
        missing_payment_method: (params.trial_settings?.end_behavior.missing_payment_method ??
          'create_invoice') as Stripe.Subscription.TrialSettings.EndBehavior.MissingPaymentMethod,
      } as Stripe.Subscription.TrialSettings.EndBehavior,
    },
    trial_start: trialEnd ? at : null,
  };
  const behavior = params.payment_behavior ?? 'allow_incomplete';
  b.creating.add(id);
  try {
    sub.discounts = createDiscounts(
      b,
      params.discounts,
      { customer: params.customer, subscription: id, checkout_session: params.checkout_session ?? null },
      at,
    );
    saveSub(b, sub);
    setSubState(b, id, { paymentBehavior: behavior });
    // first invoice
    let specs: LineSpec[];
    if (trialEnd) {
      specs = items.map((it) => ({
        ...itemLine(b, sub, it, period),
        amount: 0,
        description: `Trial period for ${productName(b, it.price)}`,
        unitAmount: 0,
      }));
    } else if (anchor > at && params.proration_behavior !== 'none') {
      specs = items
        .filter((it) => !isMetered(it.price))
        .map((it) => {
          const full = { start: boundary(anchor, r, -1), end: anchor };
          const line = prorationLines(null, proratedItem(b, it), full.start, full.end, at)[0];
          return { ...itemLine(b, sub, it, period), amount: line?.amount ?? 0, description: line?.description ?? '', proration: false };
        });
    } else if (anchor > at) {
      specs = [];
    } else {
      specs = items.map((it) =>
        isMetered(it.price) ? { ...usageLine(b, sub, it, { start: at, end: at }), amount: 0, quantity: 0 } : itemLine(b, sub, it, period),
      );
    }
    let inv = createInvoice(b, {
      customer: params.customer,
      currency,
      subscription: sub,
      billingReason: 'subscription_create',
      specs,
      discounts: sub.discounts as string[],
      at,
      period: { start: at, end: at },
      includePending: true,
    });
    sub.latest_invoice = inv.id;
    consumeOnceDiscounts(b, sub, inv.discounts as string[]);
    saveSub(b, sub);
    inv = finalize(b, inv, at);
    let cur = requireSub(b, id);
    if (inv.status === 'paid' || inv.collection_method === 'send_invoice') {
      cur.status = trialEnd ? 'trialing' : 'active';
    } else if (behavior === 'default_incomplete') {
      cur.status = 'incomplete';
    } else {
      const chargePm = pm ?? defaultPaymentMethod(b, null, params.customer);
      if (chargePm) {
        const res = attemptPayment(b, inv, chargePm, at, { offSession: params.off_session ?? false, automatic: false });
        cur = requireSub(b, id);
        if (res.paid) cur.status = trialEnd ? 'trialing' : 'active';
        else if (behavior === 'error_if_incomplete') {
          b.creating.delete(id);
          const pi = res.pi;
          const err = pi?.last_payment_error;
          throw new StripeError({
            status: 402,
            type: 'card_error',
            code: err?.code ?? 'card_declined',
            decline_code: err?.decline_code,
            message: err?.message ?? 'Your card was declined.',
            extra: pi ? { payment_intent: pi } : undefined,
            commit: false,
          });
        }
      } else if (behavior === 'error_if_incomplete') {
        throw errors.invalid(
          'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
          undefined,
          'resource_missing',
        );
      }
    }
    if (trialEnd && !defaultPaymentMethod(b, cur, params.customer) && behavior === 'default_incomplete') {
      const si = b.host.createSetupIntent({ customer: params.customer, usage: 'off_session' });
      cur.pending_setup_intent = si.id;
      b.store.setMeta(`billing_si_sub:${si.id}`, id);
    }
    saveSub(b, cur);
    b.creating.delete(id);
    b.host.emit('customer.subscription.created', cur);
    return cur;
  } finally {
    b.creating.delete(id);
  }
}

/** SetupIntent succeeded: a pending_setup_intent gives the subscription its payment method. */
export function onSetupIntentSucceeded(b: Billing, si: Stripe.SetupIntent): void {
  const subId = b.store.getMeta(`billing_si_sub:${si.id}`);
  if (!subId) return;
  const sub = getSub(b, subId);
  if (!sub || idOf(sub.pending_setup_intent as string) !== si.id) return;
  const before = clone(sub);
  sub.pending_setup_intent = null;
  const pm = idOf(si.payment_method as string | null);
  if (pm && (sub.payment_settings?.save_default_payment_method === 'on_subscription' || !sub.default_payment_method))
    sub.default_payment_method = pm;
  saveSub(b, sub);
  emitSubUpdated(b, before, sub);
}

/** Start a new period now (trial_end=now, billing_cycle_anchor=now, resume). Returns the invoice. */
export function resetPeriod(b: Billing, sub: Sub, at: number, billingReason: Stripe.Invoice.BillingReason, creditUnused: boolean): Inv {
  const customer = idOf(sub.customer as string)!;
  if (creditUnused) for (const spec of unusedCredit(b, sub, at)) createInvoiceItem(b, customer, sub.currency, spec, at);
  const r = recurrence(sub.items.data[0].price);
  sub.billing_cycle_anchor = at;
  const period = { start: at, end: boundary(at, r, 1) };
  for (const it of sub.items.data) {
    it.current_period_start = period.start;
    it.current_period_end = period.end;
  }
  const specs = sub.items.data.filter((it) => !isMetered(it.price)).map((it) => itemLine(b, sub, it, period));
  const inv = createInvoice(b, {
    customer,
    currency: sub.currency,
    subscription: sub,
    billingReason,
    specs,
    discounts: sub.discounts as string[],
    at,
    period: { start: at, end: at },
    includePending: true,
  });
  sub.latest_invoice = inv.id;
  consumeOnceDiscounts(b, sub, inv.discounts as string[]);
  return inv;
}

export function cancelSubscription(
  b: Billing,
  subIn: Sub,
  at: number,
  opts: { invoiceNow: boolean; prorate: boolean; reason?: string; details?: Partial<Stripe.Subscription.CancellationDetails> },
): Sub {
  const sub = getSub(b, subIn.id) ?? subIn;
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw errors.invalid(
      `A canceled subscription can only update its cancellation_details and metadata.`,
      undefined,
      'invalid_canceled_subscription_fields' as string,
    );
  }
  const before = clone(sub);
  const customer = idOf(sub.customer as string)!;
  const wasBilling = ['active', 'past_due', 'unpaid', 'trialing'].includes(sub.status);
  if (opts.prorate && wasBilling && sub.status !== 'trialing') {
    for (const spec of unusedCredit(b, sub, at)) createInvoiceItem(b, customer, sub.currency, spec, at);
  }
  sub.status = 'canceled';
  sub.canceled_at = sub.canceled_at ?? at;
  sub.ended_at = at;
  sub.cancellation_details = {
    comment: opts.details?.comment ?? sub.cancellation_details?.comment ?? null,
    feedback: opts.details?.feedback ?? sub.cancellation_details?.feedback ?? null,
    feedback_option: opts.details?.feedback_option ?? sub.cancellation_details?.feedback_option ?? null,
    reason: (opts.reason ?? 'cancellation_requested') as Stripe.Subscription.CancellationDetails.Reason,
  } as Stripe.Subscription.CancellationDetails;
  saveSub(b, sub);
  if (opts.invoiceNow) {
    const metered = sub.items.data
      .filter((it) => isMetered(it.price))
      .map((it) => usageLine(b, sub, it, { start: it.current_period_start, end: at }));
    const pending = pendingItems(b, customer, sub.id);
    if (metered.length > 0 || pending.length > 0) {
      const inv = createInvoice(b, {
        customer,
        currency: sub.currency,
        subscription: sub,
        billingReason: 'subscription_cycle',
        specs: metered,
        discounts: sub.discounts as string[],
        at,
        period: { start: at, end: at },
        includePending: true,
      });
      sub.latest_invoice = inv.id;
      saveSub(b, sub);
      collect(b, inv, sub, at);
    }
  }
  // stop retrying open invoices of this subscription
  for (const inv of b.store.all('invoice', { where: { status: 'open' } }) as Inv[]) {
    if (inv.parent?.subscription_details?.subscription === sub.id && inv.next_payment_attempt != null) {
      inv.next_payment_attempt = null;
      b.store.put('invoice', inv as never);
    }
  }
  const final = getSub(b, sub.id)!;
  if (final.schedule) {
    const sch = b.store.get('subscription_schedule', idOf(final.schedule as string)!) as Stripe.SubscriptionSchedule | null;
    if (sch && (sch.status === 'active' || sch.status === 'not_started')) {
      sch.status = 'canceled';
      sch.canceled_at = at;
      sch.current_phase = null;
      b.store.put('subscription_schedule', sch as never);
      b.host.emit('subscription_schedule.canceled', sch);
    }
  }
  b.host.emit('customer.subscription.deleted', final, previousAttributes(before, final));
  return final;
}

/**
 * `invoice.paid` hook: a subscription whose invoices are all paid is active again (trialing during a
 * trial), and the card that paid becomes its default with save_default_payment_method=on_subscription.
 */
export function onInvoicePaid(b: Billing, inv: Inv): void {
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = subId ? getSub(b, idOf(subId as string)!) : null;
  if (!sub) return;
  const at = inv.status_transitions.paid_at ?? nowForCustomer(b, idOf(inv.customer as string));
  const before = clone(sub);
  if (isPendingUpdateInvoice(sub, inv)) {
    // The update was waiting for this payment: it applies now.
    const pu = sub.pending_update!;
    sub.items = apiList(pu.subscription_items ?? sub.items.data, sub.items.url);
    if (pu.billing_cycle_anchor != null) sub.billing_cycle_anchor = pu.billing_cycle_anchor;
    sub.pending_update = null;
    saveSub(b, sub);
    b.host.emit('customer.subscription.pending_update_applied', sub, previousAttributes(before, sub));
  }
  if (['incomplete', 'past_due', 'unpaid'].includes(sub.status)) {
    // still failing invoices keep the subscription past_due
    const stillOpen = (b.store.all('invoice', { where: { status: 'open', customer: idOf(sub.customer as string)! } }) as Inv[]).filter(
      (i) => i.id !== inv.id && i.parent?.subscription_details?.subscription === sub.id && i.attempt_count > 0,
    );
    if (stillOpen.length === 0) sub.status = sub.trial_end && sub.trial_end > at ? 'trialing' : 'active';
  }
  // paid through its PaymentIntent (not out of band, not a zero invoice)
  const piId = inv.amount_paid > 0 ? invState(b, inv.id).paymentIntent : null;
  const pi = piId ? b.host.getPaymentIntent(piId) : null;
  const pm = pi ? idOf(pi.payment_method as string | null) : null;
  if (pm && sub.payment_settings?.save_default_payment_method === 'on_subscription') {
    sub.default_payment_method = pm;
  }
  saveSub(b, sub);
  emitSubUpdated(b, before, sub);
}

/**
 * `invoice.payment_failed` hook: after a failed attempt by the engine (not a client-side confirm, not
 * the first invoice) the subscription is past_due; after the last retry it follows settings.afterRetries.
 */
export function onInvoicePaymentFailed(b: Billing, inv: Inv): void {
  const attempt = invState(b, inv.id).failedAttempt;
  if (!attempt) return;
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = subId ? getSub(b, idOf(subId as string)!) : null;
  if (!sub || inv.billing_reason === 'subscription_create' || b.creating.has(sub.id)) return;
  // A failed pending update leaves the subscription as it was: it keeps cycling, not past_due.
  if (isPendingUpdateInvoice(sub, inv)) return;
  if (inv.next_payment_attempt == null && attempt.automatic && inv.attempt_count > b.settings.retryDays.length) {
    afterRetriesExhausted(b, sub, attempt.at);
  } else if (sub.status === 'active' || sub.status === 'trialing') {
    const before = clone(sub);
    sub.status = 'past_due';
    saveSub(b, sub);
    emitSubUpdated(b, before, sub);
  }
}

function afterRetriesExhausted(b: Billing, sub: Sub, at: number): void {
  const mode = b.settings.afterRetries;
  if (mode === 'cancel') {
    cancelSubscription(b, sub, at, { invoiceNow: false, prorate: false, reason: 'payment_failed' });
  } else if (mode === 'unpaid') {
    const before = clone(sub);
    sub.status = 'unpaid';
    saveSub(b, sub);
    emitSubUpdated(b, before, sub);
  } else if (sub.status !== 'past_due') {
    const before = clone(sub);
    sub.status = 'past_due';
    saveSub(b, sub);
    emitSubUpdated(b, before, sub);
  }
}

// --- pending updates (payment_behavior=pending_if_incomplete) -----------------------------------------

/** The parameters Stripe accepts beside payment_behavior=pending_if_incomplete. */
export const PENDING_UPDATE_PARAMS = [
  'expand',
  'payment_behavior',
  'proration_behavior',
  'proration_date',
  'billing_cycle_anchor',
  'items',
  'price',
  'quantity',
  'trial_end',
  'trial_from_plan',
  'add_invoice_items',
  'off_session',
];
/** How long a pending update waits for its invoice to be paid (Stripe: 23 hours). */
const PENDING_UPDATE_TTL = 23 * 3600;

function isPendingUpdateInvoice(sub: Sub, inv: Inv): boolean {
  return !!sub.pending_update && idOf(sub.latest_invoice as string | null) === inv.id;
}

/**
 * An update made with pending_if_incomplete created `inv`: until it is paid, the subscription keeps
 * its items (and billing cycle), and the new ones wait in `pending_update`. Call before collecting.
 */
export function holdAsPendingUpdate(sub: Sub, before: Sub, inv: Inv, at: number): void {
  const anchor = sub.billing_cycle_anchor !== before.billing_cycle_anchor ? sub.billing_cycle_anchor : null;
  const wanted = sub.items.data;
  sub.items = clone(before.items);
  sub.billing_cycle_anchor = before.billing_cycle_anchor;
  sub.latest_invoice = inv.id;
  sub.pending_update = {
    billing_cycle_anchor: anchor,
    expires_at: at + PENDING_UPDATE_TTL,
    subscription_items: wanted,
    trial_end: null,
    trial_from_plan: null,
    ...{ cancel_at_period_end: null, discount: null, discounts: null, metadata: null }, // fields this update does not change
  } as Stripe.Subscription.PendingUpdate;
}

/** `invoice.voided` hook: voiding a pending update's invoice discards the update. */
export function onInvoiceVoided(b: Billing, inv: Inv): void {
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = subId ? getSub(b, idOf(subId as string)!) : null;
  if (!sub || !isPendingUpdateInvoice(sub, inv)) return;
  const before = clone(sub);
  sub.pending_update = null;
  saveSub(b, sub);
  emitSubUpdated(b, before, sub);
}

/** The pending update was not paid in time: discarded (customer.subscription.pending_update_expired). */
export function expirePendingUpdate(b: Billing, subId: string, at: number): void {
  const sub = getSub(b, subId);
  if (!sub?.pending_update || sub.pending_update.expires_at > at) return;
  const before = clone(sub);
  sub.pending_update = null;
  saveSub(b, sub);
  b.host.emit('customer.subscription.pending_update_expired', sub, previousAttributes(before, sub));
  emitSubUpdated(b, before, sub);
}
