// Over 500 lines: the billing-page scenario whole (its Stripe-shaped seed, the loads, the in-process loader and page timings).
/**
 * `npm run bench`'s billing-page figure (issue #17, "The billing page"): one signed-in customer with
 * 24 invoices, a card, a pending plan change (a schedule's next phase) and 90 days of usage, written
 * into the mirror by the mirror's own writer (`writeSnapshot`, as if read from Stripe) and the usage
 * rollup table. Then, with autocannon (32 connections, bounded, 127.0.0.1 only):
 *  - `GET /billing` of the built app (served by scripts/server.ts as `npm start` does),
 *  - `GET /login` of the same server (the same shell, no data), and
 *  - a bare `node:http` handler answering the loader's data as JSON (computed once in that child by
 *    the route's own loader, serialised per request): what the page costs beyond its data;
 * and the `/billing` loader's own time, called in-process. In `--quick` only correctness is checked
 * (every answer 200, the page names the customer's plan), never timings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import type { ServerBuild } from '@remix-run/node';
import type Stripe from 'stripe';
import { startChild } from './children';
import { fmt, ratio, type BenchRow, type ScenarioResult } from './table';

const CONNECTIONS = 32;
const DAY = 86_400;

interface Load {
  perSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, connection errors and timeouts. */
  errors: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The route's data, the way Remix hands it over (`data()` wraps it with its response init). */
function payloadOf(result: unknown): Record<string, unknown> {
  const r = result as { type?: string; data?: Record<string, unknown> };
  return r?.type === 'DataWithResponseInit' ? r.data! : (result as Record<string, unknown>);
}

/** `GET path` with the cookie, bounded by `amount` requests or `seconds`, whichever the caller gives. */
async function load(port: number, pathName: string, cookie: string, bound: { amount?: number; seconds?: number }): Promise<Load> {
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${pathName}`,
    connections: CONNECTIONS,
    ...(bound.amount ? { amount: bound.amount } : { duration: bound.seconds ?? 5 }),
    timeout: 20,
    headers: { cookie, accept: 'text/html' },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    perSecond: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

function stripeTimes(now: number) {
  const periodStart = now - 10 * DAY;
  return { periodStart, periodEnd: periodStart + 30 * DAY, created: now - 24 * 30 * DAY - DAY };
}

function price(id: string, lookupKey: string, unitAmount: number, created: number): Stripe.Price {
  return {
    id,
    object: 'price',
    active: true,
    currency: 'usd',
    lookup_key: lookupKey,
    product: `prod_bench_${lookupKey.split('_')[0]}`,
    type: 'recurring',
    unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
    recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed', meter: null },
    billing_scheme: 'per_unit',
    created,
    livemode: false,
    metadata: {},
  } as unknown as Stripe.Price;
}

function product(key: string, name: string, created: number): Stripe.Product {
  return {
    id: `prod_bench_${key}`,
    object: 'product',
    name,
    description: null,
    active: true,
    metadata: {},
    created,
  } as unknown as Stripe.Product;
}

function invoice(customer: string, subscription: string, i: number, start: number): Stripe.Invoice {
  const id = `in_benchbill${String(i).padStart(4, '0')}`;
  const end = start + 30 * DAY;
  return {
    id,
    object: 'invoice',
    customer,
    parent: { type: 'subscription_details', subscription_details: { subscription, metadata: {} }, quote_details: null },
    status: 'paid',
    number: `BENCHB-${String(i + 1).padStart(4, '0')}`,
    currency: 'usd',
    amount_due: 4900,
    amount_paid: 4900,
    amount_remaining: 0,
    subtotal: 4900,
    total: 4900,
    billing_reason: i === 0 ? 'subscription_create' : 'subscription_cycle',
    collection_method: 'charge_automatically',
    attempt_count: 1,
    next_payment_attempt: null,
    due_date: null,
    created: start,
    period_start: start,
    period_end: end,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_bench/${id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_bench/${id}/pdf`,
    status_transitions: { finalized_at: start, paid_at: start + 60, marked_uncollectible_at: null, voided_at: null },
    metadata: {},
    starting_balance: 0,
    ending_balance: 0,
    total_discount_amounts: [],
    total_taxes: [],
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    lines: {
      object: 'list',
      has_more: false,
      url: `/v1/invoices/${id}/lines`,
      data: [
        {
          id: `il_${id}`,
          amount: 4900,
          currency: 'usd',
          description: '1 × Pro (at $49.00 / month)',
          quantity: 1,
          period: { start, end },
          pricing: {
            type: 'price_details',
            price_details: { price: 'price_bench_pro_monthly', product: 'prod_bench_pro' },
            unit_amount_decimal: '4900',
          },
          parent: {
            type: 'subscription_item_details',
            subscription_item_details: { subscription, subscription_item: 'si_benchbill', proration: false },
            invoice_item_details: null,
          },
        },
      ],
    },
  } as unknown as Stripe.Invoice;
}

