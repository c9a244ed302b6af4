/**
 * The processes `npm run bench` measures, each in its own process so a figure is the server's and
 * not the load generator's: `--child bare` (the floor: `node:http` + better-sqlite3 + HMAC) and
 * `--child app` (the built app served by scripts/server.ts exactly as `npm start` does). Each prints
 * `{"port":…}` once listening. scripts/bench.ts re-runs itself with `--child <kind>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';

type ChildKind = 'bare' | 'app' | 'emulator';

export interface Child {
  port: number;
  child: ChildProcess;
  /** Resident set size of the child now (bytes), read from /proc (Linux). */
  rss(): number;
  /** CPU time the child has used so far (user + system, ms), read from /proc (Linux). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * The bare handler: what a webhook intake cannot go below (verify, parse, insert, answer), with the
 * app's durability (WAL, `synchronous = NORMAL`) and its group commit: the events that arrive in one
 * turn of the event loop are committed together, each answered after that commit
 * (app/webhooks/inbox.server.ts). A floor without it would be slower and flatter the ratio.
 */
async function childBare(file: string, secret: string) {
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec(
    `create table if not exists events (id text primary key, type text not null, created integer not null, payload text not null, received_at integer not null)`,
  );
  const insert = sqlite.prepare(
    'insert into events (id, type, created, payload, received_at) values (?, ?, ?, ?, ?) on conflict(id) do nothing',
  );
  let waiting: { body: string; res: http.ServerResponse }[] = [];
  const insertAll = sqlite.transaction((batch: typeof waiting) =>
    batch.forEach(({ body }) => {
      const e = JSON.parse(body) as { id: string; type: string; created: number };
      insert.run(e.id, e.type, e.created, body, Date.now());
    }),
  );
  const commit = () => {
    const batch = waiting;
    waiting = [];
    insertAll.immediate(batch);
    batch.forEach(({ res }) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}'));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = String(req.headers['stripe-signature'] ?? '');
      const t = /t=(\d+)/.exec(header)?.[1];
      const v1 = /v1=([0-9a-f]{64})/.exec(header)?.[1];
      const expected = t && crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest();
      if (!expected || !v1 || !crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex'))) {
        res.writeHead(400).end();
        return;
      }
      if (waiting.length === 0) setImmediate(commit);
      waiting.push({ body: body.toString('utf8'), res });
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
  // Like the app's close: the database is closed (WAL checkpointed) before the process ends.
  process.on('SIGTERM', () => {
    sqlite.close();
    process.exit(0);
  });
}

/**
 * SIGUSR2 (scripts/harness/leak.ts, a diagnostic): the JS heap before and after a forced full GC and
 * the RSS after it, one JSON line on stdout. Nothing else in the bench forces a GC.
 */
function reportHeapOnSignal() {
  process.on('SIGUSR2', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const usedBefore = process.memoryUsage().heapUsed;
    gc();
    const after = process.memoryUsage();
    console.log(JSON.stringify({ heap: { usedBefore, usedAfter: after.heapUsed, totalAfter: after.heapTotal, rssAfter: after.rss } }));
  });
}

async function childApp() {
  reportHeapOnSignal();
  const { createAppServer } = await import('../server');
  const app = await createAppServer({ port: 0, host: '127.0.0.1' });
  console.log(JSON.stringify({ port: app.port }));
  process.on('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

/** An emulator of its own (a load test's Stripe on the other core): in memory, webhooks to BENCH_WEBHOOK_URL. */
async function childEmulator() {
  const { startEmulator } = await import('../../emulator/src/index');
  const emulator = await startEmulator({
    port: 0,
    dbPath: ':memory:',
    webhookUrl: process.env.BENCH_WEBHOOK_URL,
    webhookSecret: process.env.BENCH_SECRET,
    webhookRetrySchedule: [200, 500, 1000, 2000],
    quiet: true,
  });
  console.log(JSON.stringify({ port: emulator.port }));
  process.on('SIGTERM', () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

/** Entry for `scripts/bench.ts --child <kind>` (env: BENCH_SECRET, BENCH_BARE_DB, BENCH_WEBHOOK_URL). */
export function runChild(kind: string | undefined): Promise<void> {
  if (kind === 'bare') return childBare(process.env.BENCH_BARE_DB!, process.env.BENCH_SECRET!);
  if (kind === 'app') return childApp();
  if (kind === 'emulator') return childEmulator();
  return Promise.reject(new Error(`unknown child kind: ${String(kind)}`));
}

function rssOf(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of /proc/<pid>/stat (fields 14 and 15), in clock ticks of 10 ms. */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Starts `scripts/bench.ts --child <kind>` with `env` and resolves once it listens. */
export function startChild(kind: ChildKind, env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--child', kind], {
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
        child,
        rss: () => rssOf(child.pid),
        cpuMs: () => cpuMsOf(child.pid),
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
}
