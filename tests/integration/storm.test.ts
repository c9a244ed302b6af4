import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';
import { runStorm } from '../../scripts/harness/storm';
import { allowConsoleError } from '../helpers/setup';

const N = Number(process.env.STORM_CUSTOMERS ?? 20);
let h: Harness;

describe('webhook storm', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: { backoffMs: () => 200 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`converges: ${N} renewals, every event 3× shuffled, 10% of Stripe calls failing`, async () => {
    allowConsoleError(); // the emulator may log injected faults
    const r = await runStorm(h, N);
    console.log(
      `storm: ${r.events} events, ${r.deliveries} redeliveries, converged in ${r.convergenceMs} ms; ${r.batches} batches, ` +
        `${r.batchObjects} distinct objects per batch summed, ${r.successfulReads} reads ok + ${r.failedReads} failed`,
    );
    expect(r.mismatches).toEqual([]);
    // Every renewal happened (first invoice + one renewal per subscription) and was mirrored.
    expect(r.paidInvoices).toBe(2 * N);
    // Each paid invoice's effect happened exactly once.
    expect(r.invoicePaidEffects).toBe(r.paidInvoices);
    expect(r.duplicateEffects).toBe(0);
    // Reads: at most one successful read per distinct object per batch.
    expect(r.successfulReads).toBeLessThanOrEqual(r.batchObjects);
    // A hundred-odd webhook deliveries and Stripe reads: on two busy cores this takes more than the default 30 s.
  }, 180_000);
});
