/**
 * Issue #16: the webhook worker logged `database is locked` while a maintenance command wrote from a
 * second connection. SQLite's busy timeout does not help a transaction that read first and then wants
 * to write while another connection holds the write lock (it fails at once, SQLITE_BUSY); the app's
 * connection therefore starts write transactions as BEGIN IMMEDIATE, which waits (busy_timeout) for
 * the lock instead (app/db/client.server.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '~/db/client.server';
import { clientAttempts, users } from '~/db/schema';
import { loadEvent, signatureFor } from '../helpers/stripe-events';
import { startPortal, type Portal } from './portal';

function maintenance(file: string, durationMs: number, holdMs: number, gapMs: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/security/fixtures/maintenance-writer.ts', file, String(durationMs), String(holdMs), String(gapMs)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`maintenance writer exited (${code}) before locking: ${out}`)));
  });
  const exited = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  return { locked, exited };
}

describe('a write transaction beside another connection’s write', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-lock-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('waits for the lock instead of failing with "database is locked" (read first, then write)', async () => {
    const file = path.join(dir, 'app.sqlite');
    const db = openDatabase(file);
    const writer = maintenance(file, 400, 400, 10);
    await writer.locked;
    const started = Date.now();
    // What the worker's claim does: read, then write, in one transaction.
    const n = db.transaction((tx) => {
      const before = tx.select({ n: count() }).from(users).get()!.n;
      tx.insert(clientAttempts).values({ kind: 'test', address: 'test', attemptedAt: new Date() }).run();
      return before;
    });
    expect(n).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await writer.exited).toMatch(/done \d+/);
    db.$client.close();
  });
});

describe('a maintenance command beside the running portal', () => {
  let portal: Portal;
  const secret = 'whsec_securitylocktest0123456789';
  beforeAll(async () => {
    portal = await startPortal({ STRIPE_WEBHOOK_SECRET: secret });
  });
  afterAll(async () => {
    await portal?.stop();
  });

  it('the worker and the routes never hit "database is locked" while it writes', async () => {
    const writer = maintenance(portal.dbPath, 5_000, 50, 50);
    await writer.locked;
    const statuses: number[] = [];
    let writing = true;
    const done = writer.exited.then((out) => {
      writing = false;
      return out;
    });
    let i = 0;
    while (writing) {
      const event = loadEvent('invoice.paid');
      event.id = `evt_lock_${Date.now()}_${i++}`;
      const payload = JSON.stringify(event);
      const res = await fetch(`${portal.url}/webhooks/stripe`, {
        method: 'POST',
        body: payload,
        headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signatureFor(payload, secret) },
      });
      statuses.push(res.status);
      const login = await fetch(`${portal.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: portal.url },
        body: new URLSearchParams({ email: `lock-${i}@example.com`, password: 'wrong-password' }),
      });
      statuses.push(login.status);
    }
    expect(await done).toMatch(/done \d+/);
    // give the worker time to go through what arrived
    await new Promise((r) => setTimeout(r, 2_000));
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(i, 'requests sent while the command wrote').toBeGreaterThanOrEqual(1);
    expect(portal.output()).not.toMatch(/database is locked|SQLITE_BUSY/);
  });
});
