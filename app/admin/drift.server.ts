/**
 * Drift between the mirror and Stripe (docs/admin.md), read-only on both sides:
 * - `reconcileEvents`: the events Stripe has (`events.list`, 30 days kept) that the inbox lacks — with
 *   `enqueue`, stored exactly as the webhook would have stored them (`npm run stripe:reconcile`);
 *   without, only counted (the drift report);
 * - `customerDrift`: one customer's mirror rows compared field by field with the same objects read
 *   from Stripe now (the reads syncCustomer makes), listing every difference;
 * - `startDriftAll`: both, for every customer, as a background job with a progress row the console
 *   polls; bounded (one job at a time, two customers read at once, at most MAX_CUSTOMERS).
 * Fixing is a separate, explicit step: "Resync from Stripe" (syncCustomer) or a replay.
 */
import crypto from 'node:crypto';
import type Stripe from 'stripe';
import { and, desc, eq, sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { adminJobs, customers, invoices, paymentMethods, subscriptions, type AdminJobRow, type User } from '~/db/schema';
import { clock, machineClock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { enqueueFetchedEvent } from '~/webhooks/inbox.server';
import { recordAdminAction } from './audit.server';

// --- events the inbox lacks ---------------------------------------------------------------------

export interface ReconcileCounts {
  seen: number;
  alreadyStored: number;
  /** Missing from the inbox (with `enqueue`: now stored as pending). */
  missing: number;
  /** Missing, of a type the app ignores (with `enqueue`: stored as ignored). */
  missingIgnored: number;
  /** Up to 20 ids of missing handled events, for the report. */
  missingIds: string[];
}

export async function reconcileEvents({
  days,
  enqueue,
  onPage,
}: {
  days: number;
  enqueue: boolean;
  /** After each page; `oldest` is the page's last (oldest) event's `created` (progress of a script). */
  onPage?: (page: number, counts: ReconcileCounts, oldest: number | null) => void;
}): Promise<ReconcileCounts> {
  const since = clock.nowSeconds() - Math.min(30, Math.max(1, days)) * 86_400;
  const counts: ReconcileCounts = { seen: 0, alreadyStored: 0, missing: 0, missingIgnored: 0, missingIds: [] };
  const stored = db().$client.prepare('SELECT 1 FROM stripe_events WHERE id = ?').pluck();
  let page = 0;
  let startingAfter: string | undefined;
  for (;;) {
    const list = await stripe().events.list({
      created: { gte: since },
      limit: 100,
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    });
    page++;
    for (const event of list.data) {
      counts.seen++;
      if (enqueue) {
        const result = enqueueFetchedEvent(event);
        if (!result.inserted) counts.alreadyStored++;
        else if (result.status === 'ignored') counts.missingIgnored++;
        else {
          counts.missing++;
          if (counts.missingIds.length < 20) counts.missingIds.push(event.id);
        }
      } else if (stored.get(event.id)) counts.alreadyStored++;
      else {
        counts.missing++;
        if (counts.missingIds.length < 20) counts.missingIds.push(event.id);
      }
    }
    onPage?.(page, counts, list.data.at(-1)?.created ?? null);
    if (!list.has_more || list.data.length === 0) break;
    startingAfter = list.data.at(-1)!.id;
  }
  return counts;
}

// --- one customer ---------------------------------------------------------------------------------

export interface Difference {
  object: 'customer' | 'subscription' | 'payment_method' | 'invoice';
  id: string;
  field: string;
  mirror: string | null;
  stripe: string | null;
}

export interface CustomerDrift {
  customerId: string;
  differences: Difference[];
  checked: { subscriptions: number; paymentMethods: number; invoices: number };
}

/** The invoice window syncCustomer keeps fresh; older invoices are not compared. */
const INVOICE_WINDOW = 24;

const show = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));
const idOf = (v: string | { id: string } | null | undefined): string | null => (v == null ? null : typeof v === 'string' ? v : v.id);
const ms = (s: number | null | undefined) => (s == null ? null : s * 1000);

function compare(out: Difference[], object: Difference['object'], id: string, fields: [string, unknown, unknown][]) {
  for (const [field, mirror, fromStripe] of fields) {
    const a = show(mirror);
    const b = show(fromStripe);
    if (a !== b) out.push({ object, id, field, mirror: a, stripe: b });
  }
}

