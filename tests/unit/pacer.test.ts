/**
 * The bulk scripts' pacer (scripts/lib/pacer.ts) against a fake clock: its rate, the per-endpoint
 * budget, the hold after a 429, the transport's own 429 retries, and the progress line.
 */
import { describe, expect, it } from 'vitest';
import {
  Pacer,
  Progress,
  backoffMs,
  endpointOf,
  formatDuration,
  modeOfKey,
  pacedHttpClient,
  progressLine,
  type Clock,
} from '../../scripts/lib/pacer';

function fakeClock(): Clock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

/** The most calls in any window of `ms` (times sorted). */
const busiest = (times: number[], ms: number) => Math.max(...times.map((t, i) => times.slice(i).filter((u) => u < t + ms).length));

describe('Pacer', () => {
  it('spaces calls at its rate: 100 calls at 20/s take 4.95 s, never more than 21 in a second', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(20, 1000, clock);
    const times: number[] = [];
    await Array.from({ length: 100 }).reduce<Promise<void>>(
      (chain, _, i) =>
        chain.then(async () => {
          await pacer.acquire(`GET /v1/e${i % 5}`);
          times.push(clock.now());
        }),
      Promise.resolve(),
    );
    expect(times[0]).toBe(0);
    expect(times.at(-1)).toBeCloseTo(4950, 6);
    expect(busiest(times, 1000)).toBeLessThanOrEqual(21);
    expect(pacer.calls).toBe(100);
  });

  it('keeps each endpoint under its own rate while others go at the global one', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(80, 20, clock);
    const byEndpoint: Record<string, number[]> = { a: [], b: [] };
    await Array.from({ length: 60 }).reduce<Promise<void>>(
      (chain, _, i) =>
        chain.then(async () => {
          const e = i % 3 === 0 ? 'b' : 'a';
          await pacer.acquire(`GET /v1/${e}`);
          byEndpoint[e]!.push(clock.now());
        }),
      Promise.resolve(),
    );
    expect(busiest(byEndpoint.a!, 1000)).toBeLessThanOrEqual(21);
    expect(busiest(byEndpoint.b!, 1000)).toBeLessThanOrEqual(21);
    expect(
      busiest(
        [...byEndpoint.a!, ...byEndpoint.b!].sort((x, y) => x - y),
        1000,
      ),
    ).toBeLessThanOrEqual(81);
  });

  it('hold(ms) delays every call, including one already waiting for its slot', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(10, 10, clock);
    await pacer.acquire('GET /x'); // t=0, next slot at 100
    pacer.hold(2_000);
    await pacer.acquire('GET /x');
    expect(clock.now()).toBeGreaterThanOrEqual(2_000);
  });
});

