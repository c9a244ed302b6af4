/**
 * The built portal for the security tests, started exactly as `npm start` runs it (scripts/start.ts,
 * emulator included) on free ports with a throwaway database; plus raw HTTP for requests `fetch`
 * refuses to send (bad Host, TRACE, chunked bodies).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
export { freePort } from '../helpers/ports';
import { freePort } from '../helpers/ports';

export interface Portal {
  url: string;
  port: number;
  emulatorUrl: string;
  dbPath: string;
  dir: string;
  output(): string;
  /** What /healthz answered while the portal started (polled every 10 ms), and when. */
  startup: { atMs: number; status: number; state: string; output: string }[];
  /** A second connection to the portal's database (as a maintenance command would open one). */
  sql(): Database.Database;
  stop(): Promise<void>;
}

export async function startPortal(env: Record<string, string> = {}): Promise<Portal> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-security-'));
  const [port, emulatorPort] = [await freePort(), await freePort()];
  const dbPath = path.join(dir, 'app.sqlite');
  let out = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: dbPath,
      STRIPE_EMULATOR_PORT: String(emulatorPort),
      STRIPE_EMULATOR_DB: path.join(dir, 'emulator.sqlite'),
      STRIPE_SECRET_KEY: '',
      STRIPE_PUBLISHABLE_KEY: '',
      STRIPE_WEBHOOK_SECRET: '',
      STRIPE_API_BASE: '',
      TRUST_PROXY: '',
      APP_URL: `http://localhost:${port}`,
      STRIPE_EMULATOR_PUBLIC_URL: `http://localhost:${emulatorPort}`,
      SESSION_SECRET: 'security-session-secret-0123456789abcdef0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const started = Date.now();
  const startup: Portal['startup'] = [];
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portal exited (${child.exitCode}):\n${out}`);
    if (Date.now() - started > 90_000) throw new Error(`portal did not start:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = (await res.json()) as { status?: string };
      startup.push({ atMs: Date.now() - started, status: res.status, state: String(body.status), output: out });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  let conn: Database.Database | null = null;
  return {
    url: `http://localhost:${port}`,
    port,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    dbPath,
    dir,
    output: () => out,
    startup,
    sql() {
      conn ??= new Database(dbPath);
      conn.pragma('busy_timeout = 5000');
      return conn;
    },
    async stop() {
      conn?.close();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as they are and reads one HTTP/1.1 response (Connection: close). */
export function rawRequest(port: number, head: string, body: Buffer | string = '', opts: { host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, opts.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e) => {
      // A server may cut an absurd upload short; what it answered before still counts.
      if (chunks.length) finish();
      else reject(e);
    });
    socket.on('end', finish);
    socket.on('close', finish);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const lines = (headText ?? '').split('\r\n');
      const status = Number(lines[0]?.split(' ')[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    }
    socket.write(head.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '\r\n\r\n'));
    if (body.length) socket.write(body);
  });
}

/** A session cookie (`__session=…`) for a new account, signed up through the real form. */
export async function signUp(
  url: string,
  opts: { email?: string; password?: string; name?: string; headers?: Record<string, string> } = {},
) {
  const email = opts.email ?? `sec-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = opts.password ?? 'a-long-password-1';
  const res = await fetch(`${url}/signup`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url, ...opts.headers },
    body: new URLSearchParams({ name: opts.name ?? 'Security Tester', email, password }),
  });
  if (res.status !== 302) throw new Error(`sign-up answered ${res.status}: ${await res.text()}`);
  return { email, password, cookie: cookieOf(res) };
}

export async function logIn(url: string, email: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url, ...headers },
    body: new URLSearchParams({ email, password }),
  });
}

export function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('__session='));
  if (!set) throw new Error(`no session cookie (status ${res.status})`);
  return set.split(';')[0]!;
}

export function post(
  url: string,
  fields: Record<string, string>,
  init: { cookie?: string; origin?: string; headers?: Record<string, string> } = {},
) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: init.origin ?? new URL(url).origin,
      ...(init.cookie ? { Cookie: init.cookie } : {}),
      ...init.headers,
    },
    body: new URLSearchParams(fields),
  });
}
