/**
 * The console's customer views (docs/admin.md): search, one customer's mirror (subscriptions,
 * invoices, cards, usage) and timeline, and "Resync from Stripe". Everything here reads the mirror;
 * only the resync calls Stripe, through syncCustomer (reads only, the same function the actions and
 * the backfill use).
 */
import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { fromStripeError } from '~/billing/errors';
import { syncCustomer } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import {
  adminAudit,
  customers,
  invoices,
  meterReports,
  outbox,
  paymentMethods,
  payments,
  stripeEvents,
  subscriptions,
  usageDaily,
  users,
  webhookEffects,
  type User,
} from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { recordAdminAction } from './audit.server';

const SEARCH_PAGE_SIZE = 25;

export interface CustomerHit {
  /** The console's key for the customer page: the user id, or the Stripe id of a customer no account owns. */
  key: string;
  userId: string | null;
  customerId: string | null;
  email: string | null;
  name: string | null;
  status: string | null;
}

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Accounts (and Stripe customers no account owns) whose email or name contains `q`, or whose Stripe
 * customer id is `q`; newest first, SEARCH_PAGE_SIZE a page. An empty `q` lists everyone.
 */
export function searchCustomers({ q, page }: { q: string; page: number }): { hits: CustomerHit[]; hasMore: boolean } {
  const needle = `%${escapeLike(q.trim().toLowerCase())}%`;
  const exact = q.trim();
  const all = exact === '';
  const offset = (page - 1) * SEARCH_PAGE_SIZE;
  const rows = db().all<{
    user_id: string | null;
    customer_id: string | null;
    email: string | null;
    name: string | null;
    created: number;
    status: string | null;
  }>(sql`
    select u.id as user_id, u.stripe_customer_id as customer_id, u.email, u.name, u.created_at / 1000 as created,
           (select s.status from ${subscriptions} s where s.customer_id = u.stripe_customer_id order by s.stripe_created desc limit 1) as status
      from ${users} u
     where ${
       all
         ? sql`1`
         : sql`(lower(u.email) like ${needle} escape '\\' or lower(u.name) like ${needle} escape '\\' or u.stripe_customer_id = ${exact}
            or u.stripe_customer_id in (select c.id from ${customers} c where lower(c.email) like ${needle} escape '\\' or lower(c.name) like ${needle} escape '\\'))`
     }
    union all
    select null, c.id, c.email, c.name, c.stripe_created,
           (select s.status from ${subscriptions} s where s.customer_id = c.id order by s.stripe_created desc limit 1)
      from ${customers} c
     where c.deleted = 0 and not exists (select 1 from ${users} u2 where u2.stripe_customer_id = c.id)
       and ${all ? sql`1` : sql`(lower(c.email) like ${needle} escape '\\' or lower(c.name) like ${needle} escape '\\' or c.id = ${exact})`}
     order by created desc, 2 desc
     limit ${SEARCH_PAGE_SIZE + 1} offset ${offset}`);
  return {
    hits: rows.slice(0, SEARCH_PAGE_SIZE).map((r) => ({
      key: r.user_id ?? r.customer_id!,
      userId: r.user_id,
      customerId: r.customer_id,
      email: r.email,
      name: r.name,
      status: r.status,
    })),
    hasMore: rows.length > SEARCH_PAGE_SIZE,
  };
}

export interface TimelineEntry {
  at: number;
  kind: 'stripe-event' | 'effect' | 'email' | 'admin';
  title: string;
  detail: string | null;
  status: string | null;
  ref: string;
}

const TIMELINE_LIMIT = 100;

