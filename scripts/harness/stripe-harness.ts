/**
 * An emulator over HTTP + the app's webhook intake (the server's node-level route, the same one
 * `npm start` serves) + a webhook worker with fast backoff, on 127.0.0.1 random ports. Used by
 * `npm run bench` and the integration tests (tests import from scripts/, never the reverse).
 */
import http from 'node:http';
import type Stripe from 'stripe';
import { EMULATOR_SECRET_KEY, startEmulator } from '../../emulator/src/index';
import { resetEnvCache } from '~/lib/env.server';
import { serverHooks } from '~/server-hooks.server';
import { createStripeClient, setStripeClient } from '~/stripe/client.server';
import { setWebhookWorker, WebhookWorker, type WorkerOptions } from '~/webhooks/worker.server';

export interface Harness {
  stripe: Stripe;
  emulatorUrl: string;
  appUrl: string;
  secret: string;
  worker: WebhookWorker;
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** API requests the emulator logged since `mark()` (GETs = reads). */
  mark(): Promise<string | null>;
  requestsSince(mark: string | null): Promise<{ id: string; method: string; path: string; status: number }[]>;
  newWorker(opts?: Partial<WorkerOptions>): WebhookWorker;
  close(): Promise<void>;
}

const FAST_WORKER: Partial<WorkerOptions> = { pollMs: 50, coalesceMs: 5, backoffMs: () => 100, maxAttempts: 8 };

export async function startHarness(
  opts: {
    worker?: Partial<WorkerOptions> | false;
    /** Run the emulator in a process of its own (load tests: Stripe on the other core). */
    emulatorProcess?: boolean;
  } = {},
): Promise<Harness> {
  const secret = `whsec_harness_${Math.random().toString(36).slice(2)}`;
  const route = serverHooks.fastRoutes['/webhooks/stripe']!;
  const app = http.createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] === '/webhooks/stripe') return void route(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const appPort = (app.address() as { port: number }).port;
  const webhookUrl = `http://127.0.0.1:${appPort}/webhooks/stripe`;
  const emulator = opts.emulatorProcess
    ? await emulatorChild(webhookUrl, secret)
    : await startEmulator({
        port: 0,
        dbPath: ':memory:',
        webhookUrl,
        webhookSecret: secret,
        webhookRetrySchedule: [200, 500, 1000, 2000],
        quiet: true,
      });
  process.env.STRIPE_SECRET_KEY = EMULATOR_SECRET_KEY;
  process.env.STRIPE_API_BASE = emulator.url;
  process.env.STRIPE_WEBHOOK_SECRET = secret;
  resetEnvCache();
  const client = createStripeClient({ secretKey: EMULATOR_SECRET_KEY, apiBase: emulator.url });
  setStripeClient(client);

  // node:http, not fetch: a bulk control call (10,000 renewals on a busy machine) can take longer than
  // fetch's 300 s wait for response headers.
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const text = body ? JSON.stringify(body) : undefined;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${emulator.url}/_emulator${path}`, {
        method,
        headers: text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : undefined,
      });
      req.on('response', (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        r.on('error', reject);
      });
      req.on('error', reject);
      req.end(text);
    });
    const json = JSON.parse(res.body) as T;
    if (res.status < 200 || res.status >= 300) throw new Error(`control ${method} ${path}: ${res.status} ${res.body}`);
    return json;
  };

  let worker = new WebhookWorker({ ...FAST_WORKER, ...(opts.worker || {}) });
  setWebhookWorker(worker);
  if (opts.worker !== false) worker.start();

  const harness: Harness = {
    stripe: client,
    emulatorUrl: emulator.url,
    appUrl: `http://127.0.0.1:${appPort}`,
    secret,
    get worker() {
      return worker;
    },
    control,
    async mark() {
      const { data } = await control<{ data: { id: string }[] }>('GET', '/requests');
      return data.at(-1)?.id ?? null;
    },
    async requestsSince(mark) {
      const { data } = await control<{ data: { id: string; method: string; path: string; status: number }[] }>(
        'GET',
        `/requests${mark ? `?since=${mark}` : ''}`,
      );
      return data;
    },
    newWorker(o = {}) {
      worker = new WebhookWorker({ ...FAST_WORKER, ...o });
      setWebhookWorker(worker);
      return worker;
    },
    async close() {
      await worker.stop();
      await emulator.close();
      await new Promise<void>((r) => app.close(() => r()));
      app.closeAllConnections();
      setStripeClient(null);
      setWebhookWorker(null);
      for (const k of ['STRIPE_SECRET_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET']) delete process.env[k];
      resetEnvCache();
    },
  };
  return harness;
}

async function emulatorChild(webhookUrl: string, secret: string): Promise<{ url: string; close(): Promise<void> }> {
  const { startChild } = await import('./children');
  const child = await startChild('emulator', { BENCH_WEBHOOK_URL: webhookUrl, BENCH_SECRET: secret });
  return { url: `http://127.0.0.1:${child.port}`, close: () => child.stop() };
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 25, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
