/**
 * Contract (emulator only): Stripe's rate limits, opt-in (docs/decisions/034-emulator-rate-limits.md).
 * Off by default; switched on by the control API or EMULATOR_RATE_LIMITS; per API key; a burst over
 * the limit gets Stripe's 429 body and `Stripe-Rate-Limited-Reason`, requests under it never do.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index';

type Emu = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emu;

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/_emulator${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** `n` API calls at once with `key`; answers each status, the reason header and the body of the first 429. */
async function burst(key: string, n: number, paths: string[] = ['/v1/customers'], method = 'GET') {
  const answers = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await fetch(`${emu.url}${paths[i % paths.length]}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, ...(method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
        body: method === 'POST' ? '' : undefined,
      });
      return { status: res.status, reason: res.headers.get('stripe-rate-limited-reason'), body: await res.json() };
    }),
  );
  return {
    ok: answers.filter((a) => a.status === 200).length,
    limited: answers.filter((a) => a.status === 429),
    other: answers.filter((a) => a.status !== 200 && a.status !== 429),
  };
}

let keySeq = 0;
const freshKey = () => `sk_test_rate${++keySeq}_${Math.random().toString(36).slice(2)}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  await control('DELETE', '/rate-limits');
});

describe('rate limits (emulator only)', () => {
  it('are off by default: a burst of 80 calls is answered in full', async () => {
    expect((await control('GET', '/rate-limits')).body).toMatchObject({ enabled: false, mode: 'test' });
    const r = await burst(freshKey(), 80);
    expect(r).toMatchObject({ ok: 80, limited: [], other: [] });
  });

  it("test mode: a burst over 25/s gets Stripe's 429 body and Stripe-Rate-Limited-Reason", async () => {
    const on = await control('POST', '/rate-limits', { mode: 'test' });
    expect(on.body).toMatchObject({ enabled: true, mode: 'test', global: 25, endpoint: 25, split_read_write: false });
    const r = await burst(freshKey(), 60);
    expect(r.other).toEqual([]);
    // 25 in the bucket, plus what refills while the burst is answered (25/s)
    expect(r.ok).toBeGreaterThanOrEqual(25);
    expect(r.ok).toBeLessThan(40);
    expect(r.limited.length).toBe(60 - r.ok);
    const first = r.limited[0]!;
    expect(first.reason).toBe('global-rate');
    expect(first.body).toEqual({
      error: {
        code: 'rate_limit',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        request_log_url: expect.stringMatching(/^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_\w+\?t=\d+$/),
        type: 'invalid_request_error',
      },
    });
    const log = (await control('GET', '/requests')).body.data as { status: number; limited?: string }[];
    expect(log.filter((e) => e.status === 429 && e.limited === 'global-rate')).toHaveLength(r.limited.length);
    expect((await control('GET', '/rate-limits')).body.limited).toMatchObject({ 'global-rate': r.limited.length });
  });

  it('writes count too, and a limited write changes nothing', async () => {
    await control('POST', '/rate-limits', { mode: 'test' });
    const before = emu.app.store.all('customer').length;
    const r = await burst(freshKey(), 50, ['/v1/customers'], 'POST');
    expect(r.other).toEqual([]);
    expect(r.limited.length).toBeGreaterThan(0);
    expect(emu.app.store.all('customer').length - before).toBe(r.ok);
  });

  it('under the limit (20 calls/s for 1.5 s) no call is limited', async () => {
    await control('POST', '/rate-limits', { mode: 'test' });
    const key = freshKey();
    const statuses: number[] = [];
    await Array.from({ length: 30 }).reduce<Promise<void>>(
      (chain) =>
        chain.then(async () => {
          const res = await fetch(`${emu.url}/v1/customers`, { headers: { Authorization: `Bearer ${key}` } });
          statuses.push(res.status);
          await res.arrayBuffer();
          await pause(50);
        }),
      Promise.resolve(),
    );
    expect(statuses).toEqual(Array(30).fill(200));
  });

  it('is per API key: another key keeps its full allowance; the bucket refills within a second', async () => {
    await control('POST', '/rate-limits', { mode: 'test' });
    const a = freshKey();
    expect((await burst(a, 40)).limited.length).toBeGreaterThan(0);
    expect(await burst(freshKey(), 20)).toMatchObject({ ok: 20, limited: [] });
    await pause(1100);
    expect(await burst(a, 20)).toMatchObject({ ok: 20, limited: [] });
  });

  it('live mode: 100/s across endpoints, 25/s per endpoint (endpoint-rate)', async () => {
    await control('POST', '/rate-limits', { mode: 'live' });
    const spread = await burst(freshKey(), 80, ['/v1/customers', '/v1/products', '/v1/prices', '/v1/invoices']);
    expect(spread).toMatchObject({ ok: 80, limited: [], other: [] });
    const one = await burst(freshKey(), 50, ['/v1/customers']);
    expect(one.limited.length).toBeGreaterThan(0);
    expect(one.limited.every((l) => l.reason === 'endpoint-rate')).toBe(true);
    // the same spread in test mode is over the global 25/s
    await control('POST', '/rate-limits', { mode: 'test' });
    const test = await burst(freshKey(), 80, ['/v1/customers', '/v1/products', '/v1/prices', '/v1/invoices']);
    expect(test.limited.length).toBeGreaterThan(40);
  });

  it('split_read_write gives reads and writes a global bucket each', async () => {
    await control('POST', '/rate-limits', { mode: 'test', global: 5, endpoint: 100, split_read_write: true });
    const key = freshKey();
    const reads = await burst(key, 8, ['/v1/customers']);
    const writes = await burst(key, 8, ['/v1/products'], 'POST');
    expect(reads.ok).toBeGreaterThanOrEqual(5);
    expect(reads.limited.length).toBeGreaterThan(0);
    // the writes' bucket was untouched by the reads (a product without a name is a 400, not a 429)
    expect(writes.limited.length).toBeLessThan(8 - 4);
    expect(writes.other.length).toBeGreaterThanOrEqual(5);
  });

  it('live-mode meter events have their own 1,000/s and do not spend the global budget', async () => {
    await control('POST', '/rate-limits', { mode: 'live', global: 5 });
    const key = freshKey();
    const events = await burst(key, 40, ['/v1/billing/meter_events'], 'POST');
    expect(events.limited).toEqual([]);
    expect(await burst(key, 5, ['/v1/customers'])).toMatchObject({ ok: 5, limited: [] });
  });

  it('the SDK sees a StripeRateLimitError carrying the reason header', async () => {
    await control('POST', '/rate-limits', { mode: 'test', global: 2 });
    const stripe = new Stripe(freshKey(), { host: '127.0.0.1', port: emu.port, protocol: 'http', telemetry: false, maxNetworkRetries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => stripe.customers.list({ limit: 1 })));
    const rejected = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as Stripe.errors.StripeError);
    expect(rejected.length).toBeGreaterThanOrEqual(3);
    expect(rejected[0]).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code: 'rate_limit' });
    expect(rejected[0]!.headers?.['stripe-rate-limited-reason']).toBe('global-rate');
  });

  it('the control API refuses a bad mode or rate with a message; reset and EMULATOR_RATE_LIMITS set the default', async () => {
    expect(await control('POST', '/rate-limits', { mode: 'prod' })).toMatchObject({
      status: 400,
      body: { error: { message: 'Invalid mode: prod (test or live)', param: 'mode' } },
    });
    expect((await control('POST', '/rate-limits', { global: 0 })).status).toBe(400);
    await control('POST', '/rate-limits', { mode: 'live' });
    await control('POST', '/reset');
    expect((await control('GET', '/rate-limits')).body).toMatchObject({ enabled: false });

    process.env.EMULATOR_RATE_LIMITS = 'live';
    const other = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
    delete process.env.EMULATOR_RATE_LIMITS;
    try {
      const res = await fetch(`${other.url}/_emulator/rate-limits`);
      expect(await res.json()).toMatchObject({ enabled: true, mode: 'live', global: 100, endpoint: 25 });
      await fetch(`${other.url}/_emulator/reset`, { method: 'POST' });
      expect(await (await fetch(`${other.url}/_emulator/rate-limits`)).json()).toMatchObject({ enabled: true, mode: 'live' });
    } finally {
      await other.close();
    }
  });
});