/** Four Stripe reads (customer, subscriptions, cards, recent invoices), compared with the mirror. */
export async function customerDrift(customerId: string): Promise<CustomerDrift> {
  const s = stripe();
  const out: Difference[] = [];
  const mirrorCustomer = db().select().from(customers).where(eq(customers.id, customerId)).get();
  let remote: Stripe.Customer | Stripe.DeletedCustomer | null = null;
  try {
    remote = await s.customers.retrieve(customerId);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const gone = !remote || ('deleted' in remote && remote.deleted);
  if (!mirrorCustomer) out.push({ object: 'customer', id: customerId, field: '(row)', mirror: null, stripe: gone ? 'deleted' : 'exists' });
  else if (gone !== mirrorCustomer.deleted)
    out.push({ object: 'customer', id: customerId, field: 'deleted', mirror: String(mirrorCustomer.deleted), stripe: String(gone) });
  if (gone || !remote || ('deleted' in remote && remote.deleted)) {
    return { customerId, differences: out, checked: { subscriptions: 0, paymentMethods: 0, invoices: 0 } };
  }
  const c = remote;
  if (mirrorCustomer) {
    compare(out, 'customer', customerId, [
      ['email', mirrorCustomer.email, c.email],
      ['name', mirrorCustomer.name, c.name ?? null],
      ['balance', mirrorCustomer.balance, c.balance ?? 0],
      ['default_payment_method', mirrorCustomer.defaultPaymentMethodId, idOf(c.invoice_settings?.default_payment_method ?? null)],
    ]);
  }

  const [subList, pmList, invList] = await Promise.all([
    s.subscriptions.list({ customer: customerId, status: 'all', limit: 100 }),
    s.customers.listPaymentMethods(customerId, { limit: 100 }),
    s.invoices.list({ customer: customerId, limit: INVOICE_WINDOW }),
  ]);

  const mirrorSubs = new Map(
    db()
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.customerId, customerId))
      .all()
      .map((r) => [r.id, r]),
  );
  for (const sub of subList.data) {
    const row = mirrorSubs.get(sub.id);
    mirrorSubs.delete(sub.id);
    if (!row) {
      out.push({ object: 'subscription', id: sub.id, field: '(row)', mirror: null, stripe: sub.status });
      continue;
    }
    const plan = sub.items.data.find((i) => i.price?.recurring?.usage_type !== 'metered') ?? sub.items.data[0];
    compare(out, 'subscription', sub.id, [
      ['status', row.status, sub.status],
      ['price', row.priceId, plan?.price?.id ?? null],
      ['quantity', row.quantity, plan?.quantity ?? null],
      ['cancel_at_period_end', row.cancelAtPeriodEnd, sub.cancel_at_period_end],
      ['cancel_at', row.cancelAt?.getTime() ?? null, ms(sub.cancel_at)],
      ['pause_collection', row.pauseBehavior, sub.pause_collection?.behavior ?? null],
    ]);
  }
  for (const row of mirrorSubs.values()) out.push({ object: 'subscription', id: row.id, field: '(row)', mirror: row.status, stripe: null });

  const mirrorPms = new Set(
    db()
      .select({ id: paymentMethods.id })
      .from(paymentMethods)
      .where(and(eq(paymentMethods.customerId, customerId), eq(paymentMethods.detached, false)))
      .all()
      .map((r) => r.id),
  );
  for (const pm of pmList.data) {
    if (!mirrorPms.delete(pm.id)) out.push({ object: 'payment_method', id: pm.id, field: 'attached', mirror: null, stripe: 'true' });
  }
  for (const id of mirrorPms) out.push({ object: 'payment_method', id, field: 'attached', mirror: 'true', stripe: null });

  const invoiceIds = invList.data.map((i) => i.id!);
  const mirrorInvoices = new Map(
    invoiceIds.length
      ? db()
          .select()
          .from(invoices)
          .where(sql`${invoices.id} in ${invoiceIds}`)
          .all()
          .map((r) => [r.id, r])
      : [],
  );
  for (const inv of invList.data) {
    const row = mirrorInvoices.get(inv.id!);
    if (!row) {
      out.push({ object: 'invoice', id: inv.id!, field: '(row)', mirror: null, stripe: inv.status });
      continue;
    }
    compare(out, 'invoice', inv.id!, [
      ['status', row.status, inv.status],
      ['amount_due', row.amountDue, inv.amount_due],
      ['amount_paid', row.amountPaid, inv.amount_paid],
      ['total', row.total, inv.total],
    ]);
  }
  return {
    customerId,
    differences: out,
    checked: { subscriptions: subList.data.length, paymentMethods: pmList.data.length, invoices: invList.data.length },
  };
}

/** The drift report for one customer, audited (the console's button). */
export async function reportCustomerDrift({ actor, customerId }: { actor: User; customerId: string }): Promise<CustomerDrift> {
  const report = await customerDrift(customerId);
  recordAdminAction({ actor, action: 'drift', target: customerId, customerId, detail: { differences: report.differences.length } });
  return report;
}

