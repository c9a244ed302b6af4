/**
 * The usage figures of `npm run bench` (issue "Usage-based billing"), each beside a baseline measured
 * in the same run:
 *  1. metered `GET /api/v1/hello` p50 at 64 concurrent vs the same route with metering off
 *     (`USAGE_METERING=off`), two built app servers side by side;
 *  2. ledger ingestion (group commit + rollups) vs a bare better-sqlite3 batched insert of the same
 *     rows into a table with the same indexes;
 *  3. Stripe calls during a 100,000-call flood across 50 customers vs the number of
 *     (customer, meter, window) the flood covers (≤ 1 call per window is the goal);
 *  4. `/billing/usage`'s data (getUsageSummary) for a customer with 90 days at 100,000 calls a day vs
 *     the same for a customer without usage.
 */
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface UsageBenchResult {
  meteredP50: number;
  unmeteredP50: number;
  apiErrors: number;
  ledgerRowsPerSec: number;
  bareRowsPerSec: number;
  floodStripeCalls: number;
  floodWindows: number;
  floodOnStripe: number;
  floodCalls: number;
  pageMs: number;
  emptyPageMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A migrated app database with one customer on Starter (mirror rows) and an API key. Yearly, so the
 * reporter does not try to add a metered item to a subscription the bench's emulator does not have.
 */
async function seedApiCustomer(file: string): Promise<string> {
  const { openDatabase } = await import('~/db/client.server');
  openDatabase(file).$client.close();
  const key = `bp_live_${crypto.randomBytes(24).toString('base64url')}`;
  const db = new Database(file);
  const now = Date.now();
  db.prepare(
    `INSERT INTO users (id, email, name, password_hash, stripe_customer_id, created_at) VALUES ('usr_bench', 'bench@example.com', 'Bench', 'x', 'cus_bench', ?)`,
  ).run(now);
  db.prepare(
    `INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES ('key_bench', 'usr_bench', 'bench', ?, ?, ?)`,
  ).run(key.slice(0, 14), crypto.createHash('sha256').update(key).digest('hex'), now);
  db.prepare(
    `INSERT INTO subscriptions (id, customer_id, user_id, status, price_lookup_key, quantity, currency, collection_method, cancel_at_period_end, current_period_start, current_period_end, metadata, stripe_created, synced_at)
     VALUES ('sub_bench', 'cus_bench', 'usr_bench', 'active', 'starter_yearly', 1, 'usd', 'charge_automatically', 0, ?, ?, '{}', ?, ?)`,
  ).run(Math.floor(now / 1000) - 86_400, Math.floor(now / 1000) + 29 * 86_400, Math.floor(now / 1000) - 86_400, now);
  db.close();
  return key;
}

async function helloLoad(port: number, key: string, requests: number): Promise<{ p50: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const get = () =>
    new Promise<number>((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/api/v1/hello', agent, headers: { Authorization: `Bearer ${key}` } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end();
    });
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < requests) {
        const t0 = process.hrtime.bigint();
        if ((await get()) !== 200) errors++;
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  agent.destroy();
  return { p50: median(latencies), errors };
}

async function benchApi(
  tmp: string,
  startChild: (kind: 'app', env: Record<string, string>) => Promise<{ port: number; child: ChildProcess }>,
  requests: number,
  rounds: number,
): Promise<{ meteredP50: number; unmeteredP50: number; errors: number }> {
  const { startEmulator, EMULATOR_SECRET_KEY } = await import('../../emulator/src/index');
  const emulator = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const servers: Record<'on' | 'off', { port: number; child: ChildProcess; key: string }> = {} as never;
  try {
    for (const mode of ['on', 'off'] as const) {
      const file = path.join(tmp, `usage-api-${mode}.sqlite`);
      const key = await seedApiCustomer(file);
      const s = await startChild('app', {
        NODE_ENV: 'production',
        DATABASE_PATH: file,
        SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
        STRIPE_SECRET_KEY: EMULATOR_SECRET_KEY,
        STRIPE_API_BASE: emulator.url,
        USAGE_METERING: mode,
      });
      servers[mode] = { ...s, key };
    }
    for (const mode of ['on', 'off'] as const) await helloLoad(servers[mode].port, servers[mode].key, 1_000); // warm-up
    const on: number[] = [];
    const off: number[] = [];
    let errors = 0;
    // Short alternating slices, so load from elsewhere on the machine hits both sides alike.
    for (let r = 0; r < rounds; r++) {
      const sa: number[] = [];
      const sb: number[] = [];
      for (let slice = 0; slice < 5; slice++) {
        const a = await helloLoad(servers.on.port, servers.on.key, Math.ceil(requests / 5));
        const b = await helloLoad(servers.off.port, servers.off.key, Math.ceil(requests / 5));
        sa.push(a.p50);
        sb.push(b.p50);
        errors += a.errors + b.errors;
      }
      on.push(median(sa));
      off.push(median(sb));
      console.log(`  round ${r + 1}: /api/v1/hello p50 metered ${median(sa).toFixed(2)} ms · metering off ${median(sb).toFixed(2)} ms`);
    }
    const counted = new Database(path.join(tmp, 'usage-api-on.sqlite'), { readonly: true });
    const rows = (counted.prepare('SELECT count(*) AS n FROM usage_events').get() as { n: number }).n;
    counted.close();
    console.log(`  the metered server's ledger holds ${rows.toLocaleString('en-US')} rows (every 200 answered)`);
    return { meteredP50: median(on), unmeteredP50: median(off), errors };
  } finally {
    for (const s of Object.values(servers)) s?.child.kill('SIGTERM');
    await emulator.close();
  }
}

/** Point the app's modules at a fresh database file of their own. */
async function freshDb(file: string) {
  const { openDatabase, setDb, closeDb } = await import('~/db/client.server');
  closeDb();
  setDb(openDatabase(file));
}

async function benchLedger(tmp: string, rows: number): Promise<{ ledger: number; bare: number }> {
  await freshDb(path.join(tmp, 'usage-ledger.sqlite'));
  const { UsageLedger } = await import('~/usage/ledger.server');
  const ledger = new UsageLedger();
  const users = Array.from({ length: 50 }, (_, i) => `usr_${i}`);
  const chunk = 1_000;
  // Both sides first write a tenth of the rows untimed (compiled code and warm caches on both), then
  // the rows are timed.
  const warmup = Math.max(chunk, Math.floor(rows / 10 / chunk) * chunk);
  for (let i = 0; i < warmup; i += chunk) {
    await Promise.all(
      Array.from({ length: chunk }, (_, j) =>
        ledger.record({ userId: users[(i + j) % 50]!, apiKeyId: `key_${(i + j) % 3}`, meter: 'api_call' }),
      ),
    );
  }
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < rows; i += chunk) {
    await Promise.all(
      Array.from({ length: chunk }, (_, j) =>
        ledger.record({ userId: users[(i + j) % 50]!, apiKeyId: `key_${(i + j) % 3}`, meter: 'api_call' }),
      ),
    );
  }
  const ledgerRate = rows / (Number(process.hrtime.bigint() - t0) / 1e9);

  // The floor: the same rows, the same table and indexes, batched inserts and nothing else.
  const bare = new Database(path.join(tmp, 'usage-bare.sqlite'));
  bare.pragma('journal_mode = WAL');
  bare.pragma('synchronous = NORMAL');
  bare.exec(`CREATE TABLE usage_events (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, user_id text NOT NULL, api_key_id text, meter text NOT NULL, value integer DEFAULT 1 NOT NULL, occurred_at integer NOT NULL, idempotency_key text, report_id integer);
    CREATE INDEX usage_events_unreported_idx ON usage_events (report_id, user_id, meter, occurred_at);
    CREATE UNIQUE INDEX usage_events_idempotency_idx ON usage_events (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;`);
  const insert = bare.prepare('INSERT INTO usage_events (user_id, api_key_id, meter, value, occurred_at) VALUES (?, ?, ?, ?, ?)');
  const batch = bare.transaction((from: number, at: number) => {
    for (let j = 0; j < chunk; j++) insert.run(users[(from + j) % 50]!, `key_${(from + j) % 3}`, 'api_call', 1, at);
  });
  for (let i = 0; i < warmup; i += chunk) batch.immediate(i, Date.now());
  t0 = process.hrtime.bigint();
  for (let i = 0; i < rows; i += chunk) batch.immediate(i, Date.now());
  const bareRate = rows / (Number(process.hrtime.bigint() - t0) / 1e9);
  bare.close();
  return { ledger: ledgerRate, bare: bareRate };
}

