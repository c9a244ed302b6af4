/**
 * `npm run stripe:backfill [-- --restart] [--concurrency 4]`: re-sync every Stripe customer into the
 * mirror with `syncCustomer` (the function actions use), paging through `customers.list`. Resumable:
 * the last finished page cursor is kept beside the database; `--restart` starts from the beginning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { syncCustomer } from '~/billing/sync.server';
import { closeDb } from '~/db/client.server';
import { env } from '~/lib/env.server';
import { stripe } from '~/stripe/client.server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const config = env();
  if (!config.STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const cursorFile = path.join(
    config.DATABASE_PATH === ':memory:' ? 'data' : path.dirname(path.resolve(config.DATABASE_PATH)),
    'backfill.cursor',
  );
  if (process.argv.includes('--restart')) fs.rmSync(cursorFile, { force: true });
  let startingAfter: string | undefined = fs.existsSync(cursorFile) ? fs.readFileSync(cursorFile, 'utf8').trim() || undefined : undefined;
  const concurrency = Math.max(1, Number(arg('concurrency') ?? 4));
  console.log(`Backfill from Stripe (${config.stripeMode})${startingAfter ? `, resuming after ${startingAfter}` : ''}…`);
  const totals = { customers: 0, subscriptions: 0, invoices: 0, paymentMethods: 0, payments: 0, errors: 0 };
  const started = Date.now();
  for (;;) {
    const page = await stripe().customers.list({ limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) });
    const queue = [...page.data];
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          try {
            const r = await syncCustomer(c.id);
            totals.customers++;
            totals.subscriptions += r.subscriptions;
            totals.invoices += r.invoices;
            totals.paymentMethods += r.paymentMethods;
            totals.payments += r.payments;
          } catch (error) {
            totals.errors++;
            console.warn(`  ${c.id}: ${(error as Error).message}`);
          }
        }
      }),
    );
    if (page.data.length) {
      startingAfter = page.data.at(-1)!.id;
      fs.mkdirSync(path.dirname(cursorFile), { recursive: true });
      fs.writeFileSync(cursorFile, startingAfter);
    }
    console.log(
      `  ${totals.customers} customers (${totals.subscriptions} subscriptions, ${totals.invoices} invoices, ${totals.paymentMethods} payment methods, ${totals.payments} payments)` +
        (totals.errors ? `, ${totals.errors} errors` : ''),
    );
    if (!page.has_more) break;
  }
  if (totals.errors === 0) fs.rmSync(cursorFile, { force: true });
  console.log(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s.${totals.errors ? ' Some customers failed: run again to resume.' : ''}`,
  );
  closeDb();
  if (totals.errors) process.exit(1);
}

main().catch((error) => {
  console.error(`stripe:backfill failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
