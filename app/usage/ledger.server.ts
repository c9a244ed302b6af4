/**
 * The usage ledger (docs/billing.md, "Usage"): every counted API call is one row of `usage_events`,
 * durable before the call is answered.
 *
 * Group commit: `recordUsage()` queues the row and returns a promise; everything queued during one
 * turn of the event loop is written by ONE better-sqlite3 transaction (`setImmediate`), together with
 * the daily rollups (`usage_daily`) it changes, and then every waiting call is answered. With WAL and
 * `synchronous = NORMAL` a committed transaction survives the process being killed (`kill -9`); only
 * an operating-system crash or power loss can take the last transactions back.
 *
 * The row's time is taken when the batch commits (from the billing clock), so a batch committed after
 * the reporter has closed a window never lands in that window (app/usage/reporter.server.ts).
 */
import type Database from 'better-sqlite3';
import { db } from '~/db/client.server';
import { clock } from '~/lib/clock.server';

export interface UsageInput {
  userId: string;
  apiKeyId: string | null;
  meter: string;
  value?: number;
  /** The client's Idempotency-Key: a second call with the same key is not counted again. */
  idempotencyKey?: string | null;
}

interface Pending extends UsageInput {
  resolve(): void;
  reject(error: unknown): void;
}

/** `YYYY-MM-DD` of a ms time, in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

interface Statements {
  sqlite: Database.Database;
  insert: Database.Statement;
  insertKeyed: Database.Statement;
  rollup: Database.Statement;
  write: Database.Transaction<(batch: Pending[], at: number) => void>;
}

export class UsageLedger {
  private queue: Pending[] = [];
  private scheduled = false;
  private statements: Statements | null = null;
  /**
   * Off only for the benchmark's baseline, "the same route with metering off"
   * (`USAGE_METERING=off`, scripts/harness/usage-bench.ts); never in production.
   */
  enabled = process.env.USAGE_METERING !== 'off';
  /** Transactions and rows written, for the benchmark and tests. */
  stats = { transactions: 0, rows: 0 };
  /** Users with rows written since the last `takeTouched()` (the reporter checks their alerts). */
  private touched = new Set<string>();

  takeTouched(): Set<string> {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }

  /** Queue one usage row; resolves once it is committed (rejects if the transaction failed). */
  record(input: UsageInput): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Write everything queued now, in one transaction. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      this.prepare().write.immediate(batch, clock.nowMs());
      this.stats.transactions++;
      this.stats.rows += batch.length;
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) {
      this.touched.add(p.userId);
      p.resolve();
    }
  }

  /** Drop prepared statements (the database was closed or replaced). */
  reset(): void {
    this.statements = null;
  }

  private prepare(): Statements {
    const sqlite = db().$client;
    if (this.statements && this.statements.sqlite === sqlite && sqlite.open) return this.statements;
    const insert = sqlite.prepare('INSERT INTO usage_events (user_id, api_key_id, meter, value, occurred_at) VALUES (?, ?, ?, ?, ?)');
    const insertKeyed = sqlite.prepare(
      'INSERT INTO usage_events (user_id, api_key_id, meter, value, occurred_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING',
    );
    const rollup = sqlite.prepare(
      'INSERT INTO usage_daily (user_id, meter, day, api_key_id, calls) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, meter, day, api_key_id) DO UPDATE SET calls = calls + excluded.calls',
    );
    const write = sqlite.transaction((batch: Pending[], at: number) => {
      const day = utcDay(at);
      const sums = new Map<string, { userId: string; meter: string; key: string; calls: number }>();
      for (const p of batch) {
        const value = p.value ?? 1;
        if (p.idempotencyKey) {
          const r = insertKeyed.run(p.userId, p.apiKeyId, p.meter, value, at, p.idempotencyKey);
          if (r.changes === 0) continue;
        } else {
          insert.run(p.userId, p.apiKeyId, p.meter, value, at);
        }
        const k = `${p.userId}\u0000${p.meter}\u0000${p.apiKeyId ?? ''}`;
        const s = sums.get(k);
        if (s) s.calls += value;
        else sums.set(k, { userId: p.userId, meter: p.meter, key: p.apiKeyId ?? '', calls: value });
      }
      for (const s of sums.values()) rollup.run(s.userId, s.meter, day, s.key, s.calls);
    });
    this.statements = { sqlite, insert, insertKeyed, rollup, write };
    return this.statements;
  }
}

let current: UsageLedger | null = null;

/** The process's ledger. */
export function usageLedger(): UsageLedger {
  current ??= new UsageLedger();
  return current;
}

/** Record one usage row and wait until it is durable. */
export function recordUsage(input: UsageInput): Promise<void> {
  return usageLedger().record(input);
}