async function benchFlood(
  tmp: string,
  calls: number,
  customers: number,
): Promise<{ stripeCalls: number; windows: number; onStripe: number }> {
  await freshDb(path.join(tmp, 'usage-flood.sqlite'));
  const { startHarness, waitFor } = await import('./stripe-harness');
  const { db } = await import('~/db/client.server');
  const { users } = await import('~/db/schema');
  const { ensureCatalog } = await import('~/billing/catalog.server');
  const { UsageLedger } = await import('~/usage/ledger.server');
  const { UsageReporter } = await import('~/usage/reporter.server');
  const h = await startHarness({ worker: false });
  try {
    await ensureCatalog();
    const who: { userId: string; customerId: string }[] = [];
    for (let i = 0; i < customers; i++) {
      const c = await h.stripe.customers.create({ email: `flood${i}@example.com` });
      const userId = `usr_flood_${i}_${Date.now()}`;
      db()
        .insert(users)
        .values({ id: userId, email: `${userId}@example.com`, name: 'Flood', passwordHash: 'x', stripeCustomerId: c.id })
        .run();
      who.push({ userId, customerId: c.id });
    }
    const ledger = new UsageLedger();
    const reporter = new UsageReporter({ windowSeconds: 1, tickMs: 250 });
    const mark = await h.mark();
    reporter.start();
    for (let i = 0; i < calls; i += 2_000) {
      await Promise.all(
        Array.from({ length: Math.min(2_000, calls - i) }, (_, j) =>
          ledger.record({ userId: who[(i + j) % customers]!.userId, apiKeyId: 'k', meter: 'api_call' }),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1_100));
    await waitFor(
      () =>
        (db().$client.prepare(`SELECT count(*) AS c FROM usage_events WHERE report_id IS NULL`).get() as { c: number }).c === 0 &&
        (db().$client.prepare(`SELECT count(*) AS c FROM meter_reports WHERE status = 'pending'`).get() as { c: number }).c === 0,
      { timeoutMs: 120_000, intervalMs: 100, what: 'the flood reported' },
    );
    await reporter.stop();
    const requests = await h.requestsSince(mark);
    const stripeCalls = requests.filter(
      (r) => r.path.startsWith('/v2/billing/meter_event') || r.path === '/v1/billing/meter_events',
    ).length;
    const windows = (
      db().$client.prepare(`SELECT count(*) AS n FROM (SELECT DISTINCT user_id, meter, occurred_at / 1000 FROM usage_events)`).get() as {
        n: number;
      }
    ).n;
    const meter = (await h.stripe.billing.meters.list({ status: 'active' })).data.find((m) => m.event_name === 'api_call')!;
    const now = Math.floor(Date.now() / 1000);
    let onStripe = 0;
    for (const c of who) {
      const s = await h.stripe.billing.meters.listEventSummaries(meter.id, {
        customer: c.customerId,
        start_time: now - 3_600,
        end_time: now + 3_600,
      });
      onStripe += s.data.reduce((sum, d) => sum + d.aggregated_value, 0);
    }
    return { stripeCalls, windows, onStripe };
  } finally {
    await h.close();
  }
}

async function benchPage(tmp: string): Promise<{ full: number; empty: number }> {
  await freshDb(path.join(tmp, 'usage-page.sqlite'));
  const { db } = await import('~/db/client.server');
  const { getUsageSummary } = await import('~/usage/summary.server');
  const sqlite = db().$client;
  const start = Date.now() - 89 * 86_400_000;
  sqlite
    .prepare(
      `INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_page', 'page@example.com', 'Page', 'x', 0), ('usr_none', 'none@example.com', 'None', 'x', 0)`,
    )
    .run();
  sqlite.transaction(() => {
    const daily = sqlite.prepare(
      `INSERT INTO usage_daily (user_id, meter, day, api_key_id, calls) VALUES ('usr_page', 'api_call', ?, ?, ?)`,
    );
    const report = sqlite.prepare(
      `INSERT INTO meter_reports (user_id, customer_id, meter, window_start, window_end, event_timestamp, first_event_id, last_event_id, rows, value, identifier, status, created_at)
       VALUES ('usr_page', 'cus_page', 'api_call', ?, ?, ?, 0, 0, 70, 70, ?, 'sent', 0)`,
    );
    for (let d = 0; d < 90; d++) {
      const dayMs = start + d * 86_400_000;
      const date = new Date(dayMs).toISOString().slice(0, 10);
      for (const [k, n] of [
        ['key_a', 60_000],
        ['key_b', 30_000],
        ['key_c', 10_000],
      ] as const)
        daily.run(date, k, n);
      const dayStart = Math.floor(dayMs / 86_400_000) * 86_400;
      for (let w = 0; w < 1440; w++) report.run(dayStart + w * 60, dayStart + w * 60 + 60, dayStart + w * 60 + 59, `page:${d}:${w}`);
    }
  })();
  const time = (userId: string) => {
    getUsageSummary({ userId });
    const xs: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      getUsageSummary({ userId });
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  return { full: time('usr_page'), empty: time('usr_none') };
}

export async function benchUsage(opts: {
  tmp: string;
  startChild: (kind: 'app', env: Record<string, string>) => Promise<{ port: number; child: ChildProcess }>;
  requests: number;
  rounds: number;
  /** Ledger rows and flood calls (200,000 and 100,000; `npm run bench -- --quick` passes fewer). */
  ledgerRows?: number;
  floodCalls?: number;
}): Promise<UsageBenchResult> {
  const ledgerRows = opts.ledgerRows ?? 200_000;
  const floodCalls = opts.floodCalls ?? 100_000;
  console.log(
    `Usage: /api/v1/hello metered vs metering off, ${opts.rounds} rounds × ${opts.requests.toLocaleString('en-US')} calls, 64 in flight`,
  );
  const api = await benchApi(opts.tmp, opts.startChild, opts.requests, opts.rounds);
  console.log(`Usage: ledger ingestion (${ledgerRows.toLocaleString('en-US')} rows) vs a bare batched insert`);
  const ledger = await benchLedger(opts.tmp, ledgerRows);
  console.log(`Usage: a ${floodCalls.toLocaleString('en-US')}-call flood across 50 customers, 1-second reporting windows`);
  const flood = await benchFlood(opts.tmp, floodCalls, 50);
  console.log('Usage: /billing/usage data for 90 days × 100,000 calls a day');
  const page = await benchPage(opts.tmp);
  return {
    meteredP50: api.meteredP50,
    unmeteredP50: api.unmeteredP50,
    apiErrors: api.errors,
    ledgerRowsPerSec: ledger.ledger,
    bareRowsPerSec: ledger.bare,
    floodStripeCalls: flood.stripeCalls,
    floodWindows: flood.windows,
    floodOnStripe: flood.onStripe,
    floodCalls,
    pageMs: page.full,
    emptyPageMs: page.empty,
  };
}
