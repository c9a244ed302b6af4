import { sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { webhookBacklog } from '~/webhooks/inbox.server';
import { reporterLagSeconds } from '~/usage/reporter.server';

/**
 * `GET /healthz`'s facts: whether the database answers, the webhook inbox's backlog, and how far the
 * usage reporter is behind (seconds since the oldest call Stripe has not accepted yet; up to one
 * reporting window plus a second is normal).
 */
export function healthFacts(): {
  dbOk: boolean;
  backlog: { pending: number; failed: number } | null;
  usageReporterLagSeconds: number | null;
} {
  try {
    const dbOk = db().get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1;
    return { dbOk, backlog: webhookBacklog(), usageReporterLagSeconds: reporterLagSeconds() };
  } catch {
    return { dbOk: false, backlog: null, usageReporterLagSeconds: null };
  }
}
