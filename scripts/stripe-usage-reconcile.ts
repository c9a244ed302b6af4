/**
 * `npm run stripe:usage-reconcile [-- --periods 2]`: compares the usage ledger with Stripe's meter
 * event summaries per customer and period (app/usage/reconcile.server.ts), printing progress and then
 * every customer whose totals differ. Exit code 1 when any differ. Read-only on both sides.
 */
import { closeDb } from '~/db/client.server';
import { env } from '~/lib/env.server';
import { reconcileUsage } from '~/usage/reconcile.server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  if (!env().STRIPE_SECRET_KEY) throw new Error('STRIPE_SECRET_KEY is not set');
  const periods = Number(arg('periods') ?? 1);
  if (!Number.isInteger(periods) || periods < 1 || periods > 12) throw new Error('--periods must be a whole number from 1 to 12');
  console.log(`Comparing the usage ledger with Stripe's meter summaries (${env().stripeMode}), ${periods} period(s) per customer…`);
  const rows = await reconcileUsage({
    periods,
    onProgress: (done, total, row) => {
      if (done === total || done % 25 === 0) console.log(`  ${done}/${total} checked (last: ${row.customerId})`);
    },
  });
  const differing = rows.filter((r) => !r.ok);
  for (const r of differing) {
    console.log(
      `DIFF ${r.customerId} (user ${r.userId}) ${r.periodStart.slice(0, 10)}–${r.periodEnd.slice(0, 10)}: ledger ${r.ledger}, sent ${r.sent}, on Stripe ${r.stripe}, pending ${r.pending}, refused ${r.failed}`,
    );
  }
  console.log(`Done: ${rows.length} customer period(s) checked, ${differing.length} differ.`);
  closeDb();
  if (differing.length) process.exit(1);
}

main().catch((error) => {
  console.error(`stripe:usage-reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
