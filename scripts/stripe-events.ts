/**
 * `npm run stripe:events -- --failed | --pending | --recent [--limit 50]` lists inbox rows (never
 * payloads); `--replay <evt_id>` puts one back in the queue (its effects stay once-only: they are
 * keyed in webhook_effects). The running server's worker picks a replay up within a second.
 */
import { desc, eq, inArray } from 'drizzle-orm';
import { closeDb, db } from '~/db/client.server';
import { stripeEvents, type EventStatus } from '~/db/schema';
import { requeueEvent } from '~/webhooks/worker.server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main() {
  const replay = arg('replay');
  if (replay) {
    if (!requeueEvent(replay)) {
      console.error(`No event ${replay} in the inbox. (npm run stripe:reconcile fetches missing ones.)`);
      process.exitCode = 1;
    } else console.log(`${replay} queued again; the worker will process it.`);
    return;
  }
  const statuses: EventStatus[] = process.argv.includes('--failed')
    ? ['failed']
    : process.argv.includes('--pending')
      ? ['pending', 'processing']
      : ['pending', 'processing', 'processed', 'failed', 'ignored'];
  const limit = Number(arg('limit') ?? 50);
  const rows = db()
    .select({
      id: stripeEvents.id,
      type: stripeEvents.type,
      status: stripeEvents.status,
      attempts: stripeEvents.attempts,
      lastError: stripeEvents.lastError,
      receivedAt: stripeEvents.receivedAt,
      objectId: stripeEvents.objectId,
    })
    .from(stripeEvents)
    .where(statuses.length === 1 ? eq(stripeEvents.status, statuses[0]!) : inArray(stripeEvents.status, statuses))
    .orderBy(desc(stripeEvents.receivedAt))
    .limit(limit)
    .all();
  if (rows.length === 0) return void console.log('No events.');
  for (const r of rows) {
    console.log(
      `${r.id}  ${r.status.padEnd(10)} ${r.type.padEnd(40)} ${String(r.attempts).padStart(2)}×  ${new Date(r.receivedAt).toISOString()}  ${r.objectId ?? ''}${r.lastError ? `\n    ${r.lastError}` : ''}`,
    );
  }
  console.log(`${rows.length} event(s).${statuses.includes('failed') ? ' Replay one with: npm run stripe:events -- --replay <id>' : ''}`);
}

try {
  main();
} finally {
  closeDb();
}
