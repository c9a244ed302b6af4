/** The clock-driven life of a subscription: renewals, trial ends, incomplete expiry, the upcoming invoice. */
import type Stripe from 'stripe';
import { nextBoundaryAfter } from '../period';
import { clone, idOf } from '../util';
import { type Billing, type Sub, type Inv, type LineSpec } from './context';
import { defaultPaymentMethod, getInvoice, getSub, isMetered, recurrence, requirePrice } from './lookups';
import { consumeOnceDiscounts, discountLikes } from './discounts';
import { asPreview, buildInvoice, buildItem, itemLine, specFromInvoiceItem, usageLine } from './lines';
import { getSchedule } from './schedules';
import { collect, createInvoice, finalize, markUncollectible, pendingItems, voidInvoice } from './invoices';
import { cancelSubscription, emitSubUpdated, saveSub } from './subscriptions';

/** Renewal at the end of the current period. */
export function renew(b: Billing, sub: Sub, at: number): void {
  const before = clone(sub);
  const customer = idOf(sub.customer as string)!;
  const first = sub.items.data[0];
  if (!first) return;
  const oldPeriod = { start: first.current_period_start, end: first.current_period_end };
  const r = recurrence(first.price);
  const newPeriod = { start: oldPeriod.end, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, oldPeriod.end) };
  const specs: LineSpec[] = [];
  for (const it of sub.items.data) {
    if (isMetered(it.price)) specs.push(usageLine(b, sub, it, oldPeriod));
  }
  for (const it of sub.items.data) {
    it.current_period_start = newPeriod.start;
    it.current_period_end = newPeriod.end;
    if (!isMetered(it.price)) specs.unshift(itemLine(b, sub, it, newPeriod));
  }
  if (sub.pause_collection?.resumes_at && sub.pause_collection.resumes_at <= at) sub.pause_collection = null;
  const inv = createInvoice(b, {
    customer,
    currency: sub.currency,
    subscription: sub,
    billingReason: 'subscription_cycle',
    specs,
    discounts: sub.discounts as string[],
    at,
    period: oldPeriod,
    includePending: true,
  });
  sub.latest_invoice = inv.id;
  consumeOnceDiscounts(b, sub, inv.discounts as string[]);
  saveSub(b, sub);
  emitSubUpdated(b, before, sub);
  const pause = sub.pause_collection;
  if (pause) {
    if (pause.behavior === 'keep_as_draft') return;
    const fin = finalize(b, inv, at);
    if (fin.status !== 'open') return;
    if (pause.behavior === 'void') voidInvoice(b, fin, at);
    else markUncollectible(b, fin, at);
    return;
  }
  if (sub.status === 'unpaid') {
    // Stripe keeps creating invoices for unpaid subscriptions but leaves them as drafts
    return;
  }
  collect(b, inv, sub, at);
}

export function trialEnded(b: Billing, sub: Sub, at: number): void {
  const customer = idOf(sub.customer as string)!;
  const pm = defaultPaymentMethod(b, sub, customer);
  const missing = sub.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice';
  if (!pm && missing === 'cancel') {
    cancelSubscription(b, sub, at, { invoiceNow: false, prorate: false, reason: 'cancellation_requested' });
    return;
  }
  const before = clone(sub);
  if (!pm && missing === 'pause') {
    sub.status = 'paused';
    sub.status_details = {
      paused: { subscription: { type: 'trial_end_without_payment_method' }, transitioned_at: at, type: 'subscription' },
    } as unknown as Stripe.Subscription.StatusDetails;
    saveSub(b, sub);
    b.host.emit('customer.subscription.paused', sub);
    emitSubUpdated(b, before, sub);
    return;
  }
  sub.status = 'active';
  const first = sub.items.data[0];
  const r = recurrence(first.price);
  const newPeriod = { start: at, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, at) };
  for (const it of sub.items.data) {
    it.current_period_start = newPeriod.start;
    it.current_period_end = newPeriod.end;
  }
  const specs = sub.items.data.filter((it) => !isMetered(it.price)).map((it) => itemLine(b, sub, it, newPeriod));
  const inv = createInvoice(b, {
    customer,
    currency: sub.currency,
    subscription: sub,
    billingReason: 'subscription_cycle',
    specs,
    discounts: sub.discounts as string[],
    at,
    period: { start: sub.trial_start ?? at, end: at },
    includePending: true,
  });
  sub.latest_invoice = inv.id;
  consumeOnceDiscounts(b, sub, inv.discounts as string[]);
  saveSub(b, sub);
  emitSubUpdated(b, before, sub);
  collect(b, inv, sub, at);
}

export function expireIncomplete(b: Billing, sub: Sub, at: number): void {
  const before = clone(sub);
  sub.status = 'incomplete_expired';
  sub.ended_at = at;
  saveSub(b, sub);
  const inv = sub.latest_invoice ? getInvoice(b, idOf(sub.latest_invoice as string)!) : null;
  if (inv && inv.status === 'open') voidInvoice(b, inv, at);
  emitSubUpdated(b, before, getSub(b, sub.id)!);
}

/** The next renewal invoice of a subscription as it stands (not stored). */
/** A schedule's phase that starts by `at` and is not the current one: its items, for a preview. */
function scheduledItems(b: Billing, sub: Sub, at: number, period: { start: number; end: number }): Stripe.SubscriptionItem[] | null {
  const id = idOf(sub.schedule as string | null);
  const sch = id ? getSchedule(b, id) : null;
  if (!sch || sch.status !== 'active') return null;
  const phase = sch.phases.find((ph) => ph.start_date <= at && (ph.end_date == null || at < ph.end_date));
  if (!phase || phase.start_date === sch.current_phase?.start_date) return null;
  return phase.items.map((it) => buildItem(b, sub.id, requirePrice(b, idOf(it.price as string)!), it.quantity ?? 1, period, at));
}

export function previewUpcoming(b: Billing, sub: Sub, at: number, extra: LineSpec[] = [], itemsOverride?: Stripe.SubscriptionItem[]): Inv {
  const customer = idOf(sub.customer as string)!;
  const items = itemsOverride ?? sub.items.data;
  const first = items[0];
  const r = recurrence(first.price);
  let period = { start: first.current_period_start, end: first.current_period_end };
  let newPeriod: { start: number; end: number };
  if (sub.status === 'trialing' && sub.trial_end)
    newPeriod = { start: sub.trial_end, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, sub.trial_end) };
  else newPeriod = { start: period.end, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, period.end) };
  if (sub.status === 'trialing') period = { start: sub.trial_start ?? at, end: newPeriod.start };
  // The next period is billed as the schedule's phase starting then says (a scheduled plan change).
  const next = (!itemsOverride && scheduledItems(b, sub, newPeriod.start, newPeriod)) || items;
  const specs: LineSpec[] = next.filter((it) => !isMetered(it.price)).map((it) => itemLine(b, sub, it, newPeriod));
  for (const it of items) if (isMetered(it.price)) specs.push(usageLine(b, sub, it, period));
  for (const ii of pendingItems(b, customer, sub.id)) specs.push(specFromInvoiceItem(b, ii));
  specs.push(...extra);
  const inv = buildInvoice(b, {
    customer,
    currency: sub.currency,
    subscription: sub,
    billingReason: 'upcoming',
    specs,
    discounts: discountLikes(b, sub.discounts as string[], newPeriod.start).map((d) => d.id),
    at: newPeriod.start,
    period,
  });
  return asPreview(inv);
}
