import { sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { webhookBacklog } from '~/webhooks/inbox.server';

/** `GET /healthz`'s facts: whether the database answers, and the webhook inbox's backlog. */
export function healthFacts(): { dbOk: boolean; backlog: { pending: number; failed: number } | null } {
  try {
    const dbOk = db().get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1;
    return { dbOk, backlog: webhookBacklog() };
  } catch {
    return { dbOk: false, backlog: null };
  }
}