// --- everyone, in the background -------------------------------------------------------------------

const MAX_CUSTOMERS = 5_000;
const CONCURRENCY = 2;
/** Differences kept in the job's result (the count is always exact). */
const MAX_KEPT = 200;
/** A running job whose heartbeat is older than this belonged to a process that stopped. */
const STALE_MS = 60_000;
const EVENT_DAYS = 3;

export interface DriftAllResult {
  customers: number;
  customersWithDrift: number;
  differenceCount: number;
  differences: Difference[];
  errors: { customerId: string; message: string }[];
  events: ReconcileCounts | null;
  truncated: boolean;
}

const jobs = new Map<string, Promise<void>>();

/** The newest drift-all job (running, finished or interrupted), for the page to poll. */
export function latestDriftJob(): (AdminJobRow & { interrupted: boolean }) | null {
  const row = db().select().from(adminJobs).where(eq(adminJobs.kind, 'drift-all')).orderBy(desc(adminJobs.startedAt)).limit(1).get();
  if (!row) return null;
  return { ...row, interrupted: row.status === 'running' && machineClock.nowMs() - row.heartbeatAt > STALE_MS };
}

/**
 * Starts the drift report over every customer unless one is already running; returns the job id.
 * The work runs after the request has been answered; `driftJobDone(id)` awaits it (tests).
 */
export function startDriftAll({ actor }: { actor: User }): { started: boolean; jobId: string } {
  const current = latestDriftJob();
  if (current && current.status === 'running' && !current.interrupted) return { started: false, jobId: current.id };
  const ids = db()
    .all<{ id: string }>(
      sql`select id from ${customers} where deleted = 0
          union select stripe_customer_id as id from users where stripe_customer_id is not null
          order by 1 limit ${MAX_CUSTOMERS + 1}`,
    )
    .map((r) => r.id);
  const jobId = `job_${crypto.randomBytes(8).toString('hex')}`;
  const now = machineClock.nowMs();
  db()
    .insert(adminJobs)
    .values({
      id: jobId,
      kind: 'drift-all',
      status: 'running',
      startedBy: actor.email,
      total: Math.min(ids.length, MAX_CUSTOMERS),
      startedAt: now,
      heartbeatAt: now,
    })
    .run();
  recordAdminAction({ actor, action: 'drift-all', target: 'all', detail: { jobId, customers: Math.min(ids.length, MAX_CUSTOMERS) } });
  const run = runDriftAll(jobId, ids.slice(0, MAX_CUSTOMERS), ids.length > MAX_CUSTOMERS).finally(() => jobs.delete(jobId));
  jobs.set(jobId, run);
  return { started: true, jobId };
}

export async function driftJobDone(jobId: string): Promise<void> {
  await jobs.get(jobId);
}

async function runDriftAll(jobId: string, ids: string[], truncated: boolean): Promise<void> {
  const result: DriftAllResult = {
    customers: ids.length,
    customersWithDrift: 0,
    differenceCount: 0,
    differences: [],
    errors: [],
    events: null,
    truncated,
  };
  let done = 0;
  const progress = () =>
    db()
      .update(adminJobs)
      .set({ done, heartbeatAt: machineClock.nowMs(), result: { ...result } as unknown as Record<string, unknown> })
      .where(eq(adminJobs.id, jobId))
      .run();
  try {
    result.events = await reconcileEvents({ days: EVENT_DAYS, enqueue: false });
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        try {
          const report = await customerDrift(id);
          if (report.differences.length) {
            result.customersWithDrift++;
            result.differenceCount += report.differences.length;
            result.differences.push(...report.differences.slice(0, Math.max(0, MAX_KEPT - result.differences.length)));
          }
        } catch (error) {
          if (result.errors.length < 50)
            result.errors.push({ customerId: id, message: (error as Error).message?.slice(0, 200) ?? String(error) });
        }
        done++;
        progress();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
    db()
      .update(adminJobs)
      .set({
        status: 'done',
        done,
        heartbeatAt: machineClock.nowMs(),
        finishedAt: machineClock.nowMs(),
        result: result as unknown as Record<string, unknown>,
      })
      .where(eq(adminJobs.id, jobId))
      .run();
  } catch (error) {
    db()
      .update(adminJobs)
      .set({
        status: 'failed',
        done,
        error: (error as Error).message?.slice(0, 500) ?? String(error),
        finishedAt: machineClock.nowMs(),
        heartbeatAt: machineClock.nowMs(),
      })
      .where(eq(adminJobs.id, jobId))
      .run();
  }
}
