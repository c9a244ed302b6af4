/**
 * `npm run stripe:reconcile [-- --days 3] [--process]`: page through `events.list` for the last N days
 * (Stripe keeps 30) and enqueue every event the inbox lacks, exactly as the webhook would have stored
 * it. The running server's worker picks them up within a second; `--process` also works them off
 * here (safe beside a running server: claims are atomic).
 */
import { sql } from 'drizzle-orm';
import { reconcileEvents } from '~/admin/drift.server';
import { closeDb, db } from '~/db/client.server';
import { stripeEvents } from '~/db/schema';
import { env } from '~/lib/env.server';
import { WebhookWorker } from '~/webhooks/worker.server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  if (!env().STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const days = Math.min(30, Math.max(1, Number(arg('days') ?? 3)));
  console.log(`Reconciling the last ${days} day(s) of Stripe events (${env().stripeMode})…`);
  // The same pass the console's drift report makes (app/admin/drift.server.ts), here storing what is missing.
  const counts = await reconcileEvents({
    days,
    enqueue: true,
    onPage: (page, c) =>
      console.log(
        `  page ${page}: ${c.seen} seen, ${c.alreadyStored} already in the inbox, ${c.missing} enqueued, ${c.missingIgnored} stored as ignored`,
      ),
  });
  if (process.argv.includes('--process') && counts.missing > 0) {
    const worker = new WebhookWorker();
    await worker.drain();
    console.log(`  processed here: ${worker.stats.processed}, retrying later: ${worker.stats.retried}, failed: ${worker.stats.failed}`);
  }
  const backlog = db().get<{ n: number }>(sql`select count(*) as n from ${stripeEvents} where status in ('pending','processing')`)!.n;
  console.log(`Done: ${counts.missing} missing event(s) enqueued; backlog now ${backlog}.`);
  closeDb();
}

main().catch((error) => {
  console.error(`stripe:reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
