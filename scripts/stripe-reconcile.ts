/**
 * `npm run stripe:reconcile [-- --days 3] [--process]`: page through `events.list` for the last N days
 * (Stripe keeps 30) and enqueue every event the inbox lacks, exactly as the webhook would have stored
 * it. The running server's worker picks them up within a second; `--process` also works them off
 * here (safe beside a running server: claims are atomic).
 */
import { sql } from 'drizzle-orm';
import { closeDb, db } from '~/db/client.server';
import { stripeEvents } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { env } from '~/lib/env.server';
import { stripe } from '~/stripe/client.server';
import { enqueueFetchedEvent } from '~/webhooks/inbox.server';
import { WebhookWorker } from '~/webhooks/worker.server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  if (!env().STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const days = Math.min(30, Math.max(1, Number(arg('days') ?? 3)));
  const since = clock.nowSeconds() - days * 86_400;
  console.log(`Reconciling the last ${days} day(s) of Stripe events (${env().stripeMode})…`);
  const counts = { seen: 0, alreadyStored: 0, enqueued: 0, enqueuedIgnored: 0 };
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
      const stored = enqueueFetchedEvent(event);
      if (!stored.inserted) counts.alreadyStored++;
      else if (stored.status === 'ignored') counts.enqueuedIgnored++;
      else counts.enqueued++;
    }
    console.log(
      `  page ${page}: ${counts.seen} seen, ${counts.alreadyStored} already in the inbox, ${counts.enqueued} enqueued, ${counts.enqueuedIgnored} stored as ignored`,
    );
    if (!list.has_more || list.data.length === 0) break;
    startingAfter = list.data.at(-1)!.id;
  }
  if (process.argv.includes('--process') && counts.enqueued > 0) {
    const worker = new WebhookWorker();
    await worker.drain();
    console.log(`  processed here: ${worker.stats.processed}, retrying later: ${worker.stats.retried}, failed: ${worker.stats.failed}`);
  }
  const backlog = db().get<{ n: number }>(sql`select count(*) as n from ${stripeEvents} where status in ('pending','processing')`)!.n;
  console.log(`Done: ${counts.enqueued} missing event(s) enqueued; backlog now ${backlog}.`);
  closeDb();
}

main().catch((error) => {
  console.error(`stripe:reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
