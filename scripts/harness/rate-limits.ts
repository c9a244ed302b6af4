/**
 * `npm run bench`'s Stripe rate limits scenario (issue #17): `stripe:backfill` then
 * `stripe:reconcile` of N customers against an emulator enforcing Stripe's test-mode limits
 * (docs/decisions/034-emulator-rate-limits.md) while 3% of API calls are answered 429 by an injected
 * fault (a stand-in for lock timeouts and the limiters the emulator does not model). The scripts run
 * as `npm run` would run them (child processes, their stderr progress forwarded).
 *
 * Measured from the emulator's request log: calls/s over each script's span and its busiest second
 * beside the limit, total time beside the floor the limit sets (calls ÷ limit), 429s (the limiter's
 * and the injected ones). Checked: both scripts exit 0, the mirror holds exactly the emulator's
 * customers, subscriptions (with their status), invoices and payment methods, and the inbox every
 * event the emulator has.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EMULATOR_SECRET_KEY, startEmulator } from '../../emulator/src/index';
import type { RequestLogEntry } from '../../emulator/src/core/server';
import { fmt, ratio, type ScenarioResult } from './table';

const INJECTED_429_RATIO = 0.03;

interface Run {
  code: number | null;
  ms: number;
  stdout: string;
}

/** Runs `scripts/<file>` like `npm run` would, forwarding its output indented. */
function runScript(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${file}`, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const forward = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim())
      .forEach((l) => console.log(`    ${l}`)); // piped: the scripts print plain lines, no TTY redraws
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    forward(c);
  });
  child.stderr.on('data', forward);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, ms: performance.now() - started, stdout })));
}

/** Calls, span (first to last call), busiest 1-second window and 429s of a slice of the request log. */
function callStats(log: RequestLogEntry[]) {
  const times = log.map((r) => r.time).sort((a, b) => a - b);
  const spanMs = times.length > 1 ? times.at(-1)! - times[0]! : 0;
  const busiest = times.reduce(
    (acc, t, i) => {
      let start = acc.start;
      while (times[start]! <= t - 1000) start++;
      return { start, max: Math.max(acc.max, i - start + 1) };
    },
    { start: 0, max: 0 },
  ).max;
  return {
    calls: log.length,
    perSecond: spanMs > 0 ? (log.length * 1000) / spanMs : 0,
    busiest,
    limiter429: log.filter((r) => r.status === 429 && r.limited).length,
    injected429: log.filter((r) => r.status === 429 && !r.limited).length,
  };
}

async function benchRateLimits(opts: { tmp: string; customers: number; mode?: 'test' | 'live' }): Promise<ScenarioResult> {
  const n = opts.customers;
  const mode = opts.mode ?? 'test';
  console.log(
    `Stripe rate limits: backfill + reconcile of ${fmt(n)} customers, emulator enforcing ${mode}-mode limits, ${INJECTED_429_RATIO * 100}% of calls injected 429`,
  );
  const emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const dbFile = path.join(opts.tmp, `rate-${crypto.randomBytes(3).toString('hex')}.sqlite`);
  const env = {
    DATABASE_PATH: dbFile,
    STRIPE_SECRET_KEY: EMULATOR_SECRET_KEY,
    STRIPE_API_BASE: emu.url,
    SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
  };
  const control = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${emu.url}/_emulator${p}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`control ${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const api = async (p: string, form: Record<string, string>) => {
    const res = await fetch(`${emu.url}/v1${p}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${EMULATOR_SECRET_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  try {
    const product = await api('/products', { name: 'Rate limits bench' });
    const price = await api('/prices', { product: product.id, currency: 'usd', unit_amount: '1900', 'recurring[interval]': 'month' });
    let t0 = performance.now();
    await control('POST', '/seed/subscriptions', { count: n, price: price.id, email_prefix: 'rate', deliver: false });
    console.log(`  seeded ${fmt(n)} customers + cards + subscriptions in ${fmt((performance.now() - t0) / 1000, 1)} s (control API)`);

    const limits = await control<{ global: number }>('POST', '/rate-limits', { mode });
    // the first 3 customer reads always (so even --quick's few calls meet a 429), then 3% of everything
    await control('POST', '/faults', { method: 'GET', path: '/v1/customers/*', status: 429, times: 3 });
    await control('POST', '/faults', { path: '/v1/*', status: 429, ratio: INJECTED_429_RATIO });
    const limit = limits.global;

    let mark = emu.server.requestLog.length;
    const backfill = await runScript('stripe-backfill.ts', ['--restart'], env);
    const backfillCalls = callStats(emu.server.requestLog.slice(mark));
    mark = emu.server.requestLog.length;
    const reconcile = await runScript('stripe-reconcile.ts', ['--days', '2'], env);
    const reconcileCalls = callStats(emu.server.requestLog.slice(mark));

    // Correctness: the mirror against the emulator's own tables (no API calls, so no limits).
    await control('DELETE', '/faults');
    await control('DELETE', '/rate-limits');
    t0 = performance.now();
    const ids = (type: string) =>
      new Set(emu.app.store.db.prepare('SELECT id FROM objects WHERE type = ? AND deleted = 0').pluck().all(type) as string[]);
    const subStatus = new Map(
      (
        emu.app.store.db.prepare(`SELECT id, json_extract(json, '$.status') AS status FROM objects WHERE type = 'subscription'`).all() as {
          id: string;
          status: string;
        }[]
      ).map((r) => [r.id, r.status]),
    );
    const mirror = new Database(dbFile, { readonly: true });
    const mirrorIds = (sql: string) => new Set(mirror.prepare(sql).pluck().all() as string[]);
    const mirrorSubs = new Map(
      (mirror.prepare('SELECT id, status FROM subscriptions').all() as { id: string; status: string }[]).map((r) => [r.id, r.status]),
    );
    const compared: [string, Set<string>, Set<string>][] = [
      ['customers', ids('customer'), mirrorIds('SELECT id FROM customers WHERE deleted = 0')],
      ['subscriptions', new Set(subStatus.keys()), new Set(mirrorSubs.keys())],
      ['invoices', ids('invoice'), mirrorIds('SELECT id FROM invoices WHERE deleted = 0')],
      ['payment methods', ids('payment_method'), mirrorIds('SELECT id FROM payment_methods WHERE detached = 0')],
      ['events', ids('event'), mirrorIds('SELECT id FROM stripe_events')],
    ];
    mirror.close();
    const differences = compared.flatMap(([what, stripe, ours]) => {
      const missing = [...stripe].filter((id) => !ours.has(id));
      const extra = [...ours].filter((id) => !stripe.has(id));
      return missing.length || extra.length
        ? [`${what}: ${missing.length} missing (e.g. ${missing.slice(0, 2).join(', ')}), ${extra.length} extra`]
        : [];
    });
    const statusDiffs = [...subStatus].filter(([id, status]) => mirrorSubs.has(id) && mirrorSubs.get(id) !== status);
    if (statusDiffs.length) differences.push(`subscriptions: ${statusDiffs.length} with another status, e.g. ${statusDiffs[0]![0]}`);
    const counts = compared.map(([what, stripe, ours]) => `${what} ${fmt(ours.size)}/${fmt(stripe.size)}`).join(', ');
    console.log(`  compared in ${fmt((performance.now() - t0) / 1000, 1)} s: ${counts} (mirror/emulator)`);

    const failures: string[] = [];
    if (backfill.code !== 0) failures.push(`rate limits: stripe:backfill exited ${backfill.code}`);
    if (reconcile.code !== 0) failures.push(`rate limits: stripe:reconcile exited ${reconcile.code}`);
    if (!backfillCalls.injected429 && !reconcileCalls.injected429)
      failures.push('rate limits: no 429 was injected (the scenario tested nothing)');
    if (differences.length) failures.push(`rate limits: the mirror differs from the emulator: ${differences.join('; ')}`);
    const row = (name: string, s: ReturnType<typeof callStats>, run: Run) =>
      [
        [
          `rate limits: ${name}, ${fmt(n)} customers (calls/s)`,
          fmt(s.perSecond, 1),
          `${limit} (Stripe's ${mode}-mode limit)`,
          ratio(s.perSecond, limit),
        ],
        [`rate limits: ${name}, busiest second (calls)`, fmt(s.busiest), `${limit} (the limit)`, ratio(s.busiest, limit)],
        [
          `rate limits: ${name}, total time (s)`,
          fmt(run.ms / 1000, 1),
          `${fmt(s.calls / limit, 1)} (${fmt(s.calls)} calls at the limit)`,
          ratio(run.ms / 1000, s.calls / limit),
        ],
      ] as [string, string, string, string][];
    return {
      rows: [...row('backfill', backfillCalls, backfill), ...row('reconcile', reconcileCalls, reconcile)],
      notes: [
        `rate limits: backfill ${fmt(backfillCalls.calls)} calls (${backfillCalls.limiter429} answered 429 by the limiter, ${backfillCalls.injected429} injected 429s), ` +
          `reconcile ${fmt(reconcileCalls.calls)} calls (${reconcileCalls.limiter429} by the limiter, ${reconcileCalls.injected429} injected); all retried. ` +
          `Mirror/emulator: ${counts}; ${differences.length} differences.`,
      ],
      failures,
    };
  } finally {
    await emu.close();
  }
}

/**
 * The scenario as `npm run bench` runs it: 10,000 customers (BENCH_RATE_CUSTOMERS), 30 with
 * `--quick`; test-mode limits (BENCH_RATE_MODE=live for live mode's).
 */
export function rateLimitsScenario(tmp: string, quick: boolean): Promise<ScenarioResult> {
  const customers = quick ? 30 : Number(process.env.BENCH_RATE_CUSTOMERS ?? 10_000);
  return benchRateLimits({ tmp, customers, mode: process.env.BENCH_RATE_MODE === 'live' ? 'live' : 'test' });
}
