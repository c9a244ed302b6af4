/** Subscription item changes: the new items and their proration lines, then stored per proration_behavior. */
import type Stripe from 'stripe';
import { errors } from '../../core/errors';
import { prorationLines, type ProrationBehavior } from '../proration';
import { apiList, clone, idOf } from '../util';
import type { Infer } from '../../core';
import type { ItemInput, prorationBehaviorParam } from '../params';
import type { Billing, Inv, LineSpec, Sub } from './context';
import { isMetered, planOf, requirePrice } from './lookups';
import { buildItem, proratedItem } from './lines';
import { createInvoice, createInvoiceItem } from './invoices';
import { resetPeriod } from './subscriptions';

export interface UpdatePlan {
  at: number;
  items: Stripe.SubscriptionItem[];
  prorations: LineSpec[];
  behavior: ProrationBehavior;
  /**
   * The plan's interval changes (month → year): as Stripe does, the period restarts now and is
   * invoiced at once, whatever the proration behavior; `prorations` then hold only the credit for
   * the unused time of the old items.
   */
  resetsPeriod: boolean;
}

const licensed = (items: Stripe.SubscriptionItem[]) => items.find((i) => !isMetered(i.price));
const sameRecurrence = (a: Stripe.Price, b: Stripe.Price) =>
  a.recurring?.interval === b.recurring?.interval && (a.recurring?.interval_count ?? 1) === (b.recurring?.interval_count ?? 1);

/** Compute the items and proration lines of an item change without storing anything. */
export function planItemsUpdate(
  b: Billing,
  sub: Sub,
  itemsIn: ItemInput[] | undefined,
  behaviorIn: Infer<typeof prorationBehaviorParam> | undefined,
  prorationDate: number | undefined,
  at: number,
  opts: { resetPeriod?: boolean } = {},
): UpdatePlan {
  const behavior: ProrationBehavior = behaviorIn ?? 'create_prorations';
  const t = prorationDate ?? at;
  const current = sub.items.data;
  const next: Stripe.SubscriptionItem[] = current.map((i) => clone(i));
  const changes: Array<{ before: Stripe.SubscriptionItem | null; after: Stripe.SubscriptionItem | null }> = [];
  for (const [idx, input] of (itemsIn ?? []).entries()) {
    if (input.id) {
      const pos = next.findIndex((i) => i.id === input.id);
      if (pos < 0) throw errors.invalid(`Invalid subscription_item: ${input.id}`, `items[${idx}][id]`);
      const before = current.find((i) => i.id === input.id)!;
      if (input.deleted) {
        next.splice(pos, 1);
        changes.push({ before, after: null });
        continue;
      }
      const item = next[pos];
      if (input.price && input.price !== item.price.id) {
        const p = requirePrice(b, input.price, `items[${idx}][price]`);
        item.price = p;
        item.plan = planOf(p);
        if (isMetered(p)) delete item.quantity;
        else if (item.quantity === undefined) item.quantity = 1;
      }
      if (input.quantity !== undefined && !isMetered(item.price)) item.quantity = input.quantity;
      if (input.metadata !== undefined) {
        const md: Record<string, string> = input.metadata === null ? {} : { ...item.metadata };
        for (const [k, v] of Object.entries(input.metadata ?? {})) {
          if (v == null) delete md[k];
          else md[k] = v;
        }
        item.metadata = md;
      }
      changes.push({ before, after: item });
    } else {
      if (!input.price) throw errors.missingParam(`items[${idx}][price]`);
      const p = requirePrice(b, input.price, `items[${idx}][price]`);
      const item = buildItem(
        b,
        sub.id,
        p,
        input.quantity ?? 1,
        { start: current[0]?.current_period_start ?? at, end: current[0]?.current_period_end ?? at },
        at,
      );
      next.push(item);
      changes.push({ before: null, after: item });
    }
  }
  const prorations: LineSpec[] = [];
  const inTrial = sub.status === 'trialing' && sub.trial_end != null && sub.trial_end > at;
  const was = licensed(current);
  const is = licensed(next);
  const resetsPeriod = !inTrial && !opts.resetPeriod && !!was && !!is && !sameRecurrence(was.price, is.price);
  if (behavior !== 'none' && !inTrial && !opts.resetPeriod && current.length > 0) {
    const pStart = current[0].current_period_start;
    const pEnd = current[0].current_period_end;
    if (t < pStart || t > pEnd) throw errors.invalid('proration_date must be within the current billing period', 'proration_date');
    for (const ch of changes) {
      const before = ch.before ? proratedItem(b, ch.before) : null;
      // With a new period starting now, the new items are billed in full on it: only the credit is prorated.
      const after = ch.after && !resetsPeriod ? proratedItem(b, ch.after) : null;
      if (resetsPeriod && !before) continue;
      for (const line of prorationLines(before, after, pStart, pEnd, t)) {
        if (line.amount === 0) continue;
        const price = line.kind === 'credit' ? ch.before!.price : ch.after!.price;
        prorations.push({
          amount: line.amount,
          description: line.description,
          quantity: line.quantity,
          price,
          unitAmount: line.unitAmount,
          period: line.period,
          proration: true,
          subscription: sub.id,
          subscriptionItem: line.subscriptionItem,
          invoiceItem: null,
          discountable: true,
          metadata: {},
        });
      }
    }
  }
  return { at: t, items: next, prorations, behavior, resetsPeriod };
}

/** Apply an item plan: store prorations per behavior. Returns the invoice when always_invoice. */
export function applyItemsPlan(b: Billing, sub: Sub, plan: UpdatePlan, at: number): Inv | null {
  sub.items = apiList(plan.items, sub.items.url);
  const customer = idOf(sub.customer as string)!;
  if (plan.resetsPeriod) {
    for (const spec of plan.prorations) createInvoiceItem(b, customer, sub.currency, spec, at);
    return resetPeriod(b, sub, at, 'subscription_update', false);
  }
  if (plan.prorations.length === 0) return null;
  for (const spec of plan.prorations) createInvoiceItem(b, customer, sub.currency, spec, at);
  if (plan.behavior === 'always_invoice') {
    const inv = createInvoice(b, {
      customer,
      currency: sub.currency,
      subscription: sub,
      billingReason: 'subscription_update',
      specs: [],
      discounts: sub.discounts as string[],
      at,
      period: { start: at, end: at },
      includePending: true,
      prorationDate: plan.at,
    });
    sub.latest_invoice = inv.id;
    return inv;
  }
  return null;
}
