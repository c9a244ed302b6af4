import { sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { outbox, stripeEvents } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { reporterLagSeconds } from '~/usage/reporter.server';

export interface ConsoleHealth {
  webhooks: {
    /** pending + processing */
    backlog: number;
    failed: number;
    /** ms since the oldest event still waiting was received; null when none waits. */
    oldestPendingAgeMs: number | null;
    oldestPendingId: string | null;
    /** When the newest event arrived (ms), whatever its status. */
    lastReceivedAt: number | null;
    lastReceivedType: string | null;
  };
  usageReporterLagSeconds: number;
  mail: { pending: number; failed: number; oldestPendingAgeMs: number | null };
}

/**
 * The console's front page facts (docs/admin.md), each one indexed query: the inbox's backlog and its
 * oldest waiting event, the newest event received (a silent endpoint shows here first), how far the
 * usage reporter is behind, and what the mail sender has not delivered yet.
 */
export function consoleHealth(): ConsoleHealth {
  const now = machineClock.nowMs();
  const counts = db().get<{ backlog: number | null; failed: number | null }>(
    sql`select sum(case when status in ('pending','processing') then 1 else 0 end) as backlog,
               sum(case when status = 'failed' then 1 else 0 end) as failed
        from ${stripeEvents} where status in ('pending','processing','failed')`,
  );
  const oldest = db().get<{ id: string; received_at: number } | undefined>(
    sql`select id, received_at from ${stripeEvents} where status in ('pending','processing') order by received_at asc limit 1`,
  );
  const last = db().get<{ type: string; received_at: number } | undefined>(
    sql`select type, received_at from ${stripeEvents} order by received_at desc limit 1`,
  );
  const mail = db().get<{ pending: number | null; failed: number | null; oldest: number | null }>(
    sql`select sum(case when status = 'pending' then 1 else 0 end) as pending,
               sum(case when status = 'failed' then 1 else 0 end) as failed,
               min(case when status = 'pending' then created_at end) as oldest
        from ${outbox} where status in ('pending','failed')`,
  );
  return {
    webhooks: {
      backlog: counts?.backlog ?? 0,
      failed: counts?.failed ?? 0,
      oldestPendingAgeMs: oldest ? Math.max(0, now - oldest.received_at) : null,
      oldestPendingId: oldest?.id ?? null,
      lastReceivedAt: last?.received_at ?? null,
      lastReceivedType: last?.type ?? null,
    },
    usageReporterLagSeconds: reporterLagSeconds(),
    mail: {
      pending: mail?.pending ?? 0,
      failed: mail?.failed ?? 0,
      oldestPendingAgeMs: mail?.oldest != null ? Math.max(0, now - mail.oldest) : null,
    },
  };
}