describe('pacedHttpClient', () => {
  const response = (status: number, headers: Record<string, string> = {}) => ({
    getStatusCode: () => status,
    getHeaders: () => headers,
    getRawResponse: () => null,
    toStream: () => null,
    toJSON: async () => ({}),
  });

  it('retries a 429 after a backoff, through the pacer, and answers the first other status', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(20, 20, clock);
    const statuses = [429, 429, 200];
    const sent: number[] = [];
    const inner = {
      getClientName: () => 'fake',
      makeRequest: async () => {
        sent.push(clock.now());
        return response(statuses.shift()!);
      },
    };
    const client = pacedHttpClient(pacer, inner, { random: () => 1, baseMs: 500 });
    const res = await client.makeRequest('h', '1', '/v1/customers/cus_Ab12?limit=1', 'GET', {}, '', 'http', 1000);
    expect(res.getStatusCode()).toBe(200);
    expect(pacer).toMatchObject({ calls: 3, limited: 2 });
    // 500 ms after the first 429, 1,000 ms after the second
    expect(sent[1]! - sent[0]!).toBeGreaterThanOrEqual(500);
    expect(sent[2]! - sent[1]!).toBeGreaterThanOrEqual(1000);
  });

  it('a global-rate 429 holds every call; any other 429 only the one that got it', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(100, 100, clock);
    const holds: number[] = [];
    const hold = pacer.hold.bind(pacer);
    pacer.hold = (ms: number) => {
      holds.push(ms);
      hold(ms);
    };
    const answers: Record<string, [number, Record<string, string>][]> = {
      '/v1/global': [
        [429, { 'stripe-rate-limited-reason': 'global-rate' }],
        [200, {}],
      ],
      '/v1/locked': [
        [429, {}],
        [200, {}],
      ],
    };
    const inner = {
      getClientName: () => 'fake',
      makeRequest: async (_h: string, _p: string, path: string) => response(...answers[path]!.shift()!),
    };
    const client = pacedHttpClient(pacer, inner, { random: () => 1, baseMs: 1000 });
    expect((await client.makeRequest('h', '1', '/v1/locked', 'GET', {}, '', 'http', 1)).getStatusCode()).toBe(200);
    expect(holds).toEqual([]);
    expect(clock.sleeps).toContain(1000); // this call alone waited
    expect((await client.makeRequest('h', '1', '/v1/global', 'GET', {}, '', 'http', 1)).getStatusCode()).toBe(200);
    expect(holds).toEqual([1000]);
    expect(pacer.limited).toBe(2);
  });

  it('gives the 429 to the SDK after its own retries are spent', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(20, 20, clock);
    const inner = { getClientName: () => 'fake', makeRequest: async () => response(429) };
    const res = await pacedHttpClient(pacer, inner, { retries: 2, random: () => 0 }).makeRequest(
      'h',
      '1',
      '/v1/x',
      'POST',
      {},
      '',
      'http',
      1,
    );
    expect(res.getStatusCode()).toBe(429);
    expect(pacer).toMatchObject({ calls: 3, limited: 3 });
  });
});

describe('helpers', () => {
  it('names endpoints by operation, ids replaced', () => {
    expect(endpointOf('get', '/v1/customers/cus_NffrFeUfNV2Hib/payment_methods?limit=100')).toBe('GET /v1/customers/{id}/payment_methods');
    expect(endpointOf('POST', '/v1/invoices/create_preview')).toBe('POST /v1/invoices/create_preview');
    expect(endpointOf('GET', '/v1/payment_methods/pm_card_visa')).toBe('GET /v1/payment_methods/pm_card_visa');
  });

  it('maps keys to modes and backs off exponentially with jitter, capped', () => {
    expect(modeOfKey('sk_live_abc')).toBe('live');
    expect(modeOfKey('rk_live_abc')).toBe('live');
    expect(modeOfKey('sk_test_emulator_0000')).toBe('test');
    expect(backoffMs(0, { random: () => 0 })).toBe(250);
    expect(backoffMs(0, { random: () => 1 })).toBe(500);
    expect(backoffMs(3, { random: () => 1 })).toBe(4000);
    expect(backoffMs(10, { random: () => 1 })).toBe(8000);
  });

  it('draws a bar with calls/s and an ETA', () => {
    const line = progressLine({
      label: 'backfill',
      done: 250,
      total: 1000,
      unit: 'customers',
      elapsedMs: 10_000,
      calls: 200,
      limited: 3,
      width: 20,
    });
    expect(line).toBe('backfill [#####---------------] 25% 250/1,000 customers · 20.0 calls/s · 3 × 429 · ETA 30s');
    expect(
      progressLine({ label: 'r', done: 5, total: null, fraction: 1, unit: 'events', elapsedMs: 1, calls: 1, limited: 0, width: 4 }),
    ).toBe('r [####] 100% 5 events · 1000.0 calls/s · done');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });

  it('writes a line every interval without a TTY, and the last one on finish', () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const progress = new Progress({ label: 'x', unit: 'u', total: 10, pacer: new Pacer(1, 1, clock), stream, clock, intervalMs: 5000 });
    progress.update(1);
    clock.t = 1000;
    progress.update(2);
    clock.t = 6000;
    progress.update(6);
    progress.finish(10);
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['10%', '60%', '100%']);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});