/**
 * A migrated database file with the customer: Pro monthly, a schedule moving to Starter at the period
 * end, a Visa on file, 24 paid monthly invoices, 90 days of API usage through two keys. Returns the
 * user's id and a session cookie made the way login makes one (createUserSession).
 */
async function seed(file: string): Promise<{ cookie: string; userId: string }> {
  const { openDatabase, setDb, closeDb, db } = await import('~/db/client.server');
  closeDb();
  setDb(openDatabase(file));
  const { createUser } = await import('~/auth/users.server');
  const { createUserSession } = await import('~/auth/session.server');
  const { writeSnapshot } = await import('~/billing/sync.server');
  const { users } = await import('~/db/schema');
  const { eq } = await import('drizzle-orm');
  const user = await createUser({ name: 'Bench Billing', email: 'bench-billing@example.com', password: 'bench-password-1' });
  const customer = 'cus_benchbilling';
  const subscription = 'sub_benchbilling';
  db().update(users).set({ stripeCustomerId: customer }).where(eq(users.id, user.id)).run();
  const now = Math.floor(Date.now() / 1000);
  const t = stripeTimes(now);
  const pro = price('price_bench_pro_monthly', 'pro_monthly', 4900, t.created);
  const starter = price('price_bench_starter_monthly', 'starter_monthly', 1200, t.created);
  const card: Stripe.PaymentMethod = {
    id: 'pm_benchbilling',
    object: 'payment_method',
    type: 'card',
    customer,
    created: t.created,
    card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, fingerprint: 'fpBenchBilling' },
    billing_details: { address: null, email: null, name: 'Bench Billing', phone: null },
    livemode: false,
    metadata: {},
  } as unknown as Stripe.PaymentMethod;
  const sub = {
    id: subscription,
    object: 'subscription',
    customer,
    status: 'active',
    currency: 'usd',
    collection_method: 'charge_automatically',
    cancel_at_period_end: false,
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    pause_collection: null,
    trial_start: null,
    trial_end: null,
    default_payment_method: card.id,
    latest_invoice: 'in_benchbill0023',
    created: t.created,
    metadata: {},
    items: {
      object: 'list',
      has_more: false,
      url: '/v1/subscription_items',
      data: [
        {
          id: 'si_benchbilling',
          object: 'subscription_item',
          price: pro,
          quantity: 1,
          created: t.created,
          current_period_start: t.periodStart,
          current_period_end: t.periodEnd,
        },
      ],
    },
    // The pending change: the schedule's next phase moves to Starter when this period ends.
    schedule: {
      id: 'sub_sched_benchbilling',
      object: 'subscription_schedule',
      status: 'active',
      current_phase: { start_date: t.periodStart, end_date: t.periodEnd },
      phases: [
        { start_date: t.periodStart, end_date: t.periodEnd, items: [{ price: pro.id, quantity: 1 }] },
        { start_date: t.periodEnd, end_date: null, items: [{ price: starter.id, quantity: 1 }] },
      ],
    },
  } as unknown as Stripe.Subscription;
  const fetchedAt = new Date();
  const invoiceStart = t.periodStart - 23 * 30 * DAY;
  db().transaction((tx) => {
    writeSnapshot(tx, { kind: 'product', id: 'prod_bench_pro', object: product('pro', 'Pro', t.created) }, fetchedAt);
    writeSnapshot(tx, { kind: 'product', id: 'prod_bench_starter', object: product('starter', 'Starter', t.created) }, fetchedAt);
    [pro, starter].forEach((p) => writeSnapshot(tx, { kind: 'price', id: p.id, object: p }, fetchedAt));
    writeSnapshot(
      tx,
      {
        kind: 'customer',
        id: customer,
        object: {
          id: customer,
          object: 'customer',
          email: 'bench-billing@example.com',
          name: 'Bench Billing',
          balance: 0,
          currency: 'usd',
          created: t.created,
          invoice_settings: { default_payment_method: card.id, custom_fields: null, footer: null, rendering_options: null },
          metadata: { user_id: user.id },
          address: null,
          tax_ids: { object: 'list', data: [], has_more: false, url: '' },
        } as unknown as Stripe.Customer,
      },
      fetchedAt,
    );
    writeSnapshot(tx, { kind: 'payment_method', id: card.id, object: card }, fetchedAt);
    writeSnapshot(tx, { kind: 'subscription', id: subscription, object: sub }, fetchedAt);
    Array.from({ length: 24 }, (_, i) => invoice(customer, subscription, i, invoiceStart + i * 30 * DAY)).forEach((inv) =>
      writeSnapshot(tx, { kind: 'invoice', id: inv.id, object: inv }, fetchedAt),
    );
  });
  // 90 days of usage through two API keys, in the daily rollup the ledger keeps (app/db/schema/usage.ts).
  const sqlite = db().$client;
  const keys = ['key_benchbilling_a', 'key_benchbilling_b'];
  keys.forEach((k, i) =>
    sqlite
      .prepare(`INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(k, user.id, `bench ${i}`, `bp_live_${i}bench`, crypto.randomBytes(32).toString('hex'), Date.now() - 91 * DAY * 1000),
  );
  const daily = sqlite.prepare(`INSERT INTO usage_daily (user_id, meter, day, api_key_id, calls) VALUES (?, 'api_call', ?, ?, ?)`);
  sqlite.transaction(() =>
    Array.from({ length: 90 }, (_, d) => new Date(Date.now() - (89 - d) * DAY * 1000).toISOString().slice(0, 10)).forEach((day, d) => {
      daily.run(user.id, day, keys[0], 300 + ((d * 37) % 200));
      daily.run(user.id, day, keys[1], 40 + ((d * 13) % 60));
    }),
  )();
  const cookie = (await createUserSession(user.id, '/billing')).headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, userId: user.id };
}

/** Child process entry (`scripts/bench.ts --child billing-json`): the loader's data once, JSON per request. */
export async function runBillingJsonChild(): Promise<void> {
  const { loader } = await import('~/routes/billing._index');
  const request = new Request('http://localhost/billing', { headers: { Cookie: process.env.BENCH_COOKIE! } });
  const payload = payloadOf(await loader({ request, params: {}, context: {} }));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

/** Starts `scripts/bench.ts --child billing-json` and resolves with its port once it listens. */
function startJsonChild(env: Record<string, string>): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--child', 'billing-json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"port"'));
      if (!line) return;
      buffer = '';
      resolve({
        port: (JSON.parse(line) as { port: number }).port,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`billing-json server exited (${code})`)));
  });
}

/**
 * Whole requests through the built app's handler in-process (no HTTP, no workers started): p50 of
 * `GET /billing` (with the cookie) and `GET /login`, alternating, after 20 warm-up runs of each.
 */
interface PageTime {
  wall: number;
  cpu: number;
}
async function timePagesInProcess(file: string, cookie: string, runs: number): Promise<{ billing: PageTime; login: PageTime }> {
  process.env.DATABASE_PATH = file;
  const { createRequestHandler } = await import('@remix-run/node');
  const build = (await import(pathToFileURL(path.resolve('build/index.js')).href)) as ServerBuild;
  const handle = createRequestHandler(build, 'production');
  const time = async (pathName: string, headers: Record<string, string>) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const response = await handle(new Request(`http://localhost${pathName}`, { headers }), {
      cspNonce: 'bench',
      clientAddress: '127.0.0.1',
    });
    await response.text();
    if (response.status !== 200) throw new Error(`in-process GET ${pathName} answered ${response.status}`);
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  };
  const billing: { wall: number; cpu: number }[] = [];
  const login: { wall: number; cpu: number }[] = [];
  await Array.from({ length: runs + 20 }).reduce<Promise<void>>(
    (chain, _, r) =>
      chain.then(async () => {
        const b = await time('/billing', { cookie, accept: 'text/html' });
        const l = await time('/login', { accept: 'text/html' });
        if (r >= 20) billing.push(b);
        if (r >= 20) login.push(l);
      }),
    Promise.resolve(),
  );
  const p50 = (xs: { wall: number; cpu: number }[]) => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
  return { billing: p50(billing), login: p50(login) };
}

