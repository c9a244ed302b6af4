/**
 * `npm run bench`: each figure beside a baseline measured in the same run, with the ratio.
 * Loads target 127.0.0.1 only and are bounded (a fixed number of requests).
 *
 * 1. Webhook intake: signed events POSTed with 64 in flight to
 *    - the app (built, served by scripts/server.ts exactly as `npm start` does, its worker running
 *      against an emulator), and
 *    - a bare `node:http` + better-sqlite3 + HMAC handler (the floor),
 *    each in its own process; events/s and p50/p99 latency.
 * 2. Storm convergence: N renewals redelivered 3× shuffled with 10% of Stripe calls failing
 *    (scripts/harness/storm.ts); time until the mirror has converged, beside the time the emulator
 *    took only to deliver them.
 * 3. The invoices page: the `/billing/invoices` loader for a user with 500 invoices (server time,
 *    in-process), beside a bare SQLite query of the same 25 rows and their lines
 *    (scripts/harness/invoices-page.ts).
 *
 * 4. Usage (scripts/harness/usage-bench.ts): metered /api/v1/hello p50 vs metering off, ledger
 *    ingestion vs a bare batched insert, Stripe calls per reporting window in a 100,000-call flood,
 *    the usage page's data for 90 days at 100,000 calls a day vs an empty account.
 *
 * Env: BENCH_REQUESTS (default 20000 per round), BENCH_ROUNDS (3), BENCH_STORM_CUSTOMERS (50),
 * BENCH_USAGE_REQUESTS (5000 API calls per round).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { benchUsage, type UsageBenchResult } from './harness/usage-bench';

const CONCURRENCY = 64;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STORM_CUSTOMERS = Number(process.env.BENCH_STORM_CUSTOMERS ?? 50);
const SECRET = process.env.BENCH_SECRET ?? `whsec_bench_${crypto.randomBytes(8).toString('hex')}`;
const tmp = process.env.BENCH_TMP ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));

// ---------------------------------------------------------------------------------------------------
// Child processes: `--child bare` and `--child app` print `{"port":…}` once listening.

async function childBare() {
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(path.join(tmp, 'bare.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec(
    `create table if not exists events (id text primary key, type text not null, created integer not null, payload text not null, received_at integer not null)`,
  );
  const insert = sqlite.prepare(
    'insert into events (id, type, created, payload, received_at) values (?, ?, ?, ?, ?) on conflict(id) do nothing',
  );
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = String(req.headers['stripe-signature'] ?? '');
      const t = /t=(\d+)/.exec(header)?.[1];
      const v1 = /v1=([0-9a-f]{64})/.exec(header)?.[1];
      const expected = t && crypto.createHmac('sha256', SECRET).update(`${t}.`).update(body).digest();
      if (!expected || !v1 || !crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex'))) {
        res.writeHead(400).end();
        return;
      }
      const e = JSON.parse(body.toString('utf8')) as { id: string; type: string; created: number };
      insert.run(e.id, e.type, e.created, body.toString('utf8'), Date.now());
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
}

async function childApp() {
  const { createAppServer } = await import('./server');
  const app = await createAppServer({ port: 0, host: '127.0.0.1' });
  console.log(JSON.stringify({ port: app.port }));
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

function startChild(kind: 'bare' | 'app', env: Record<string, string>): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--child', kind], {
    env: { ...process.env, ...env, BENCH_SECRET: SECRET, BENCH_TMP: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve({ port: (JSON.parse(line) as { port: number }).port, child });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
}

// ---------------------------------------------------------------------------------------------------
// Load

function signedEvents(n: number, prefix: string, objectId: string): { body: Buffer; signature: string }[] {
  const t = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const body = Buffer.from(
      JSON.stringify({
        id: `evt_${prefix}_${i}_${crypto.randomBytes(4).toString('hex')}`,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: t,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type: 'customer.updated',
        data: {
          object: { id: objectId, object: 'customer', email: 'bench@example.com', metadata: {} },
          previous_attributes: { name: null },
        },
      }),
    );
    const v1 = crypto.createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex');
    return { body, signature: `t=${t},v1=${v1}` };
  });
}

interface LoadResult {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(port: number, events: { body: Buffer; signature: string }[]): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const send = (e: { body: Buffer; signature: string }) =>
    new Promise<number>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/webhooks/stripe',
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': e.body.length, 'Stripe-Signature': e.signature },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(e.body);
    });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < events.length; i = next++) {
        const t0 = process.hrtime.bigint();
        const status = await send(events[i]!);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (status !== 200) errors++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { eventsPerSecond: events.length / seconds, p50: q(0.5), p99: q(0.99), errors };
}

/** The usage figures' rows (scripts/harness/usage-bench.ts measures them). */
function usageRows(u: UsageBenchResult): [string, string, string, string][] {
  return [
    [
      '/api/v1/hello p50 (ms, 64 concurrent, metered)',
      fmt(u.meteredP50, 2),
      `${fmt(u.unmeteredP50, 2)} (metering off)`,
      `+${fmt(u.meteredP50 - u.unmeteredP50, 2)} ms`,
    ],
    [
      'usage ledger ingestion (rows/s, with rollups)',
      fmt(u.ledgerRowsPerSec),
      `${fmt(u.bareRowsPerSec)} (bare batched insert)`,
      `${(u.ledgerRowsPerSec / u.bareRowsPerSec).toFixed(2)}×`,
    ],
    [
      `Stripe calls, 100,000-call flood / 50 customers`,
      fmt(u.floodStripeCalls),
      `${fmt(u.floodWindows)} (customer, meter, window)s`,
      `${(u.floodStripeCalls / Math.max(1, u.floodWindows)).toFixed(2)} per window`,
    ],
    [
      '/billing/usage data, 90 days × 100,000/day (ms)',
      fmt(u.pageMs, 2),
      `${fmt(u.emptyPageMs, 2)} (no usage)`,
      `${(u.pageMs / Math.max(0.001, u.emptyPageMs)).toFixed(2)}×`,
    ],
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function benchIntake() {
  const { buildIfNeeded } = await import('./build-if-needed');
  buildIfNeeded();
  const { startEmulator, EMULATOR_SECRET_KEY } = await import('../emulator/src/index');
  // The app's worker reads from this emulator while the load runs (one read per batch: every bench
  // event concerns the same customer).
  const emulator = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const customer = (await (
    await fetch(`${emulator.url}/v1/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${EMULATOR_SECRET_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'email=bench%40example.com',
    })
  ).json()) as { id: string };

  const bare = await startChild('bare', {});
  const app = await startChild('app', {
    NODE_ENV: 'production',
    DATABASE_PATH: path.join(tmp, 'app.sqlite'),
    SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
    STRIPE_SECRET_KEY: EMULATOR_SECRET_KEY,
    STRIPE_API_BASE: emulator.url,
    STRIPE_WEBHOOK_SECRET: SECRET,
  });
  try {
    // Warm-up (JIT, SQLite page cache), not counted.
    await load(bare.port, signedEvents(2_000, 'warm_bare', customer.id));
    await load(app.port, signedEvents(2_000, 'warm_app', customer.id));
    const rounds: { bare: LoadResult; app: LoadResult }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const b = await load(bare.port, signedEvents(REQUESTS, `bare${r}`, customer.id));
      const a = await load(app.port, signedEvents(REQUESTS, `app${r}`, customer.id));
      rounds.push({ bare: b, app: a });
      console.log(
        `  round ${r + 1}: bare ${fmt(b.eventsPerSecond)} ev/s p99 ${fmt(b.p99, 1)} ms · app ${fmt(a.eventsPerSecond)} ev/s p99 ${fmt(a.p99, 1)} ms`,
      );
    }
    const bareRate = median(rounds.map((r) => r.bare.eventsPerSecond));
    const appRate = median(rounds.map((r) => r.app.eventsPerSecond));
    const bareP99 = median(rounds.map((r) => r.bare.p99));
    const appP99 = median(rounds.map((r) => r.app.p99));
    const errors = rounds.reduce((n, r) => n + r.app.errors + r.bare.errors, 0);
    // Let the worker finish what the load queued, and show it did.
    const healthz = async () =>
      (await (await fetch(`http://127.0.0.1:${app.port}/healthz`)).json()) as { webhookBacklog: { pending: number; failed: number } };
    const drainStart = Date.now();
    let backlog = await healthz();
    while (backlog.webhookBacklog.pending > 0 && Date.now() - drainStart < 60_000) {
      await new Promise((r) => setTimeout(r, 100));
      backlog = await healthz();
    }
    return { bareRate, appRate, bareP99, appP99, errors, drainMs: Date.now() - drainStart, backlog: backlog.webhookBacklog };
  } finally {
    bare.child.kill('SIGTERM');
    app.child.kill('SIGTERM');
    await emulator.close();
  }
}

async function benchStorm() {
  process.env.DATABASE_PATH = path.join(tmp, 'storm.sqlite');
  process.env.SESSION_SECRET ??= crypto.randomBytes(24).toString('hex');
  const { startHarness } = await import('./harness/stripe-harness');
  const { runStorm } = await import('./harness/storm');
  const h = await startHarness({ worker: { backoffMs: () => 200 } });
  try {
    return await runStorm(h, STORM_CUSTOMERS);
  } finally {
    await h.close();
  }
}

async function benchInvoices() {
  process.env.DATABASE_PATH ??= path.join(tmp, 'invoices.sqlite');
  process.env.SESSION_SECRET ??= crypto.randomBytes(24).toString('hex');
  const { benchInvoicesPage } = await import('./harness/invoices-page');
  return benchInvoicesPage(500, 200);
}

async function main() {
  console.log(`Bench on ${os.cpus().length} CPU(s), node ${process.version}; loads on 127.0.0.1 only.\n`);
  console.log(`Webhook intake: ${ROUNDS} rounds × ${fmt(REQUESTS)} signed events, ${CONCURRENCY} in flight`);
  const intake = await benchIntake();
  console.log(`Storm: ${STORM_CUSTOMERS} subscriptions renewed, events redelivered 3× shuffled, 10% of Stripe calls failing`);
  const storm = await benchStorm();
  console.log('Invoices page: /billing/invoices loader for a user with 500 invoices, 200 runs');
  const invoicesPage = await benchInvoices();
  const usage = await benchUsage({ tmp, startChild, requests: Number(process.env.BENCH_USAGE_REQUESTS ?? 5_000), rounds: ROUNDS });

  const rows: [string, string, string, string][] = [
    [
      'webhook intake (events/s, 64 concurrent)',
      fmt(intake.appRate),
      `${fmt(intake.bareRate)} (bare node:http + SQLite + HMAC)`,
      `${(intake.appRate / intake.bareRate).toFixed(2)}×`,
    ],
    ['webhook intake p99 (ms)', fmt(intake.appP99, 1), fmt(intake.bareP99, 1), `${(intake.appP99 / intake.bareP99).toFixed(2)}×`],
    [
      `storm convergence (${storm.events} events ×3, 10% faults)`,
      `${fmt(storm.convergenceMs)} ms`,
      `${fmt(storm.deliveredMs)} ms (emulator delivery alone)`,
      `${(storm.convergenceMs / Math.max(1, storm.deliveredMs)).toFixed(2)}×`,
    ],
    [
      `invoices page, ${invoicesPage.invoices} invoices (ms, median)`,
      fmt(invoicesPage.loaderMedianMs, 2),
      `${fmt(invoicesPage.bareMedianMs, 2)} (bare SQLite: the same 25 rows + lines)`,
      `${(invoicesPage.loaderMedianMs / Math.max(0.001, invoicesPage.bareMedianMs)).toFixed(2)}×`,
    ],
    ...usageRows(usage),
  ];
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((r) => r[i]!.length), ['figure', 'app', 'baseline (same run)', 'ratio'][i]!.length),
  );
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log('\n' + line(['figure', 'app', 'baseline (same run)', 'ratio']));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log(
    `\nintake: ${intake.errors} non-200 answers; the app's worker then drained the backlog in ${fmt(intake.drainMs)} ms (pending ${intake.backlog.pending}, failed ${intake.backlog.failed}).`,
  );
  console.log(
    `storm: ${storm.batches} batches, ${storm.batchObjects} distinct objects per batch summed, ${storm.successfulReads} Stripe reads succeeded + ${storm.failedReads} failed; ` +
      `${storm.mismatches.length} mirror mismatches; ${storm.invoicePaidEffects}/${storm.paidInvoices} invoice-paid effects, ${storm.duplicateEffects} duplicated.`,
  );
  console.log(
    `invoices page: p95 ${fmt(invoicesPage.loaderP95Ms, 2)} ms over ${invoicesPage.runs} runs, ${invoicesPage.rowsOnPage} rows on page 1 (budget: 20 ms).`,
  );
  fs.rmSync(tmp, { recursive: true, force: true });
  if (invoicesPage.loaderMedianMs > 20) process.exitCode = 1;
  if (storm.mismatches.length || intake.errors) process.exitCode = 1;
  if (usage.apiErrors || usage.floodOnStripe !== 100_000) process.exitCode = 1;
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  const kind = process.argv[childIndex + 1];
  (kind === 'bare' ? childBare() : childApp()).catch((error) => {
    console.error(`bench ${kind} server failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  });
}
