/**
 * `npm run bench`: one table, each figure beside a baseline measured in the same run, with the ratio
 * (docs/performance.md records a run and what the figures mean).
 *
 *  1. Webhook intake (scripts/harness/intake.ts): autocannon, 64 connections, the app vs a bare
 *     `node:http` + SQLite + HMAC handler; events/s and p99.
 *  2. Renewal storm at scale (scripts/harness/storm-scale.ts): N customers renew, every event
 *     delivered 3× shuffled while 10% of Stripe calls fail; convergence time vs the emulator's own
 *     delivery time, Stripe reads vs objects touched, the app's RSS.
 *  3. The invoices page (scripts/harness/invoices-page.ts): the loader for 500 invoices vs a bare query.
 *  4. Usage (scripts/harness/usage-bench.ts): metering overhead, ledger ingestion, calls per window,
 *     the usage page's data.
 *  5. The billing page (scripts/harness/billing-page.ts): `GET /billing` for a customer with 24
 *     invoices, a card, a pending change and 90 days of usage, autocannon at 32 connections, beside
 *     `GET /login` of the same server and a bare `node:http` handler answering the loader's data as
 *     JSON; the loader's own p50 in-process.
 *
 * `npm run bench -- --quick` runs a reduced size of each scenario (a smoke check in `npm test`): it
 * asserts correctness only (convergence, no duplicates, no errors), never timings. Exit 1 on any
 * correctness failure. Loads target 127.0.0.1 only, are bounded and stop by themselves.
 *
 * Env (full run): BENCH_REQUESTS (20,000 per intake round), BENCH_ROUNDS (3), BENCH_STORM_CUSTOMERS
 * (10,000), BENCH_USAGE_REQUESTS (5,000), BENCH_BILLING_SECONDS (5 per load); BENCH_ONLY=storm,intake
 * (or =billing) runs a subset.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChild } from './harness/children';
import { fmt, printTable, ratio, type BenchRow, type ScenarioResult } from './harness/table';

const quick = process.argv.includes('--quick');
const num = (name: string, full: number, small: number) => (quick ? small : Number(process.env[name] ?? full));
const SIZE = {
  requests: num('BENCH_REQUESTS', 20_000, 1_000),
  rounds: num('BENCH_ROUNDS', 3, 1),
  stormCustomers: num('BENCH_STORM_CUSTOMERS', 10_000, 20),
  usageRequests: num('BENCH_USAGE_REQUESTS', 5_000, 500),
};

async function intakeScenario(tmp: string): Promise<ScenarioResult> {
  const { benchIntake } = await import('./harness/intake');
  console.log(`Webhook intake: ${SIZE.rounds} round(s) × ${fmt(SIZE.requests)} signed events, autocannon, 64 connections`);
  const r = await benchIntake({ tmp, requests: SIZE.requests, rounds: SIZE.rounds });
  const failures: string[] = [];
  if (r.errors) failures.push(`intake: ${r.errors} non-2xx answers or connection errors`);
  if (r.backlog.pending || r.backlog.failed)
    failures.push(`intake: the worker left ${r.backlog.pending} pending and ${r.backlog.failed} failed events`);
  return {
    rows: [
      [
        'webhook intake (events/s, 64 connections)',
        fmt(r.appRate),
        `${fmt(r.bareRate)} (bare node:http + SQLite + HMAC)`,
        ratio(r.appRate, r.bareRate),
      ],
      ['webhook intake p99 (ms)', fmt(r.appP99, 1), fmt(r.bareP99, 1), ratio(r.appP99, r.bareP99)],
    ],
    notes: [
      `intake: p50 app ${fmt(r.appP50, 1)} ms / bare ${fmt(r.bareP50, 1)} ms; ${r.errors} errors; the worker then drained the backlog in ${fmt(r.drainMs)} ms (pending ${r.backlog.pending}, failed ${r.backlog.failed}).`,
    ],
    failures,
  };
}

async function stormScenario(tmp: string): Promise<ScenarioResult> {
  const { benchStormAtScale } = await import('./harness/storm-scale');
  return benchStormAtScale({ tmp, customers: SIZE.stormCustomers, quick });
}

async function invoicesScenario(tmp: string): Promise<ScenarioResult> {
  process.env.DATABASE_PATH ??= path.join(tmp, 'invoices.sqlite');
  process.env.SESSION_SECRET ??= crypto.randomBytes(24).toString('hex');
  const { benchInvoicesPage } = await import('./harness/invoices-page');
  const runs = quick ? 20 : 200;
  console.log(`Invoices page: /billing/invoices loader for a user with 500 invoices, ${runs} runs`);
  const p = await benchInvoicesPage(500, runs);
  const failures = p.rowsOnPage === 25 ? [] : [`invoices page: ${p.rowsOnPage} rows on page 1 (expected 25)`];
  if (!quick && p.loaderMedianMs > 20) failures.push(`invoices page: median ${fmt(p.loaderMedianMs, 2)} ms is over the 20 ms budget`);
  return {
    rows: [
      [
        `invoices page, ${p.invoices} invoices (ms, median)`,
        fmt(p.loaderMedianMs, 2),
        `${fmt(p.bareMedianMs, 2)} (bare SQLite: the same 25 rows + lines)`,
        ratio(p.loaderMedianMs, p.bareMedianMs),
      ],
    ],
    notes: [`invoices page: p95 ${fmt(p.loaderP95Ms, 2)} ms over ${p.runs} runs, ${p.rowsOnPage} rows on page 1 (budget: 20 ms).`],
    failures,
  };
}

async function usageScenario(tmp: string): Promise<ScenarioResult> {
  const { benchUsage } = await import('./harness/usage-bench');
  const { startChild } = await import('./harness/children');
  const u = await benchUsage({
    tmp,
    startChild,
    requests: SIZE.usageRequests,
    rounds: SIZE.rounds,
    ledgerRows: quick ? 5_000 : undefined,
    floodCalls: quick ? 5_000 : undefined,
  });
  const failures: string[] = [];
  if (u.apiErrors) failures.push(`usage: ${u.apiErrors} /api/v1/hello errors`);
  if (u.floodOnStripe !== u.floodCalls) failures.push(`usage: ${u.floodOnStripe} of ${u.floodCalls} flood calls reached Stripe's meter`);
  const rows: BenchRow[] = [
    [
      '/api/v1/hello p50 (ms, 64 concurrent, metered)',
      fmt(u.meteredP50, 2),
      `${fmt(u.unmeteredP50, 2)} (metering off)`,
      `${u.meteredP50 >= u.unmeteredP50 ? '+' : '−'}${fmt(Math.abs(u.meteredP50 - u.unmeteredP50), 2)} ms`,
    ],
    [
      'usage ledger ingestion (rows/s, with rollups)',
      fmt(u.ledgerRowsPerSec),
      `${fmt(u.bareRowsPerSec)} (bare batched insert)`,
      ratio(u.ledgerRowsPerSec, u.bareRowsPerSec),
    ],
    [
      `Stripe calls, ${fmt(u.floodCalls)}-call flood / 50 customers`,
      fmt(u.floodStripeCalls),
      `${fmt(u.floodWindows)} (customer, meter, window)s`,
      `${(u.floodStripeCalls / Math.max(1, u.floodWindows)).toFixed(2)} per window`,
    ],
    [
      '/billing/usage data, 90 days × 100,000/day (ms)',
      fmt(u.pageMs, 2),
      `${fmt(u.emptyPageMs, 2)} (no usage)`,
      ratio(u.pageMs, u.emptyPageMs),
    ],
  ];
  return { rows, notes: [], failures };
}

async function billingScenario(tmp: string): Promise<ScenarioResult> {
  const { billingPageBench } = await import('./harness/billing-page');
  return billingPageBench({ tmp, quick });
}

const SCENARIOS: [string, (tmp: string) => Promise<ScenarioResult>][] = [
  ['webhook intake', intakeScenario],
  ['storm', stormScenario],
  ['invoices page', invoicesScenario],
  ['usage', usageScenario],
  ['billing page', billingScenario],
  ['leak', async (tmp) => (await import('./harness/leak')).benchLeak({ tmp, quick })],
  ['rate limits', (tmp) => import('./harness/rate-limits').then((m) => m.rateLimitsScenario(tmp, quick))],
];

async function main() {
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  console.log(
    `Bench${quick ? ' --quick (reduced sizes, correctness only)' : ''} on ${os.cpus().length} CPU(s), node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; loads on 127.0.0.1 only.\n`,
  );
  const results: ScenarioResult[] = [];
  // BENCH_ONLY=storm,intake runs a subset (names as in SCENARIOS).
  const only = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
  const chosen = only ? SCENARIOS.filter(([name]) => only.some((o) => name.startsWith(o))) : SCENARIOS;
  try {
    await chosen.reduce(
      (chain, [name, run]) =>
        chain.then(async () => {
          const t0 = Date.now();
          try {
            results.push(await run(tmp));
          } catch (error) {
            results.push({ rows: [], notes: [], failures: [`${name} failed: ${error instanceof Error ? error.stack : String(error)}`] });
          }
          console.log(`  (${name}: ${fmt((Date.now() - t0) / 1000, 1)} s)`);
        }),
      Promise.resolve(),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const rows = results.flatMap((r) => r.rows);
  if (!quick) printTable(rows);
  else console.log(`\n${rows.length} figures measured (timings are not asserted in --quick).`);
  console.log('');
  results.flatMap((r) => r.notes).forEach((n) => console.log(n));
  const failures = results.flatMap((r) => r.failures);
  failures.forEach((f) => console.error(`FAIL ${f}`));
  console.log(
    `\nbench${quick ? ' --quick' : ''}: ${failures.length ? `${failures.length} failure(s)` : 'all checks passed'} in ${fmt((Date.now() - started) / 1000, 1)} s.`,
  );
  process.exitCode = failures.length ? 1 : 0;
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  const kind = process.argv[childIndex + 1];
  const started = kind === 'billing-json' ? import('./harness/billing-page').then((m) => m.runBillingJsonChild()) : runChild(kind);
  started.catch((error) => {
    console.error(`bench ${kind} server failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
}
