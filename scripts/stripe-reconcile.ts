/**
 * `npm run stripe:reconcile [-- --days 3] [--process] [--rate 25]`: page through `events.list` for the
 * last N days (Stripe keeps 30) and enqueue every event the inbox lacks, exactly as the webhook would
 * have stored it. The running server's worker picks them up within a second; `--process` also works
 * them off here (safe beside a running server: claims are atomic).
 *
 * Every Stripe call (the pages, and the worker's reads with `--process`) is paced under 80% of the
 * key's mode limit (scripts/lib/pacer.ts, docs/decisions/034-emulator-rate-limits.md), 429s are
 * retried after a backoff, and a progress bar goes to stderr. Stripe does not count events, so the
 * bar is the share of the time window walked back (newest first): its ETA assumes events spread
 * evenly over the window.
 */
import { sql } from 'drizzle-orm';
import { reconcileEvents } from '~/admin/drift.server';
import { closeDb, db } from '~/db/client.server';
import { stripeEvents } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { env } from '~/lib/env.server';
import { WebhookWorker } from '~/webhooks/worker.server';
import { Progress, installPacedStripe } from './lib/pacer';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const config = env();
  if (!config.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const rate = arg('rate') === undefined ? undefined : Number(arg('rate'));
  if (rate !== undefined && !(rate > 0)) throw new Error('--rate must be a number of requests per second above 0');
  const { pacer, mode } = installPacedStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE, rate });
  const days = Math.min(30, Math.max(1, Number(arg('days') ?? 3)));
  console.log(
    `Reconciling the last ${days} day(s) of Stripe events (${config.stripeMode}; paced at ${pacer.rate.toFixed(0)} calls/s, 80% of ${mode} mode's limit)…`,
  );
  const started = Date.now();
  const now = clock.nowSeconds();
  const window = days * 86_400;
  const progress = new Progress({ label: 'reconcile', unit: 'events', total: null, pacer });
  let walked = 0;
  // The same pass the console's drift report makes (app/admin/drift.server.ts), here storing what is missing.
  const counts = await reconcileEvents({
    days,
    enqueue: true,
    onPage: (_page, c, oldest) => {
      if (oldest !== null) walked = Math.min(1, Math.max(walked, (now - oldest) / window));
      progress.update(c.seen, walked);
    },
  });
  progress.finish(counts.seen, 1);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `  ${counts.seen} events seen: ${counts.alreadyStored} already in the inbox, ${counts.missing} enqueued, ${counts.missingIgnored} stored as ignored` +
      ` (${pacer.calls} Stripe calls in ${seconds.toFixed(1)} s, ${(pacer.calls / Math.max(seconds, 0.001)).toFixed(1)}/s; ${pacer.limited} answered 429 and retried)`,
  );
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
