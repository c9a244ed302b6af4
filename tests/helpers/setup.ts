/**
 * Runs before every test file (vitest setupFiles):
 * - a per-worker SQLite file, migrated from drizzle/, so tests never share or touch data/;
 * - an unexpected console.error fails the test (call `allowConsoleError()` where one is expected).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';

const worker = process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '0';
const dir = path.resolve('tests/.artifacts');
fs.mkdirSync(dir, { recursive: true });
const dbFile = path.join(dir, `test-${worker}-${process.pid}.sqlite`);
for (const suffix of ['', '-wal', '-shm']) fs.rmSync(dbFile + suffix, { force: true });

process.env.NODE_ENV = 'test';
process.env.DATABASE_PATH = dbFile;
process.env.SESSION_SECRET = 'test-session-secret-0123456789abcdef0123456789';
process.env.APP_URL = 'http://localhost:3999';
delete process.env.STRIPE_SECRET_KEY;
delete process.env.STRIPE_API_BASE;

let allowed = false;
let errors: unknown[][] = [];

/** Marks console.error output as expected for the current test. */
export function allowConsoleError() {
  allowed = true;
}

beforeEach(() => {
  allowed = false;
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(args);
  });
});

afterEach(() => {
  vi.mocked(console.error).mockRestore?.();
  if (!allowed && errors.length > 0) {
    const first = errors[0]!.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ');
    throw new Error(`Unexpected console.error (${errors.length}×): ${first}`);
  }
});

afterAll(async () => {
  const { closeDb } = await import('~/db/client.server');
  closeDb();
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(dbFile + suffix, { force: true });
});
