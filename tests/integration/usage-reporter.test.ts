/**
 * The reporter against the emulator with faults injected through its control API: whatever fails
 * (429, 5xx, a request that times out after the emulator took it), Stripe's meter totals end up equal
 * to the ledger, never more.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureCatalog } from '~/billing/catalog.server';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { UsageLedger } from '~/usage/ledger.server';
import { UsageReporter } from '~/usage/reporter.server';
import { clock } from '~/lib/clock.server';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let meterId: string;
let n = 0;

async function newCustomerUser(): Promise<{ userId: string; customerId: string }> {
  const userId = `u_rep_${n++}_${Date.now()}`;
  const customer = await h.stripe.customers.create({ email: `${userId}@example.com` });
  db()
    .insert(users)
    .values({ id: userId, email: `${userId}@example.com`, name: userId, passwordHash: 'x', stripeCustomerId: customer.id })
    .run();
  return { userId, customerId: customer.id };
}

const ledgerTotal = (userId: string) =>
  (db().$client.prepare('SELECT coalesce(sum(value), 0) AS v FROM usage_events WHERE user_id = ?').get(userId) as { v: number }).v;

async function stripeTotal(customerId: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const page = await h.stripe.billing.meters.listEventSummaries(meterId, {
    customer: customerId,
    start_time: now - 86_400,
    end_time: now + 86_400,
  });
  return page.data.reduce((s, d) => s + d.aggregated_value, 0);
}

/** Reports per window for a user (the unique index makes more than one impossible; this shows it). */
function reportsPerWindow(userId: string): { windows: number; reports: number } {
  return db()
    .$client.prepare('SELECT count(DISTINCT window_start) AS windows, count(*) AS reports FROM meter_reports WHERE user_id = ?')
    .get(userId) as { windows: number; reports: number };
}

/** Calls spread over a few 1-second windows. */
async function flood(ledger: UsageLedger, who: { userId: string }[], perWindow: number, windows: number) {
  for (let w = 0; w < windows; w++) {
    await Promise.all(
      who.flatMap((u) =>
        Array.from({ length: perWindow }, () => ledger.record({ userId: u.userId, apiKeyId: 'key_x', meter: 'api_call' })),
      ),
    );
    await new Promise((r) => setTimeout(r, 1_050));
  }
}

async function drain(reporter: UsageReporter) {
  await waitFor(
    async () => {
      await reporter.tick();
      const left = db().$client.prepare(`SELECT count(*) AS c FROM meter_reports WHERE status = 'pending'`).get() as { c: number };
      const unreported = db().$client.prepare('SELECT count(*) AS c FROM usage_events WHERE report_id IS NULL').get() as { c: number };
      return left.c === 0 && unreported.c === 0;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'every report sent' },
  );
}