function customerTimeline(userId: string | null, customerId: string | null, objectIds: string[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const ids = [...new Set([customerId, ...objectIds].filter((x): x is string => !!x))];
  if (ids.length) {
    for (const e of db()
      .select({
        id: stripeEvents.id,
        type: stripeEvents.type,
        status: stripeEvents.status,
        lastError: stripeEvents.lastError,
        objectId: stripeEvents.objectId,
        receivedAt: stripeEvents.receivedAt,
        attempts: stripeEvents.attempts,
      })
      .from(stripeEvents)
      .where(inArray(stripeEvents.objectId, ids.slice(0, 500)))
      .orderBy(desc(stripeEvents.receivedAt))
      .limit(TIMELINE_LIMIT)
      .all()) {
      entries.push({
        at: e.receivedAt,
        kind: 'stripe-event',
        title: e.type,
        detail: e.lastError ? `${e.objectId ?? ''} · ${e.lastError}` : e.objectId,
        status: e.status,
        ref: e.id,
      });
    }
  }
  if (userId) {
    for (const f of db()
      .select()
      .from(webhookEffects)
      .where(eq(webhookEffects.userId, userId))
      .orderBy(desc(webhookEffects.createdAt))
      .limit(TIMELINE_LIMIT)
      .all()) {
      entries.push({ at: f.createdAt, kind: 'effect', title: f.kind, detail: `from ${f.eventId}`, status: null, ref: f.key });
    }
    for (const m of db()
      .select()
      .from(outbox)
      .where(eq(outbox.userId, userId))
      .orderBy(desc(outbox.createdAt))
      .limit(TIMELINE_LIMIT)
      .all()) {
      entries.push({ at: m.createdAt, kind: 'email', title: m.template, detail: m.toEmail, status: m.status, ref: String(m.id) });
    }
  }
  if (customerId) {
    for (const a of db()
      .select()
      .from(adminAudit)
      .where(eq(adminAudit.customerId, customerId))
      .orderBy(desc(adminAudit.createdAt))
      .limit(TIMELINE_LIMIT)
      .all()) {
      entries.push({
        at: a.createdAt,
        kind: 'admin',
        title: a.action,
        detail: `${a.actorEmail} · ${a.target}${a.detail ? ` · ${JSON.stringify(a.detail)}` : ''}`,
        status: null,
        ref: String(a.id),
      });
    }
  }
  return entries.sort((a, b) => b.at - a.at).slice(0, TIMELINE_LIMIT);
}

const USAGE_DAYS = 30;

/** One customer as the mirror sees it, keyed by user id or (for a customer no account owns) Stripe id. */
export function getAdminCustomer(key: string) {
  const user = key.startsWith('cus_')
    ? (db().select().from(users).where(eq(users.stripeCustomerId, key)).get() ?? null)
    : (db().select().from(users).where(eq(users.id, key)).get() ?? null);
  const customerId = user ? user.stripeCustomerId : key.startsWith('cus_') ? key : null;
  const customer = customerId ? (db().select().from(customers).where(eq(customers.id, customerId)).get() ?? null) : null;
  if (!user && !customer) return null;
  const subs = customerId
    ? db().select().from(subscriptions).where(eq(subscriptions.customerId, customerId)).orderBy(desc(subscriptions.stripeCreated)).all()
    : [];
  const invs = customerId
    ? db().select().from(invoices).where(eq(invoices.customerId, customerId)).orderBy(desc(invoices.stripeCreated)).limit(20).all()
    : [];
  const cards = customerId
    ? db()
        .select()
        .from(paymentMethods)
        .where(and(eq(paymentMethods.customerId, customerId), eq(paymentMethods.detached, false)))
        .all()
    : [];
  const oneTime = customerId
    ? db().select().from(payments).where(eq(payments.customerId, customerId)).orderBy(desc(payments.stripeCreated)).limit(20).all()
    : [];
  const since = new Date(machineClock.nowMs() - USAGE_DAYS * 86_400_000).toISOString().slice(0, 10);
  const usage = user
    ? db()
        .select({ meter: usageDaily.meter, calls: sql<number>`sum(${usageDaily.calls})` })
        .from(usageDaily)
        .where(and(eq(usageDaily.userId, user.id), gte(usageDaily.day, since)))
        .groupBy(usageDaily.meter)
        .all()
    : [];
  const reports = user
    ? db().get<{ pending: number | null; failed: number | null; sent: number | null; last: number | null }>(
        sql`select sum(case when status='pending' then 1 else 0 end) as pending, sum(case when status='failed' then 1 else 0 end) as failed,
                   sum(case when status='sent' then 1 else 0 end) as sent, max(sent_at) as last
              from ${meterReports} where user_id = ${user.id}`,
      )
    : null;
  const objectIds = [...subs.map((s) => s.id), ...invs.map((i) => i.id), ...cards.map((c) => c.id), ...oneTime.map((p) => p.id)];
  return {
    user,
    customerId,
    customer,
    subscriptions: subs,
    invoices: invs,
    cards,
    payments: oneTime,
    usage: {
      days: USAGE_DAYS,
      meters: usage,
      reports: {
        pending: reports?.pending ?? 0,
        failed: reports?.failed ?? 0,
        sent: reports?.sent ?? 0,
        lastSentAt: reports?.last ?? null,
      },
    },
    timeline: customerTimeline(user?.id ?? null, customerId, objectIds),
  };
}

export type ResyncOutcome = { ok: true; message: string } | { ok: false; status: 502; message: string };

/** "Resync from Stripe": syncCustomer for one customer, audited with what it read. */
export async function resyncCustomer({ actor, customerId }: { actor: User; customerId: string }): Promise<ResyncOutcome> {
  try {
    const counts = await syncCustomer(customerId);
    recordAdminAction({ actor, action: 'resync', target: customerId, customerId, detail: counts });
    return {
      ok: true,
      message: `Resynced ${customerId} from Stripe: ${counts.subscriptions} subscription(s), ${counts.invoices} invoice(s), ${counts.paymentMethods} card(s), ${counts.payments} payment(s).`,
    };
  } catch (error) {
    // Operators get the cause in its own words: Stripe's type and message, or the error that stopped the write.
    const e = error as { type?: unknown; message?: unknown } | null;
    const words =
      typeof e?.type === 'string' && e.type.startsWith('Stripe')
        ? `${e.type}: ${String(e.message)}`
        : error instanceof Error
          ? error.message.slice(0, 300)
          : fromStripeError(error).message;
    recordAdminAction({ actor, action: 'resync', target: customerId, customerId, detail: { error: words } });
    return { ok: false, status: 502, message: `The resync did not complete: ${words}` };
  }
}
