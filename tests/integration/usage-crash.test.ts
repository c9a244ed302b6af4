/**
 * `kill -9` of the real portal (npm start's process, the emulator inside it) in the middle of a flood
 * of API calls, then a restart on the same files: every call that was answered 2xx is in the ledger,
 * and once the reporter has caught up Stripe's meter totals equal the ledger (reported exactly once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfNeeded } from '../../scripts/build-if-needed';
import { waitFor } from '../../scripts/harness/stripe-harness';
import { freePort } from '../helpers/ports';

let tmp: string;
let port: number;
let emulatorPort: number;
let child: ChildProcess | null = null;
let output = '';

function startPortal(): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: path.join(tmp, 'app.sqlite'),
      STRIPE_EMULATOR_PORT: String(emulatorPort),
      STRIPE_EMULATOR_DB: path.join(tmp, 'emulator.sqlite'),
      STRIPE_SECRET_KEY: '',
      STRIPE_PUBLISHABLE_KEY: '',
      STRIPE_API_BASE: '',
      STRIPE_WEBHOOK_SECRET: 'whsec_usagecrash0123456789',
      APP_URL: `http://127.0.0.1:${port}`,
      STRIPE_EMULATOR_PUBLIC_URL: `http://127.0.0.1:${emulatorPort}`,
      SESSION_SECRET: 'usage-crash-session-secret-0123456789abcdef',
      USAGE_REPORT_WINDOW_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  return proc;
}

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

const hello = (key: string, id: string) =>
  fetch(`http://127.0.0.1:${port}/api/v1/hello`, {
    headers: { Authorization: `Bearer ${key}`, 'Idempotency-Key': id },
    signal: AbortSignal.timeout(10_000),
  });

describe('usage after kill -9', () => {
  beforeAll(async () => {
    buildIfNeeded();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'usage-crash-'));
    [port, emulatorPort] = [await freePort(), await freePort()];
    child = startPortal();
    await waitFor(healthy, { timeoutMs: 90_000, intervalMs: 200, what: `the portal to start:\n${output}` });
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps every 2xx call and reports each exactly once', async () => {
    // A customer with an active Starter subscription and an API key, written where the portal reads them.
    const file = path.join(tmp, 'app.sqlite');
    const key = `bp_live_${crypto.randomBytes(24).toString('base64url')}`;
    const userId = 'usr_crash_1';
    const stripe = new Stripe('sk_test_emulator', { host: '127.0.0.1', port: emulatorPort, protocol: 'http', telemetry: false });
    const customer = await stripe.customers.create({ email: 'crash@example.com', metadata: { userId } });
    {
      const sqlite = new Database(file);
      sqlite.pragma('busy_timeout = 5000');
      sqlite
        .prepare(
          `INSERT INTO users (id, email, name, password_hash, stripe_customer_id, created_at) VALUES (?, 'crash@example.com', 'Crash Test', 'x', ?, ?)`,
        )
        .run(userId, customer.id, Date.now());
      sqlite
        .prepare(`INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES ('key_crash', ?, 'flood', ?, ?, ?)`)
        .run(userId, key.slice(0, 14), crypto.createHash('sha256').update(key).digest('hex'), Date.now());
      sqlite.close();
    }
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    // npm start answers /healthz before its stripe:setup is done.
    const price = await waitFor(async () => (await stripe.prices.list({ lookup_keys: ['starter_monthly'] })).data[0], {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'stripe:setup',
    });
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], metadata: { userId } });
    await waitFor(async () => (await hello(key, 'warmup')).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the subscription to reach the portal',
    });

    // The flood: 32 clients, each call with its own id; kill -9 once 300 have been answered.
    const answered2xx: string[] = [];
    let failures = 0;
    let stop = false;
    const clients = Array.from({ length: 32 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const id = `c${c}-${i}`;
        try {
          const res = await hello(key, id);
          await res.arrayBuffer();
          if (res.status >= 200 && res.status < 300) answered2xx.push(id);
        } catch {
          failures++;
          if (child?.exitCode !== null || child?.signalCode !== null) return;
        }
      }
    });
    await waitFor(() => answered2xx.length >= 300, { timeoutMs: 60_000, intervalMs: 10, what: '300 answered calls' });
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    stop = true;
    await Promise.all(clients);
    expect(child!.signalCode).toBe('SIGKILL');
    expect(answered2xx.length).toBeGreaterThanOrEqual(300);

    // Every 2xx call is in the ledger (in-flight calls that got no answer may or may not be).
    {
      const sqlite = new Database(file, { readonly: true });
      const recorded = new Set(
        (sqlite.prepare('SELECT idempotency_key AS k FROM usage_events WHERE user_id = ?').all(userId) as { k: string }[]).map((r) => r.k),
      );
      sqlite.close();
      const missing = answered2xx.filter((id) => !recorded.has(id));
      expect(missing).toEqual([]);
      expect(recorded.size).toBeLessThanOrEqual(answered2xx.length + 32 + 1); // + in flight at the kill, + warm-up
      console.info(
        `kill -9 flood: ${answered2xx.length} calls answered 2xx, ${recorded.size} in the ledger, ${failures} without an answer`,
      );
    }

    // Restart on the same files: the reporter sends what was left, exactly once.
    output = '';
    child = startPortal();
    await waitFor(healthy, { timeoutMs: 90_000, intervalMs: 200, what: `the portal to restart:\n${output}` });
    const meter = (await stripe.billing.meters.list({ status: 'active' })).data.find((m) => m.event_name === 'api_call')!;
    const ledger = () => {
      const sqlite = new Database(file, { readonly: true });
      const row = sqlite
        .prepare('SELECT count(*) AS n, sum(report_id IS NULL) AS unreported FROM usage_events WHERE user_id = ?')
        .get(userId) as { n: number; unreported: number };
      const pending = sqlite.prepare(`SELECT count(*) AS c FROM meter_reports WHERE status != 'sent'`).get() as { c: number };
      sqlite.close();
      return { ...row, pending: pending.c };
    };
    await waitFor(() => ledger().unreported === 0 && ledger().pending === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'the reporter to catch up',
    });
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { usageReporterLagSeconds: number };
    expect(health.usageReporterLagSeconds).toBe(0);
    const now = Math.floor(Date.now() / 1000);
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: now - 86_400,
      end_time: now + 3_600,
    });
    expect(summaries.data.reduce((s, d) => s + d.aggregated_value, 0)).toBe(ledger().n);
  }, 180_000);
});
