/**
 * Reconciling the ledger with Stripe's meter summaries: equal after the reporter has sent everything;
 * pending calls and an event sent behind the reporter's back both show up as differences, in the
 * module and in `npm run stripe:usage-reconcile`.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCatalog } from '~/billing/catalog.server';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { env } from '~/lib/env.server';
import { UsageLedger } from '~/usage/ledger.server';
import { reconcileUsage } from '~/usage/reconcile.server';
import { UsageReporter } from '~/usage/reporter.server';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;

async function customer(tag: string) {
  const userId = `usr_recon_${tag}_${Date.now()}`;
  const c = await h.stripe.customers.create({ email: `${userId}@example.com` });
  db()
    .insert(users)
    .values({ id: userId, email: `${userId}@example.com`, name: tag, passwordHash: 'x', stripeCustomerId: c.id })
    .run();
  return { userId, customerId: c.id };
}

describe('usage reconcile', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await ensureCatalog();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('finds nothing to report when Stripe has what was sent, and names each customer that differs', async () => {
    const a = await customer('a');
    const b = await customer('b');
    const ledger = new UsageLedger();
    await Promise.all([
      ...Array.from({ length: 40 }, () => ledger.record({ userId: a.userId, apiKeyId: 'k', meter: 'api_call' })),
      ...Array.from({ length: 7 }, () => ledger.record({ userId: b.userId, apiKeyId: 'k', meter: 'api_call' })),
    ]);
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, backoffMs: () => 50 });
    await new Promise((r) => setTimeout(r, 1_050));
    await waitFor(async () => {
      await reporter.tick();
      return (
        (db().$client.prepare(`SELECT count(*) AS c FROM meter_reports WHERE status = 'pending'`).get() as { c: number }).c === 0 &&
        (db().$client.prepare('SELECT count(*) AS c FROM usage_events WHERE report_id IS NULL').get() as { c: number }).c === 0
      );
    });
    const progress: number[] = [];
    const clean = await reconcileUsage({ onProgress: (done) => progress.push(done) });
    const mine = (rows: typeof clean) => rows.filter((r) => r.userId === a.userId || r.userId === b.userId);
    expect(mine(clean).map((r) => [r.ledger, r.sent, r.stripe, r.pending, r.ok])).toEqual([
      [40, 40, 40, 0, true],
      [7, 7, 7, 0, true],
    ]);
    expect(progress.at(-1)).toBe(clean.length);

    // Someone sends an event for b outside the portal; a has calls not reported yet.
    await h.stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: b.customerId, value: '5' } });
    await ledger.record({ userId: a.userId, apiKeyId: 'k', meter: 'api_call' });
    const dirty = mine(await reconcileUsage());
    expect(dirty.map((r) => [r.ledger, r.sent, r.stripe, r.pending, r.ok])).toEqual([
      [41, 40, 40, 1, false],
      [7, 7, 12, 0, false],
    ]);

    // The command prints progress and the customers that differ, and exits 1.
    // (Asynchronously: the emulator answering it runs in this process.)
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/stripe-usage-reconcile.ts'], {
        env: {
          ...process.env,
          DATABASE_PATH: env().DATABASE_PATH,
          STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY,
          STRIPE_API_BASE: h.emulatorUrl,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(1);
    expect(run.stdout).toMatch(/checked \(last: cus_/);
    expect(run.stdout).toContain(`DIFF ${b.customerId}`);
    expect(run.stdout).toMatch(new RegExp(`DIFF ${a.customerId} .*ledger 41, sent 40, on Stripe 40, pending 1`));
  });
});
