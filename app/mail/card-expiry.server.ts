/**
 * "Your card expires at the end of next month": Stripe sends no event for a PaymentMethod about to
 * expire, so the sender looks through the mirror hourly. A card qualifies when it is the one a live
 * subscription is charged to (the subscription's default card, else the customer's) and its expiry
 * month is next month by the billing clock. One message per card and expiry (`card-expiring:{pm}:{yyyy-mm}`).
 */
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { customers, paymentMethods, subscriptions } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { queueMail } from './outbox.server';

const LIVE = ['active', 'trialing', 'past_due'] as const;

/** Queue the notices due now; returns how many were queued. */
export function queueCardExpiryNotices(now = clock.now()): number {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const [year, month] = [next.getUTCFullYear(), next.getUTCMonth() + 1];
  const charged = db()
    .select({ userId: subscriptions.userId, subPm: subscriptions.defaultPaymentMethodId, customerPm: customers.defaultPaymentMethodId })
    .from(subscriptions)
    .innerJoin(customers, eq(customers.id, subscriptions.customerId))
    .where(and(inArray(subscriptions.status, [...LIVE]), isNotNull(subscriptions.userId)))
    .all()
    .map((r) => ({ userId: r.userId!, pm: r.subPm ?? r.customerPm }))
    .filter((r): r is { userId: string; pm: string } => !!r.pm);
  if (charged.length === 0) return 0;
  const cards = db()
    .select()
    .from(paymentMethods)
    .where(
      and(
        inArray(
          paymentMethods.id,
          charged.map((c) => c.pm),
        ),
        eq(paymentMethods.detached, false),
        eq(paymentMethods.expYear, year),
        eq(paymentMethods.expMonth, month),
      ),
    )
    .all();
  const owner = new Map(charged.map((c) => [c.pm, c.userId]));
  return db().transaction((tx) =>
    cards.filter((card) =>
      queueMail(tx, {
        dedupeKey: `card-expiring:${card.id}:${year}-${String(month).padStart(2, '0')}`,
        kind: 'card-expiring',
        userId: owner.get(card.id) ?? null,
        data: { paymentMethod: card.id, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear },
      }),
    ),
  ).length;
}
