import { ensureCatalog, type SetupRow } from '~/billing/catalog.server';

/**
 * What `npm run stripe:setup` would change now: the same comparison of Stripe's catalogue with
 * app/billing/plans.ts, run as a dry run (reads only; nothing is created, archived or mirrored).
 */
export async function catalogueState(): Promise<{ rows: SetupRow[]; changes: number }> {
  const rows = await ensureCatalog({ dryRun: true });
  return { rows, changes: rows.filter((r) => r.action !== 'exists').length };
}
