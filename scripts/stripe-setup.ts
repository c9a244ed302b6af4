/**
 * `npm run stripe:setup`: make the Stripe catalogue match app/billing/plans.ts (idempotent) and print
 * what was done. `npm start` runs the same `ensureCatalog()` through the built app's hooks.
 */
import { ensureCatalog, formatSetupTable } from '~/billing/catalog.server';
import { closeDb } from '~/db/client.server';
import { env } from '~/lib/env.server';

async function main() {
  if (!env().STRIPE_SECRET_KEY) {
    console.error('STRIPE_SECRET_KEY is not set. Set it (and STRIPE_API_BASE for the emulator), or use `npm start`.');
    process.exit(1);
  }
  console.log(`Stripe catalogue (${env().stripeMode}):`);
  const rows = await ensureCatalog();
  console.log(formatSetupTable(rows));
  const changed = rows.filter((r) => r.action !== 'exists').length;
  console.log(changed ? `${changed} change(s).` : 'Already up to date.');
  closeDb();
}

main().catch((error) => {
  console.error(`stripe:setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