export async function billingPageBench({ tmp, quick }: { tmp: string; quick: boolean }): Promise<ScenarioResult> {
  // BENCH_BILLING_LOADER_ONLY=1: the in-process loader timing alone (no build, no servers, no loads);
  // =page also times whole requests (every loader and the render) through the built app, in-process.
  const loaderOnly = !!process.env.BENCH_BILLING_LOADER_ONLY;
  const pagesInProcess = process.env.BENCH_BILLING_LOADER_ONLY === 'page';
  // Before React is first imported (by the route's module): its production build, as `npm start` serves.
  if (pagesInProcess) process.env.NODE_ENV = 'production';
  if (!loaderOnly || pagesInProcess) {
    const { buildIfNeeded } = await import('../build-if-needed');
    buildIfNeeded();
  }
  process.env.SESSION_SECRET ??= crypto.randomBytes(24).toString('hex');
  const file = path.join(tmp, 'billing-page.sqlite');
  const { cookie, userId } = await seed(file);
  const rounds = quick ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = Number(process.env.BENCH_BILLING_SECONDS ?? 5);
  const loaderRuns = quick ? 20 : 300;
  console.log(
    `Billing page: GET /billing (24 invoices, a card, a pending change, 90 days of usage) vs GET /login vs bare JSON, autocannon, ${CONNECTIONS} connections, ${quick ? '200 requests' : `${rounds} × ${seconds} s`} each`,
  );

  // The loader in-process: the same request the page gets (the first runs warm caches and the JIT).
  const { loader } = await import('~/routes/billing._index');
  const request = () => new Request('http://localhost/billing', { headers: { Cookie: cookie } });
  const times: number[] = [];
  // CPU time of the process per call: on a busy machine the wall time measures the contention too.
  const cpuTimes: number[] = [];
  let data: Record<string, unknown> = {};
  await Array.from({ length: loaderRuns + 20 }).reduce<Promise<void>>(
    (chain, _, r) =>
      chain.then(async () => {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        data = payloadOf(await loader({ request: request(), params: {}, context: {} }));
        if (r >= 20) {
          times.push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpuTimes.push((c.user + c.system) / 1000);
        }
      }),
    Promise.resolve(),
  );
  const overview = data.overview as {
    subscription: { planName: string; pendingChange: unknown } | null;
    invoices: unknown[];
    paymentMethod: unknown;
  };
  const planName = overview.subscription?.planName ?? '';
  const jsonBytes = Buffer.byteLength(JSON.stringify(data));
  if (loaderOnly) {
    const pages = pagesInProcess ? await timePagesInProcess(file, cookie, loaderRuns) : null;
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return {
      rows: [
        ['billing loader p50 (ms, in-process)', fmt(median(times), 2), '2.00 (the aim)', ratio(median(times), 2)],
        ...(pages
          ? ([
              [
                'GET /billing p50 (ms, in-process, no HTTP)',
                fmt(pages.billing.wall, 2),
                `${fmt(pages.login.wall, 2)} (GET /login)`,
                ratio(pages.billing.wall, pages.login.wall),
              ],
            ] as BenchRow[])
          : []),
      ],
      notes: [
        `billing loader alone (BENCH_BILLING_LOADER_ONLY): ${times.length} runs, p10 ${fmt(at(0.1), 2)} ms, p90 ${fmt(at(0.9), 2)} ms, max ${fmt(at(1), 2)} ms; CPU time p50 ${fmt(median(cpuTimes), 2)} ms${pages ? `; whole requests in-process, CPU time p50: /billing ${fmt(pages.billing.cpu, 2)} ms, /login ${fmt(pages.login.cpu, 2)} ms` : ''}; plan ${planName || 'none'}, ${overview.invoices.length} invoices on the overview, ${fmt(jsonBytes / 1024, 1)} KiB of JSON.`,
      ],
      failures: planName ? [] : ['billing page: the loader data names no plan'],
    };
  }

  const { startEmulator, EMULATOR_SECRET_KEY } = await import('../../emulator/src/index');
  const emulator = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const env = {
    NODE_ENV: 'production',
    DATABASE_PATH: file,
    SESSION_SECRET: process.env.SESSION_SECRET,
    STRIPE_SECRET_KEY: EMULATOR_SECRET_KEY,
    STRIPE_API_BASE: emulator.url,
  };
  const servers: { stop: () => Promise<void> }[] = [];
  const failures: string[] = [];
  try {
    const app = await startChild('app', env);
    servers.push(app);
    const bare = await startJsonChild({ ...env, BENCH_COOKIE: cookie });
    servers.push(bare);
    // One page checked by eye: 200, and it names the plan the customer is on.
    const page = await fetch(`http://127.0.0.1:${app.port}/billing`, { headers: { cookie } });
    const html = await page.text();
    if (page.status !== 200) failures.push(`billing page: GET /billing answered ${page.status}`);
    if (!planName || !html.includes(`data-testid="plan-name">${planName}<`))
      failures.push(`billing page: the page does not name the plan (${planName || 'none in the loader data'})`);
    if (!overview.subscription?.pendingChange || !overview.paymentMethod)
      failures.push('billing page: the seeded pending change or card is missing from the loader data');
    const pageBytes = Buffer.byteLength(html);

    const bound = quick ? { amount: 200 } : { seconds };
    if (!quick) {
      // Warm-up (JIT, SQLite page cache), not counted.
      await load(app.port, '/billing', cookie, { amount: 500 });
      await load(app.port, '/login', '', { amount: 500 });
      await load(bare.port, '/billing.json', cookie, { amount: 500 });
    }
    const results: { billing: Load; login: Load; json: Load }[] = [];
    await Array.from({ length: rounds }).reduce<Promise<void>>(
      (chain, _, r) =>
        chain.then(async () => {
          // Alternating, so load from elsewhere on the machine hits all three alike.
          const billing = await load(app.port, '/billing', cookie, bound);
          const login = await load(app.port, '/login', '', bound);
          const json = await load(bare.port, '/billing.json', cookie, bound);
          results.push({ billing, login, json });
          console.log(
            `  round ${r + 1}: /billing ${fmt(billing.perSecond)}/s p99 ${billing.p99} ms · /login ${fmt(login.perSecond)}/s p99 ${login.p99} ms · bare JSON ${fmt(json.perSecond)}/s p99 ${json.p99} ms`,
          );
        }),
      Promise.resolve(),
    );
    const errors = results.reduce((n, r) => n + r.billing.errors + r.login.errors + r.json.errors, 0);
    if (errors) failures.push(`billing page: ${errors} non-200 answers or connection errors`);
    const m = (pick: (r: { billing: Load; login: Load; json: Load }) => number) => median(results.map(pick));
    const b = { rate: m((r) => r.billing.perSecond), p50: m((r) => r.billing.p50), p99: m((r) => r.billing.p99) };
    const l = { rate: m((r) => r.login.perSecond), p50: m((r) => r.login.p50), p99: m((r) => r.login.p99) };
    const j = { rate: m((r) => r.json.perSecond), p50: m((r) => r.json.p50), p99: m((r) => r.json.p99) };
    const loaderP50 = median(times);
    return {
      rows: [
        [
          `billing page (pages/s, ${CONNECTIONS} connections)`,
          fmt(b.rate),
          `${fmt(l.rate)} (GET /login, same server)`,
          ratio(b.rate, l.rate),
        ],
        ['billing page vs its data as JSON (req/s)', fmt(b.rate), `${fmt(j.rate)} (bare node:http, loader data)`, ratio(b.rate, j.rate, 3)],
        ['billing page p99 (ms)', fmt(b.p99, 1), `${fmt(l.p99, 1)} (GET /login)`, ratio(b.p99, l.p99)],
        ['billing loader p50 (ms, in-process)', fmt(loaderP50, 2), '2.00 (the aim)', ratio(loaderP50, 2)],
      ],
      notes: [
        `billing page: p50 /billing ${fmt(b.p50, 1)} ms, /login ${fmt(l.p50, 1)} ms, bare JSON ${fmt(j.p50, 1)} ms; p99 bare JSON ${fmt(j.p99, 1)} ms; ${errors} errors. Page ${fmt(pageBytes / 1024, 1)} KiB of HTML, loader data ${fmt(jsonBytes / 1024, 1)} KiB of JSON (${overview.invoices.length} invoices on the overview); loader p50 over ${times.length} runs (user ${userId}).`,
      ],
      failures,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await emulator.close();
  }
}
