/**
 * Keeps the right metered item on every live monthly subscription: the plan's graduated metered price
 * (plans.ts `meteredPriceOf`: the plan's included calls free, then a cent a call). Run by the
 * reporter every `METERED_ITEMS_EVERY_MS`, from the mirror:
 *  - a subscription without the item gets it (`subscriptionItems.create`, no proration: metered
 *    items bill in arrears);
 *  - after a plan change the item is moved to the new plan's price (`subscriptionItems.update`), so
 *    the period is billed with the allowance of the plan it ends on;
 *  - a subscription managed by a schedule is left alone (Stripe refuses item changes on it); it is
 *    fixed once the schedule releases it.
 * Yearly subscriptions carry no metered item (Stripe bills one interval per subscription).
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { priceByLookupKey } from '~/billing/catalog.server';
import { meteredPriceOf, planByLookupKey } from '~/billing/plans';
import { syncObject } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { subscriptionItems, subscriptions } from '~/db/schema';
import { stripe } from '~/stripe/client.server';

const LIVE = ['active', 'trialing', 'past_due'] as const;

export interface MeteredItemChange {
  subscriptionId: string;
  action: 'added' | 'moved';
  lookupKey: string;
}

/** Make every live monthly subscription (or just these) carry its plan's metered price. */
export async function ensureMeteredItems(opts: { subscriptionIds?: string[] } = {}): Promise<MeteredItemChange[]> {
  const d = db();
  const where = [inArray(subscriptions.status, [...LIVE]), isNull(subscriptions.scheduleId)];
  if (opts.subscriptionIds) where.push(inArray(subscriptions.id, opts.subscriptionIds));
  const subs = d
    .select({ id: subscriptions.id, lookupKey: subscriptions.priceLookupKey })
    .from(subscriptions)
    .where(and(...where))
    .all();
  const changes: MeteredItemChange[] = [];
  for (const sub of subs) {
    const found = sub.lookupKey ? planByLookupKey(sub.lookupKey) : null;
    if (!found || found.interval !== 'month') continue;
    const want = meteredPriceOf(found.plan);
    const items = d
      .select()
      .from(subscriptionItems)
      .where(and(eq(subscriptionItems.subscriptionId, sub.id), eq(subscriptionItems.usageType, 'metered')))
      .all();
    if (items.some((i) => i.priceLookupKey === want.lookupKey)) continue;
    const price = await priceByLookupKey(want.lookupKey);
    const existing = items[0];
    if (existing) {
      await stripe().subscriptionItems.update(
        existing.id,
        { price: price.id, proration_behavior: 'none' },
        { idempotencyKey: `metered-move:${existing.id}:${price.id}` },
      );
      changes.push({ subscriptionId: sub.id, action: 'moved', lookupKey: want.lookupKey });
    } else {
      await stripe().subscriptionItems.create(
        { subscription: sub.id, price: price.id, proration_behavior: 'none' },
        { idempotencyKey: `metered-add:${sub.id}:${price.id}` },
      );
      changes.push({ subscriptionId: sub.id, action: 'added', lookupKey: want.lookupKey });
    }
    await syncObject('subscription', sub.id);
  }
  return changes;
}