describe('usage reporter', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await ensureCatalog();
    meterId = (await h.stripe.billing.meters.list({ status: 'active' })).data.find((m) => m.event_name === 'api_call')!.id;
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    await h.control('DELETE', '/faults');
  });

  it('sends one event per customer per window over the v2 stream; 429, 5xx and timeouts never double count', async () => {
    const who = [await newCustomerUser(), await newCustomerUser(), await newCustomerUser()];
    const ledger = new UsageLedger();
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, timeoutMs: 400, backoffMs: () => 50 });
    await h.control('POST', '/faults', { method: 'POST', path: '/v2/billing/meter_event_stream', status: 500, times: 2 });
    await h.control('POST', '/faults', { method: 'POST', path: '/v2/billing/meter_event_stream', status: 429, times: 1 });
    // Answered after the client gave up (a timeout): sent again later.
    await h.control('POST', '/faults', { method: 'POST', path: '/v2/billing/meter_event_stream', delayMs: 900, times: 2 });
    const mark = await h.mark();
    const flooding = flood(ledger, who, 40, 3);
    const ticking = (async () => {
      while (!(await Promise.race([flooding.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]))) await reporter.tick();
    })();
    await Promise.all([flooding, ticking]);
    await drain(reporter);
    await new Promise((r) => setTimeout(r, 1_000)); // the delayed requests finish inside the emulator

    const requests = await h.requestsSince(mark);
    const streamCalls = requests.filter((r) => r.path === '/v2/billing/meter_event_stream');
    expect(streamCalls.some((r) => r.status === 500)).toBe(true);
    expect(streamCalls.some((r) => r.status === 429)).toBe(true);
    const reports = db()
      .$client.prepare(`SELECT status, attempts, last_error FROM meter_reports WHERE user_id IN (?, ?, ?)`)
      .all(...who.map((u) => u.userId)) as { status: string; attempts: number }[];
    expect(reports.every((r) => r.status === 'sent')).toBe(true);
    expect(reports.some((r) => r.attempts > 1)).toBe(true);
    for (const u of who) {
      expect(ledgerTotal(u.userId)).toBe(120);
      expect(await stripeTotal(u.customerId)).toBe(120);
      const { windows, reports } = reportsPerWindow(u.userId);
      expect(reports).toBe(windows);
      expect(windows).toBeGreaterThanOrEqual(3);
    }
  });

  it('resends with the same identifier when the process died between Stripe’s answer and marking the report sent', async () => {
    const u = await newCustomerUser();
    const ledger = new UsageLedger();
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, backoffMs: () => 50 });
    await Promise.all(Array.from({ length: 17 }, () => ledger.record({ userId: u.userId, apiKeyId: 'k', meter: 'api_call' })));
    await new Promise((r) => setTimeout(r, 1_050));
    await drain(reporter);
    expect(await stripeTotal(u.customerId)).toBe(17);
    // The crash window: Stripe took the event, the row still says pending.
    db().$client.prepare(`UPDATE meter_reports SET status = 'pending', sent_at = NULL WHERE user_id = ?`).run(u.userId);
    for (const streamAvailable of [true, false]) {
      if (!streamAvailable) await h.control('POST', '/faults', { path: '/v2/billing/*', status: 404 });
      const again = new UsageReporter({ windowSeconds: 1, tickMs: 100, backoffMs: () => 50 });
      const mark = await h.mark();
      await drain(again);
      expect((await h.requestsSince(mark)).some((r) => r.path.includes('meter_event'))).toBe(true);
      expect(await stripeTotal(u.customerId)).toBe(17);
      db().$client.prepare(`UPDATE meter_reports SET status = 'pending', sent_at = NULL WHERE user_id = ?`).run(u.userId);
    }
    db().$client.prepare(`UPDATE meter_reports SET status = 'sent' WHERE user_id = ?`).run(u.userId);
  });

  it('falls back to billing.meterEvents.create where the v2 stream is missing, also through faults', async () => {
    const who = [await newCustomerUser(), await newCustomerUser()];
    const ledger = new UsageLedger();
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, timeoutMs: 400, backoffMs: () => 50 });
    await h.control('POST', '/faults', { path: '/v2/billing/*', status: 404 });
    await h.control('POST', '/faults', { method: 'POST', path: '/v1/billing/meter_events', status: 503, times: 1 });
    await h.control('POST', '/faults', { method: 'POST', path: '/v1/billing/meter_events', delayMs: 900, times: 1 });
    await flood(ledger, who, 25, 2);
    await drain(reporter);
    await new Promise((r) => setTimeout(r, 1_000));
    const mark = await h.mark();
    await reporter.tick();
    expect(await h.requestsSince(mark)).toEqual([]); // nothing left to send
    for (const u of who) {
      expect(ledgerTotal(u.userId)).toBe(50);
      expect(await stripeTotal(u.customerId)).toBe(50);
    }
  });

  it('marks a report Stripe refuses as failed, with Stripe’s message, and still sends the others', async () => {
    const ok = await newCustomerUser();
    const late = await newCustomerUser();
    const ledger = new UsageLedger();
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 100, backoffMs: () => 50 });
    await h.control('POST', '/faults', { path: '/v2/billing/*', status: 404 });
    try {
      // Usage stamped 40 days ago: Stripe takes events from the past 35 days only.
      clock.freeze(Date.now() - 40 * 86_400_000);
      await ledger.record({ userId: late.userId, apiKeyId: null, meter: 'api_call' });
    } finally {
      clock.reset();
    }
    await ledger.record({ userId: ok.userId, apiKeyId: null, meter: 'api_call' });
    await new Promise((r) => setTimeout(r, 1_050));
    await drain(reporter);
    expect(await stripeTotal(ok.customerId)).toBe(1);
    const failed = db().$client.prepare('SELECT status, last_error FROM meter_reports WHERE user_id = ?').get(late.userId) as {
      status: string;
      last_error: string;
    };
    expect(failed).toMatchObject({
      status: 'failed',
      last_error: expect.stringMatching(/^400: Timestamp must be within the past 35 calendar days/),
    });
  });
});
