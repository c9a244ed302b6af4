/**
 * `npm run stripe:backfill [-- --restart] [--concurrency 8] [--rate 25]`: re-sync every Stripe
 * customer into the mirror with `syncCustomer` (the function actions use). First lists the customers
 * (`customers.list`, 100 a page) so the progress bar knows the total, then syncs them page by page.
 * Resumable: the cursor of the last page before any failure is kept beside the database (a rerun
 * retries from the first page with a failed customer); `--restart` starts from the beginning.
 *
 * Every Stripe call is paced under 80% of the key's mode limit (scripts/lib/pacer.ts,
 * docs/decisions/034-emulator-rate-limits.md; `--rate` sets the account's limit if Stripe raised it),
 * 429s are retried after a backoff, and a progress bar with calls/s and an ETA goes to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import { syncCustomer } from '~/billing/sync.server';
import { closeDb } from '~/db/client.server';
import { env } from '~/lib/env.server';
import { stripe } from '~/stripe/client.server';
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
  const cursorFile = path.join(
    config.DATABASE_PATH === ':memory:' ? 'data' : path.dirname(path.resolve(config.DATABASE_PATH)),
    'backfill.cursor',
  );
  if (process.argv.includes('--restart')) fs.rmSync(cursorFile, { force: true });
  const resumeAfter: string | undefined = fs.existsSync(cursorFile) ? fs.readFileSync(cursorFile, 'utf8').trim() || undefined : undefined;
  const concurrency = Math.max(1, Number(arg('concurrency') ?? 8));
  console.log(
    `Backfill from Stripe (${config.stripeMode}; paced at ${pacer.rate.toFixed(0)} calls/s, 80% of ${mode} mode's limit)` +
      `${resumeAfter ? `, resuming after ${resumeAfter}` : ''}…`,
  );
  const started = Date.now();

  // 1. The customers to sync (ids only kept), so the bar has a total.
  const listing = new Progress({ label: 'listing customers', unit: 'customers', total: null, pacer });
  const ids: string[] = [];
  for await (const c of stripe().customers.list({ limit: 100, ...(resumeAfter ? { starting_after: resumeAfter } : {}) })) {
    ids.push(c.id);
    listing.update(ids.length);
  }
  listing.finish(ids.length, 1);

  // 2. Sync, page by page (100 customers, `concurrency` at once).
  const totals = { customers: 0, subscriptions: 0, invoices: 0, paymentMethods: 0, payments: 0, errors: 0 };
  const progress = new Progress({ label: 'backfill', unit: 'customers', total: ids.length, pacer });
  const pages = Array.from({ length: Math.ceil(ids.length / 100) }, (_, i) => ids.slice(i * 100, i * 100 + 100));
  let done = 0;
  // The cursor follows pages whose customers all synced: a rerun starts at the first page with a failure.
  let clean = true;
  await pages.reduce(
    (chain, page) =>
      chain.then(async () => {
        const queue = [...page];
        const errorsBefore = totals.errors;
        await Promise.all(
          Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
            for (let id = queue.shift(); id; id = queue.shift()) {
              try {
                const r = await syncCustomer(id);
                totals.customers++;
                totals.subscriptions += r.subscriptions;
                totals.invoices += r.invoices;
                totals.paymentMethods += r.paymentMethods;
                totals.payments += r.payments;
              } catch (error) {
                totals.errors++;
                if (process.stderr.isTTY) process.stderr.write('\n');
                console.warn(`  ${id}: ${(error as Error).message}`);
              }
              progress.update(++done);
            }
          }),
        );
        clean &&= totals.errors === errorsBefore;
        if (!clean) return;
        fs.mkdirSync(path.dirname(cursorFile), { recursive: true });
        fs.writeFileSync(cursorFile, page.at(-1)!);
      }),
    Promise.resolve(),
  );
  progress.finish(done);
  if (totals.errors === 0) fs.rmSync(cursorFile, { force: true });
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `  ${totals.customers} customers (${totals.subscriptions} subscriptions, ${totals.invoices} invoices, ${totals.paymentMethods} payment methods, ${totals.payments} payments)` +
      (totals.errors ? `, ${totals.errors} errors` : ''),
  );
  console.log(
    `Done in ${seconds.toFixed(1)} s: ${pacer.calls} Stripe calls (${(pacer.calls / Math.max(seconds, 0.001)).toFixed(1)}/s), ${pacer.limited} answered 429 and retried.` +
      `${totals.errors ? ' Some customers failed: run again to resume.' : ''}`,
  );
  closeDb();
  if (totals.errors) process.exit(1);
}

main().catch((error) => {
  console.error(`stripe:backfill failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
