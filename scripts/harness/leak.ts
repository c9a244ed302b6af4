/**
 * `npm run bench`'s "no leak" figure (issue #17): does the app's memory come back after a load?
 *
 * The built app is served by scripts/server.ts as `npm start` does (a child process, its RSS read
 * from /proc). After a warm-up of the same mix as long as the load, its RSS is sampled every 250 ms
 * through
 *  1. 60 s of idle: the lowest sample is the baseline;
 *  2. 60 s of load: autocannon, 32 connections cycling through `GET /login`, `GET /billing` signed in,
 *     a signed `POST /webhooks/stripe` (a new event each time) and `GET /api/v1/hello` with an API
 *     key; the highest sample is the peak;
 *  3. 60 s of idle: the lowest sample, against the baseline (the aim: within 10%).
 * Nothing forces a garbage collection before a figure is taken: the figure is what the process keeps
 * by itself. After each idle phase's figure, a diagnostic forces one (SIGUSR2) and prints the JS heap
 * in use, which tells retained objects (a leak) from garbage not yet collected. `--quick`
 * runs a few seconds of each and checks only that every answer was the expected one.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import { startChild, type Child } from './children';
import { signedCustomerUpdated } from './intake';
import { fmt, ratio, type ScenarioResult } from './table';

const CONNECTIONS = 32;
const SAMPLE_MS = 250;
const MiB = 1024 * 1024;

interface Phase {
  min: number;
  max: number;
  samples: number;
}

/** Samples the child's RSS every 250 ms while `during` runs (or for `ms` of idle). */
async function sample(child: Child, during: Promise<unknown> | number): Promise<Phase> {
  const values: number[] = [child.rss()];
  const timer = setInterval(() => values.push(child.rss()), SAMPLE_MS);
  try {
    await (typeof during === 'number' ? new Promise((r) => setTimeout(r, during)) : during);
  } finally {
    clearInterval(timer);
  }
  values.push(child.rss());
  const seen = values.filter((v) => v > 0);
  return { min: Math.min(...seen), max: Math.max(...seen), samples: seen.length };
}

interface HeapReport {
  usedBefore: number;
  usedAfter: number;
  totalAfter: number;
  rssAfter: number;
}

/** A diagnostic, after the figures are taken: the app's JS heap before and after a forced GC (SIGUSR2, scripts/harness/children.ts). */
function heapAfterGc(app: Child): Promise<HeapReport | null> {
  return new Promise((resolve) => {
    let buffer = '';
    const timer = setTimeout(() => done(null), 10_000);
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"heap"'));
      if (line) done((JSON.parse(line) as { heap: HeapReport }).heap);
    };
    const done = (report: HeapReport | null) => {
      clearTimeout(timer);
      app.child.stdout?.off('data', onData);
      resolve(report);
    };
    app.child.stdout?.on('data', onData);
    app.child.kill('SIGUSR2');
  });
}

/**
 * One user on Starter (yearly, in the mirror) with an API key, and a session cookie made the way
 * login makes one; written with the app's own functions into a fresh, migrated database file.
 */
