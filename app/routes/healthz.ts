import { sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { env } from '~/lib/env.server';
import { webhookBacklog } from '~/webhooks/inbox.server';

export async function loader() {
  let dbOk = false;
  let backlog: { pending: number; failed: number } | null = null;
  try {
    dbOk = db().get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1;
    backlog = webhookBacklog();
  } catch {
    dbOk = false;
  }
  return Response.json(
    { ok: dbOk, db: dbOk ? 'ok' : 'error', stripe: env().stripeMode, webhookBacklog: backlog },
    { status: dbOk ? 200 : 503, headers: { 'Cache-Control': 'no-store' } },
  );
}
