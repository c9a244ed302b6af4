import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { stripeEvents, type EventStatus, type User } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { requeueEvent } from '~/webhooks/worker.server';
import { recordAdminAction } from './audit.server';
import type { InboxView } from './views';

export interface InboxRow {
  id: string;
  type: string;
  objectId: string | null;
  status: EventStatus;
  attempts: number;
  lastError: string | null;
  source: string;
  created: number;
  receivedAt: number;
  processedAt: number | null;
  nextAttemptAt: number;
}

const PAGE = 50;

/**
 * One page of the inbox, newest first, keyed by (received_at, id) so paging is stable while events
 * arrive. `pending` includes rows a worker holds (`processing`).
 */
export function listInbox({ view, before }: { view: InboxView; before?: { at: number; id: string } | null }): {
  rows: InboxRow[];
  next: { at: number; id: string } | null;
  counts: Record<InboxView, number>;
} {
  const statusFilter =
    view === 'pending' ? or(eq(stripeEvents.status, 'pending'), eq(stripeEvents.status, 'processing')) : eq(stripeEvents.status, view);
  const rows = db()
    .select({
      id: stripeEvents.id,
      type: stripeEvents.type,
      objectId: stripeEvents.objectId,
      status: stripeEvents.status,
      attempts: stripeEvents.attempts,
      lastError: stripeEvents.lastError,
      source: stripeEvents.source,
      created: stripeEvents.created,
      receivedAt: stripeEvents.receivedAt,
      processedAt: stripeEvents.processedAt,
      nextAttemptAt: stripeEvents.nextAttemptAt,
    })
    .from(stripeEvents)
    .where(
      and(
        statusFilter,
        before
          ? or(lt(stripeEvents.receivedAt, before.at), and(eq(stripeEvents.receivedAt, before.at), lt(stripeEvents.id, before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(stripeEvents.receivedAt), desc(stripeEvents.id))
    .limit(PAGE + 1)
    .all();
  const more = rows.length > PAGE;
  const page = rows.slice(0, PAGE);
  const grouped = db().all<{ status: EventStatus; n: number }>(sql`select status, count(*) as n from ${stripeEvents} group by status`);
  const count = (s: EventStatus) => grouped.find((g) => g.status === s)?.n ?? 0;
  return {
    rows: page,
    next: more ? { at: page.at(-1)!.receivedAt, id: page.at(-1)!.id } : null,
    counts: {
      failed: count('failed'),
      pending: count('pending') + count('processing'),
      processed: count('processed'),
      ignored: count('ignored'),
    },
  };
}

export type ReplayOutcome = { ok: true; message: string } | { ok: false; status: 404 | 409; message: string };

/**
 * Puts one failed event back in the worker's queue (the worker re-reads the object from Stripe, so a
 * replay applies today's state; effects are idempotent, so nothing happens twice). Audited.
 */
export function replayEvent({ actor, eventId }: { actor: User; eventId: string }): ReplayOutcome {
  const row = db()
    .select({ status: stripeEvents.status, objectId: stripeEvents.objectId })
    .from(stripeEvents)
    .where(eq(stripeEvents.id, eventId))
    .get();
  if (!row) return { ok: false, status: 404, message: `No event ${eventId} in the inbox.` };
  if (row.status !== 'failed') {
    return { ok: false, status: 409, message: `Event ${eventId} is ${row.status}, not failed: only failed events can be replayed.` };
  }
  requeueEvent(eventId);
  recordAdminAction({
    actor,
    action: 'replay',
    target: eventId,
    customerId: customerOfEvent(eventId),
    detail: { previousStatus: row.status },
  });
  return { ok: true, message: `Event ${eventId} is queued again; the worker picks it up within a second.` };
}

/** Every failed event back in the queue, in one statement. Audited with the count. */
export function replayAllFailed({ actor }: { actor: User }): ReplayOutcome {
  const result = db()
    .update(stripeEvents)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: 0, lockedAt: null, lastError: null, processedAt: null })
    .where(eq(stripeEvents.status, 'failed'))
    .run();
  recordAdminAction({ actor, action: 'replay-failed', target: 'all', detail: { events: result.changes, at: machineClock.nowMs() } });
  if (result.changes === 0) return { ok: true, message: 'There were no failed events to replay.' };
  return { ok: true, message: `${result.changes} failed event(s) queued again.` };
}

/** The customer an event concerns, from its stored payload (for the customer page's timeline). */
function customerOfEvent(eventId: string): string | null {
  const row = db().get<{ c: string | null } | undefined>(
    sql`select coalesce(
          case when json_extract(payload, '$.data.object.object') = 'customer' then json_extract(payload, '$.data.object.id') end,
          json_extract(payload, '$.data.object.customer')) as c
        from ${stripeEvents} where id = ${eventId}`,
  );
  return typeof row?.c === 'string' ? row.c : null;
}
