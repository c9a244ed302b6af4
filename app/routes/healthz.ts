import { sql } from 'drizzle-orm';
import { db } from '~/db/client.server';

export async function loader() {
  let dbOk = false;
  try {
    dbOk = db().get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1;
  } catch {
    dbOk = false;
  }
  return Response.json({ ok: dbOk, db: dbOk ? 'ok' : 'error' }, { status: dbOk ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}