async function seed(file: string): Promise<{ cookie: string; apiKey: string }> {
  const { openDatabase, setDb, closeDb, db } = await import('~/db/client.server');
  closeDb();
  setDb(openDatabase(file));
  try {
    const { createUser } = await import('~/auth/users.server');
    const { createUserSession } = await import('~/auth/session.server');
    const { createApiKey } = await import('~/auth/api-keys.server');
    const user = await createUser({ name: 'Bench Leak', email: 'bench-leak@example.com', password: 'bench-password-1' });
    const now = Date.now();
    const sqlite = db().$client;
    sqlite.prepare(`UPDATE users SET stripe_customer_id = 'cus_benchleak' WHERE id = ?`).run(user.id);
    // Yearly, so the usage reporter has no metered item to report to (the bench's emulator has none).
    sqlite
      .prepare(
        `INSERT INTO subscriptions (id, customer_id, user_id, status, price_lookup_key, quantity, currency, collection_method, cancel_at_period_end, current_period_start, current_period_end, metadata, stripe_created, synced_at)
         VALUES ('sub_benchleak', 'cus_benchleak', ?, 'active', 'starter_yearly', 1, 'usd', 'charge_automatically', 0, ?, ?, '{}', ?, ?)`,
      )
      .run(user.id, Math.floor(now / 1000) - 86_400, Math.floor(now / 1000) + 364 * 86_400, Math.floor(now / 1000) - 86_400, now);
    const { key } = createApiKey({ userId: user.id, name: 'bench leak' });
    const cookie = (await createUserSession(user.id, '/billing')).headers.get('set-cookie')!.split(';')[0]!;
    return { cookie, apiKey: key };
  } finally {
    closeDb();
  }
}

const heapLine = (h: HeapReport | null) =>
  h
    ? `${fmt(h.usedAfter / MiB, 1)} MiB (${fmt(h.usedBefore / MiB, 1)} before it; heap ${fmt(h.totalAfter / MiB, 1)} MiB, RSS then ${fmt(h.rssAfter / MiB, 1)} MiB)`
    : 'not reported';

interface MixResult {
  requests: number;
  /** Answers other than the expected status, connection errors and timeouts. */
  errors: number;
  perSecond: number;
}

/** The mix, 32 connections, for `seconds`: each connection cycles through the four requests. */
async function mix(
  port: number,
  seconds: number,
  s: { cookie: string; apiKey: string; secret: string; customer: string },
): Promise<MixResult> {
  let n = 0;
  const webhook = () => {
    const { body, signature } = signedCustomerUpdated(s.secret, `evt_leak_${n++}_${crypto.randomBytes(6).toString('hex')}`, s.customer);
    return { body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } };
  };
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 20,
    requests: [
      { method: 'GET', path: '/login', headers: { accept: 'text/html' } },
      { method: 'GET', path: '/billing', headers: { accept: 'text/html', cookie: s.cookie } },
      { method: 'POST', path: '/webhooks/stripe', setupRequest: (req) => ({ ...req, ...webhook() }) },
      { method: 'GET', path: '/api/v1/hello', headers: { authorization: `Bearer ${s.apiKey}` } },
    ],
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    requests: result['2xx'] + result.non2xx,
    errors: result.non2xx + result.errors + result.timeouts,
    perSecond: result['2xx'] / elapsed,
  };
}

