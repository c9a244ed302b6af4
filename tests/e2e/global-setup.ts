/**
 * Builds the app and starts it exactly as `npm start` does (emulator included) on free ports with
 * throwaway databases, then hands the URLs to the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildIfNeeded } from '../../scripts/build-if-needed';
import { freePort } from '../helpers/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
    emulatorUrl: string;
    altAppUrl: string;
    /** The portal's SQLite file (read-only checks, e.g. the outbox). */
    appDatabasePath: string;
  }
}

async function waitFor(url: string, child: ChildProcess, log: () => string, timeoutMs = 60_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`app exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`app did not answer ${url} in ${timeoutMs} ms:\n${log()}`);
}

/**
 * `E2E_START_AT=2027-02-28T12:00:00Z` moves the emulator's clock to that moment before any test runs
 * (scripts/test-e2e-dates.ts runs the billing flows on awkward days). The app follows the emulator's
 * clock once a second (app/lib/clock-follow.server.ts); the trial test then checks the app's own
 * "days left" against the emulator's clock, so a clock that did not follow fails loudly.
 */
async function startClockAt(iso: string | undefined, emulatorUrl: string) {
  if (!iso) return;
  const to = Math.floor(Date.parse(iso) / 1000);
  if (!Number.isFinite(to)) throw new Error(`E2E_START_AT is not a date: ${iso}`);
  const res = await fetch(`${emulatorUrl}/_emulator/clock/advance`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ to }),
  });
  if (!res.ok) throw new Error(`could not move the emulator's clock to ${iso}: ${res.status} ${await res.text()}`);
  console.log(`e2e: the emulator's clock starts at ${new Date(to * 1000).toISOString()}`);
  await new Promise((r) => setTimeout(r, 3000)); // three ticks of the app's clock follower
}

let child: ChildProcess | null = null;
let tmp: string | null = null;

export default async function setup(project: TestProject) {
  buildIfNeeded();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-e2e-'));
  const [port, emulatorPort] = [await freePort(), await freePort()];
  let output = '';
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
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
      STRIPE_WEBHOOK_SECRET: '',
      STRIPE_API_BASE: '',
      APP_URL: `http://localhost:${port}`,
      STRIPE_EMULATOR_PUBLIC_URL: `http://localhost:${emulatorPort}`,
      SESSION_SECRET: 'e2e-session-secret-0123456789abcdef0123456789',
      // The operator account of tests/e2e/admin.e2e.test.ts (any case matches).
      ADMIN_EMAILS: 'E2E-Ops@example.com',
      // Usage reaches Stripe within seconds, so the usage flow can bill it without a minute's wait.
      USAGE_REPORT_WINDOW_SECONDS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitFor(`http://127.0.0.1:${port}/healthz`, child, () => output);
  await startClockAt(process.env.E2E_START_AT, `http://127.0.0.1:${emulatorPort}`);
  project.provide('appUrl', `http://localhost:${port}`);
  // The same app under another origin, for cross-site (CSRF) checks.
  project.provide('altAppUrl', `http://127.0.0.1:${port}`);
  project.provide('emulatorUrl', `http://127.0.0.1:${emulatorPort}`);
  project.provide('appDatabasePath', path.join(tmp, 'app.sqlite'));

  return async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    // The server's own output, for when a browser test fails (CI keeps the workspace).
    fs.mkdirSync('tests/.artifacts', { recursive: true });
    fs.writeFileSync('tests/.artifacts/e2e-server.log', output);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  };
}
