/**
 * Webhook intake under autocannon (in-process, 64 connections): signed `customer.updated` events,
 * each with its own id, POSTed to
 *  - the app (built, served by scripts/server.ts as `npm start` does, its worker reading from an
 *    emulator while the load runs), and
 *  - the bare `node:http` + better-sqlite3 + HMAC handler (scripts/harness/children.ts),
 * alternating rounds, the median of each. autocannon drives both the same way, so the ratio is the
 * servers' and not the generator's; each round also prints the server's CPU time per 1,000 events
 * (from /proc: a figure a busy machine slows down less than events/s) and the share of a core the
 * generator used (well under 1: it is not the bottleneck, docs/performance.md).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import { startChild, type Child } from './children';

const CONNECTIONS = 64;

interface LoadResult {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, connection errors and timeouts. */
  errors: number;
  /** The server's CPU time (user + system) per 1,000 events: the figure contention cannot inflate. */
  serverCpuPer1000: number;
  /** The load generator's CPU time over the wall time of the load (1 = a whole core: the bottleneck). */
  generatorBusy: number;
}

interface IntakeResult {
  appRate: number;
  bareRate: number;
  appP99: number;
  bareP99: number;
  appP50: number;
  bareP50: number;
  errors: number;
  drainMs: number;
  backlog: { pending: number; failed: number };
}

interface Signed {
  body: string;
  signature: string;
}

/** One signed `customer.updated` event about `objectId`, as Stripe would send it at unix time `t`. */
export function signedCustomerUpdated(secret: string, id: string, objectId: string, t = Math.floor(Date.now() / 1000)): Signed {
  const body = JSON.stringify({
    id,
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
  });
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return { body, signature: `t=${t},v1=${v1}` };
}

function signedEvents(secret: string, n: number, prefix: string, objectId: string): Signed[] {
  const t = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) =>
    signedCustomerUpdated(secret, `evt_${prefix}_${i}_${crypto.randomBytes(4).toString('hex')}`, objectId, t),
  );
}

/** `events.length` signed POSTs to /webhooks/stripe, 64 connections, each event sent once. */
async function load(server: Child, events: Signed[], connections = CONNECTIONS): Promise<LoadResult> {
  let next = 0;
  const serverCpu = server.cpuMs();
  const generatorCpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    amount: events.length,
    timeout: 20,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/stripe',
        setupRequest: (req) => {
          const e = events[next++ % events.length]!;
          return { ...req, body: e.body, headers: { 'content-type': 'application/json', 'stripe-signature': e.signature } };
        },
      },
    ],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const generator = process.cpuUsage(generatorCpu);
  return {
    eventsPerSecond: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    serverCpuPer1000: ((server.cpuMs() - serverCpu) * 1000) / Math.max(1, result['2xx']),
    generatorBusy: (generator.user + generator.system) / 1e6 / seconds,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Both servers' environment for a webhook load (the app's worker reads the one customer from `emulatorUrl`). */
function appEnv(tmp: string, secret: string, emulatorUrl: string, secretKey: string, db = 'app.sqlite'): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_PATH: path.join(tmp, db),
    SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
    STRIPE_SECRET_KEY: secretKey,
    STRIPE_API_BASE: emulatorUrl,
    STRIPE_WEBHOOK_SECRET: secret,
  };
}

/** Polls the app's /healthz until the worker has processed what the load queued (or 60 s). */
async function drain(app: Child): Promise<{ ms: number; backlog: { pending: number; failed: number } }> {
  const healthz = async () =>
    (await (await fetch(`http://127.0.0.1:${app.port}/healthz`)).json()) as { webhookBacklog: { pending: number; failed: number } };
  const started = Date.now();
  const poll = async (): Promise<{ pending: number; failed: number }> => {
    const { webhookBacklog } = await healthz();
    if (webhookBacklog.pending === 0 || Date.now() - started > 60_000) return webhookBacklog;
    await new Promise((r) => setTimeout(r, 100));
    return poll();
  };
  const backlog = await poll();
  return { ms: Date.now() - started, backlog };
}

/** Creates one customer in the emulator: every bench event concerns it (one read per worker batch). */
async function benchCustomer(emulatorUrl: string, secretKey: string): Promise<string> {
  const res = await fetch(`${emulatorUrl}/v1/customers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'email=bench%40example.com',
  });
  return ((await res.json()) as { id: string }).id;
}

export async function benchIntake(opts: { tmp: string; requests: number; rounds: number }): Promise<IntakeResult> {
  const { buildIfNeeded } = await import('../build-if-needed');
  buildIfNeeded();
  const { startEmulator, EMULATOR_SECRET_KEY } = await import('../../emulator/src/index');
  const secret = `whsec_bench_${crypto.randomBytes(8).toString('hex')}`;
  const emulator = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const customer = await benchCustomer(emulator.url, EMULATOR_SECRET_KEY);
  const bare = await startChild('bare', { BENCH_SECRET: secret, BENCH_BARE_DB: path.join(opts.tmp, 'bare.sqlite') });
  const app = await startChild('app', appEnv(opts.tmp, secret, emulator.url, EMULATOR_SECRET_KEY));
  try {
    // Warm-up (JIT, SQLite page cache), not counted.
    const warm = Math.min(2_000, opts.requests);
    await load(bare, signedEvents(secret, warm, 'warm_bare', customer));
    await load(app, signedEvents(secret, warm, 'warm_app', customer));
    const rounds: { bare: LoadResult; app: LoadResult }[] = [];
    const round = async (r: number): Promise<void> => {
      if (r >= opts.rounds) return;
      const b = await load(bare, signedEvents(secret, opts.requests, `bare${r}`, customer));
      const a = await load(app, signedEvents(secret, opts.requests, `app${r}`, customer));
      rounds.push({ bare: b, app: a });
      const cpu = (l: LoadResult) =>
        `${Math.round(l.serverCpuPer1000)} ms CPU/1,000 (generator ${Math.round(l.generatorBusy * 100)}% of a core)`;
      console.log(
        `  round ${r + 1}: bare ${Math.round(b.eventsPerSecond)} ev/s p99 ${b.p99} ms ${cpu(b)} · app ${Math.round(a.eventsPerSecond)} ev/s p99 ${a.p99} ms ${cpu(a)}`,
      );
      return round(r + 1);
    };
    await round(0);
    const cpu = (pick: (r: { bare: LoadResult; app: LoadResult }) => number) => Math.round(median(rounds.map(pick)));
    console.log(
      `  server CPU per 1,000 events (median): app ${cpu((r) => r.app.serverCpuPer1000)} ms (its webhook worker included), bare ${cpu((r) => r.bare.serverCpuPer1000)} ms; autocannon at most ${cpu((r) => Math.max(r.app.generatorBusy, r.bare.generatorBusy) * 100)}% of a core`,
    );
    const drained = await drain(app);
    return {
      bareRate: median(rounds.map((r) => r.bare.eventsPerSecond)),
      appRate: median(rounds.map((r) => r.app.eventsPerSecond)),
      bareP99: median(rounds.map((r) => r.bare.p99)),
      appP99: median(rounds.map((r) => r.app.p99)),
      bareP50: median(rounds.map((r) => r.bare.p50)),
      appP50: median(rounds.map((r) => r.app.p50)),
      errors: rounds.reduce((n, r) => n + r.app.errors + r.bare.errors, 0),
      drainMs: drained.ms,
      backlog: drained.backlog,
    };
  } finally {
    await Promise.all([bare.stop(), app.stop()]);
    await emulator.close();
  }
}
