/**
 * Contract-test harness. Against real Stripe test mode when STRIPE_TEST_SECRET_KEY is set,
 * otherwise against an in-process emulator (port 0, ':memory:'). Against the emulator, every
 * response body and webhook delivery is checked against the SDK's schema (conformance/, see
 * docs/emulator.md "Conformance") and each file ends by asserting zero violations.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type EmulatorOptions } from '../src/index';
import { conformanceHttpClient, conformanceReport, recordWebhook } from './conformance/collector';
import { loadSchema } from './conformance/generate';

type StartedEmulator = Awaited<ReturnType<typeof startEmulator>>;

export interface Contract {
  /** true when running against api.stripe.com */
  readonly real: boolean;
  stripe: Stripe;
  /** a publishable-key client (emulator only) */
  pk: Stripe;
  emu: StartedEmulator;
  url: string;
  /** Raw call to the control API (`/_emulator` + path). */
  control<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** `it` that is skipped against real Stripe (control API, local webhooks, internals). */
  emulatorOnly: typeof it;
}

const realKey = process.env.STRIPE_TEST_SECRET_KEY;
let announced = false;

export function sdk(key: string, port?: number): Stripe {
  if (realKey && key === realKey) return new Stripe(key, { telemetry: false, maxNetworkRetries: 0 });
  return new Stripe(key, {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
    httpClient: conformanceHttpClient(),
  });
}

export function setupContract(opts: EmulatorOptions = {}): Contract {
  const t = {
    real: !!realKey,
    emulatorOnly: (realKey ? it.skip : it) as typeof it,
  } as Contract;
  beforeAll(async () => {
    if (realKey) {
      t.stripe = sdk(realKey);
      return;
    }
    loadSchema(); // generated from the SDK's declarations once per machine (~10 s), then read from a cache
    if (!announced) {
      announced = true;
      console.info('STRIPE_TEST_SECRET_KEY not set: running the contract suite against the in-process emulator.');
    }
    t.emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true, webhookRetrySchedule: [50, 100, 200], ...opts });
    t.url = t.emu.url;
    t.stripe = sdk('sk_test_contract_0000', t.emu.port);
    t.pk = sdk('pk_test_contract_0000', t.emu.port);
    t.control = async (method, path, body) => {
      const res = await fetch(`${t.url}/_emulator${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
  }, 120_000);
  afterAll(async () => {
    await t.emu?.close();
    if (realKey) return;
    // the conformance assertion: nothing this file received deviates from the SDK's schema
    const report = conformanceReport();
    expect(
      report.violations,
      `schema violations in ${report.checked} bodies (${report.otherVersion} in older API versions not checked)`,
    ).toEqual([]);
  });
  return t;
}

/** A local HTTP server recording webhook deliveries; `failFirst` answers 500 to the first n. */
export async function webhookSink(opts: { failFirst?: number } = {}) {
  const received: { body: string; signature: string }[] = [];
  let failures = opts.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('nope');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (!realKey) recordWebhook(JSON.parse(body));
      received.push({ body, signature: String(req.headers['stripe-signature'] ?? '') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function uniq(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Advance a test clock and wait until it is ready (real Stripe advances asynchronously). */
export async function advanceTestClock(stripe: Stripe, id: string, frozen_time: number): Promise<void> {
  await stripe.testHelpers.testClocks.advance(id, { frozen_time });
  const deadline = Date.now() + 120_000;
  while ((await stripe.testHelpers.testClocks.retrieve(id)).status !== 'ready') {
    if (Date.now() > deadline) throw new Error('test clock did not become ready');
    await new Promise((r) => setTimeout(r, 1000));
  }
}