/** Creates one customer in the emulator: every webhook of the mix concerns it (the worker reads it). */
async function benchCustomer(emulatorUrl: string, secretKey: string): Promise<string> {
  const res = await fetch(`${emulatorUrl}/v1/customers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'email=bench-leak%40example.com',
  });
  return ((await res.json()) as { id: string }).id;
}

export async function benchLeak({ tmp, quick }: { tmp: string; quick: boolean }): Promise<ScenarioResult> {
  const { buildIfNeeded } = await import('../build-if-needed');
  buildIfNeeded();
  process.env.SESSION_SECRET ??= crypto.randomBytes(24).toString('hex');
  const { resetEnvCache } = await import('~/lib/env.server');
  resetEnvCache();
  const idleMs = quick ? 3_000 : Number(process.env.BENCH_LEAK_SECONDS ?? 60) * 1000;
  const loadSeconds = quick ? 3 : Number(process.env.BENCH_LEAK_SECONDS ?? 60);
  console.log(
    `No leak: the app's RSS every ${SAMPLE_MS} ms through ${idleMs / 1000} s idle, ${loadSeconds} s of /login, /billing, webhooks and /api/v1 (${CONNECTIONS} connections), ${idleMs / 1000} s idle`,
  );
  const file = path.join(tmp, 'leak.sqlite');
  const seeded = await seed(file);
  const { startEmulator, EMULATOR_SECRET_KEY } = await import('../../emulator/src/index');
  const emulator = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const secret = `whsec_leak_${crypto.randomBytes(8).toString('hex')}`;
  const failures: string[] = [];
  try {
    const customer = await benchCustomer(emulator.url, EMULATOR_SECRET_KEY);
    const app = await startChild('app', {
      NODE_ENV: 'production',
      DATABASE_PATH: file,
      SESSION_SECRET: process.env.SESSION_SECRET,
      STRIPE_SECRET_KEY: EMULATOR_SECRET_KEY,
      STRIPE_API_BASE: emulator.url,
      STRIPE_WEBHOOK_SECRET: secret,
    });
    try {
      const s = { ...seeded, secret, customer };
      // Every request of the mix once, checked by eye, then a warm-up as long as the load: the first
      // load grows the process to its working size once (JIT code, V8's young generation, the
      // allocator's arenas, SQLite's cache); a leak grows again with every load, which is what the
      // figure compares (with a 10 s warm-up it read +70.9%, docs/performance.md).
      // BENCH_LEAK_WARMUP_SECONDS shortens it.
      const probes = await Promise.all([
        fetch(`http://127.0.0.1:${app.port}/login`).then((r) => r.status),
        fetch(`http://127.0.0.1:${app.port}/billing`, { headers: { cookie: s.cookie } }).then((r) => r.status),
        fetch(`http://127.0.0.1:${app.port}/api/v1/hello`, { headers: { authorization: `Bearer ${s.apiKey}` } }).then((r) => r.status),
      ]);
      if (probes.some((st) => st !== 200))
        failures.push(`leak: /login, /billing, /api/v1/hello answered ${probes.join(', ')} (expected 200s)`);
      const warm = await mix(app.port, quick ? 2 : Number(process.env.BENCH_LEAK_WARMUP_SECONDS ?? loadSeconds), s);
      const before = await sample(app, idleMs);
      // Forced only after the baseline is taken, so the idle-after-load figure below is not flattered.
      const heapBefore = await heapAfterGc(app);
      let loaded: MixResult | null = null;
      const during = await sample(
        app,
        mix(app.port, loadSeconds, s).then((r) => (loaded = r)),
      );
      const after = await sample(app, idleMs);
      const heapAfter = await heapAfterGc(app);
      const load = loaded as MixResult | null;
      const errors = warm.errors + (load?.errors ?? 0);
      if (errors) failures.push(`leak: ${errors} answers of the mix were not 2xx, or failed`);
      const growth = after.min / before.min - 1;
      console.log(
        `  idle after warm-up: lowest ${fmt(before.min / MiB, 1)} MiB · load: peak ${fmt(during.max / MiB, 1)} MiB, ${fmt(load?.requests ?? 0)} requests (${fmt(load?.perSecond ?? 0)}/s) · idle after load: lowest ${fmt(after.min / MiB, 1)} MiB (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%)`,
      );
      return {
        rows: [
          [
            `idle RSS after a ${loadSeconds} s load (MiB, lowest)`,
            fmt(after.min / MiB, 1),
            `${fmt(before.min / MiB, 1)} (idle after warm-up, lowest)`,
            ratio(after.min, before.min),
          ],
          ['RSS peak under the load (MiB)', fmt(during.max / MiB, 1), fmt(before.min / MiB, 1), ratio(during.max, before.min)],
        ],
        notes: [
          `leak: ${before.samples + during.samples + after.samples} RSS samples; the load served ${fmt(load?.requests ?? 0)} requests (/login, /billing, webhooks, /api/v1 in turn), ${errors} errors; aim: idle after load within +10% of the baseline (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%).`,
          `leak (diagnostic, after the figures): JS heap in use after a forced GC ${heapLine(heapBefore)} after warm-up, ${heapLine(heapAfter)} after the load.`,
        ],
        failures,
      };
    } finally {
      await app.stop();
    }
  } finally {
    await emulator.close();
  }
}
