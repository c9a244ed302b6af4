/**
 * The usage reporter (docs/billing.md, "Usage"), in the server process, started and stopped with it
 * (app/server-hooks.server.ts). Each tick:
 *
 *  1. Close windows: in ONE transaction, the unreported ledger rows of every window that has ended
 *     (`USAGE_REPORT_WINDOW_SECONDS`, default 60, aligned to the epoch) are summed per (user, meter,
 *     window) into a `meter_reports` row whose `identifier` is derived from the rows it covers
 *     (`{meter}:{customer}:{windowStart}:{firstId}-{lastId}`), and those rows get its `report_id`.
 *     So the identifier is on disk before anything is sent, and at most one meter event exists per
 *     (customer, meter, window), timestamped at the window's last call.
 *  2. Send due reports: through the v2 meter event stream (up to 100 events a request, with a meter
 *     event session), or `billing.meterEvents.create` where the stream is not available. A retry after
 *     a crash, a timeout or a 5xx sends the same identifier, which Stripe de-duplicates (24 h), so
 *     nothing is billed twice. 429/5xx/timeouts back off exponentially; any other 4xx marks the report
 *     `failed` with Stripe's message (shown by `npm run stripe:usage-reconcile`).
 */
import type Database from 'better-sqlite3';
import { syncCreditGrants } from '~/billing/credit-grants.server';
import { db } from '~/db/client.server';
import { clock, machineClock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { checkUsageAlerts } from './alerts.server';
import { usageLedger } from './ledger.server';
import { ensureMeteredItems } from './metered-items.server';

/** How often the reporter checks that subscriptions carry their plan's metered price and packs their grants. */
const METERED_ITEMS_EVERY_MS = 5_000;

export interface ReporterOptions {
  windowSeconds: number;
  /** How often the reporter wakes up. */
  tickMs: number;
  /** Per-request timeout towards Stripe. */
  timeoutMs: number;
  /** Delay before attempt n+1 after n failed attempts. */
  backoffMs(attempts: number): number;
  /** Meter events per v2 stream request (Stripe's limit is 100). */
  batchSize: number;
}

/** `USAGE_REPORT_WINDOW_SECONDS` (default 60), checked so a bad value names the variable. */
export function reportWindowSeconds(source: Record<string, string | undefined> = process.env): number {
  const raw = source.USAGE_REPORT_WINDOW_SECONDS?.trim();
  if (!raw) return 60;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new Error(
      `Invalid environment variable USAGE_REPORT_WINDOW_SECONDS: must be a whole number of seconds from 1 to 86400 (got "${raw}")`,
    );
  }
  return n;
}

function defaultReporterOptions(): ReporterOptions {
  const windowSeconds = reportWindowSeconds();
  return {
    windowSeconds,
    tickMs: Math.min(1_000, Math.max(100, (windowSeconds * 1000) / 4)),
    timeoutMs: 10_000,
    // 1 s, 2 s, 4 s … capped at 5 min, ±20% jitter.
    backoffMs: (n) => Math.min(1_000 * 2 ** (n - 1), 300_000) * (0.8 + Math.random() * 0.4),
    batchSize: 100,
  };
}

interface ReportRow {
  id: number;
  customer_id: string;
  meter: string;
  value: number;
  identifier: string;
  event_timestamp: number;
  attempts: number;
}

export interface TickResult {
  opened: number;
  sent: number;
  retried: number;
  failed: number;
}

/** Stripe's answer means "try again later" (429, 5xx, no answer, an expired meter event session). */
function isTransient(error: unknown): boolean {
  const e = error as { type?: string; statusCode?: number; code?: string };
  if (e?.type === 'StripeConnectionError' || e?.type === 'StripeAPIError' || e?.type === 'StripeRateLimitError') return true;
  if (e?.type === 'TemporarySessionExpiredError' || e?.code === 'billing_meter_event_session_expired') return true;
  const status = e?.statusCode ?? 0;
  return status === 429 || status >= 500 || status === 0;
}

/** Stripe already holds an event with this identifier: the earlier attempt got through. */
function isDuplicate(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === 'resource_already_exists' || /identifier .* already exists/i.test(e?.message ?? '');
}

export class UsageReporter {
  readonly options: ReporterOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickResult> | null = null;
  private session: { token: string; expiresAtMs: number } | null = null;
  /** False once the v2 stream answered 404 (not on this account/host): v1 from then on. */
  private streamAvailable = true;
  private meteredItemsAt = 0;
  /** Requests made to Stripe (meter event sends), for the benchmark. */
  stats = { requests: 0, eventsSent: 0 };

  constructor(options: Partial<ReporterOptions> = {}) {
    this.options = { ...defaultReporterOptions(), ...options };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stop ticking and wait for the tick in hand (its reports stay pending if it is cut short). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in flight. */
  tick(): Promise<TickResult> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        checkUsageAlerts(usageLedger().takeTouched());
        const opened = this.closeWindows();
        const sent = await this.sendDue();
        if (machineClock.nowMs() - this.meteredItemsAt >= METERED_ITEMS_EVERY_MS) {
          this.meteredItemsAt = machineClock.nowMs();
          await ensureMeteredItems().catch((e) => console.warn(`metered items: ${e instanceof Error ? e.message : String(e)}`));
          await syncCreditGrants().catch((e) => console.warn(`credit grants: ${e instanceof Error ? e.message : String(e)}`));
        }
        return { opened, ...sent };
      } catch (error) {
        console.warn(`usage reporter: ${error instanceof Error ? error.message : String(error)}`);
        return { opened: 0, sent: 0, retried: 0, failed: 0 };
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Sum the unreported rows of every ended window into report rows (one transaction). */
  closeWindows(nowMs = clock.nowMs()): number {
    const sqlite = db().$client;
    const windowMs = this.options.windowSeconds * 1000;
    const cutoff = Math.floor(nowMs / windowMs) * windowMs;
    const run = sqlite.transaction((): number => {
      const groups = sqlite
        .prepare(
          `SELECT e.user_id AS userId, e.meter AS meter, e.occurred_at / ? AS w, min(e.id) AS firstId, max(e.id) AS lastId,
                  count(*) AS rows, sum(e.value) AS value, max(e.occurred_at) AS lastAt, u.stripe_customer_id AS customerId
             FROM usage_events e JOIN users u ON u.id = e.user_id
            WHERE e.report_id IS NULL AND e.occurred_at < ?
            GROUP BY e.user_id, e.meter, w`,
        )
        .all(windowMs, cutoff) as Array<{
        userId: string;
        meter: string;
        w: number;
        firstId: number;
        lastId: number;
        rows: number;
        value: number;
        lastAt: number;
        customerId: string | null;
      }>;
      const taken = sqlite.prepare('SELECT 1 FROM meter_reports WHERE user_id = ? AND meter = ? AND window_start = ?');
      const insert = sqlite.prepare(
        `INSERT INTO meter_reports (user_id, customer_id, meter, window_start, window_end, event_timestamp, first_event_id, last_event_id, rows, value, identifier, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      );
      const mark = sqlite.prepare(
        'UPDATE usage_events SET report_id = ? WHERE report_id IS NULL AND user_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ? AND id <= ?',
      );
      let opened = 0;
      for (const g of groups) {
        // Usage of a user without a Stripe customer cannot be reported; it waits (and shows as lag).
        if (!g.customerId) continue;
        const from = g.w * windowMs;
        let windowStart = from / 1000;
        // Rows that arrive for a window already reported (only when the clock went back) go into
        // the next free window, so there is never a second event for one window.
        while (taken.get(g.userId, g.meter, windowStart)) windowStart += this.options.windowSeconds;
        const identifier = `${g.meter}:${g.customerId}:${windowStart}:${g.firstId}-${g.lastId}`.slice(0, 100);
        const result = insert.run(
          g.userId,
          g.customerId,
          g.meter,
          windowStart,
          windowStart + this.options.windowSeconds,
          Math.floor(g.lastAt / 1000),
          g.firstId,
          g.lastId,
          g.rows,
          g.value,
          identifier,
          machineClock.nowMs(),
        );
        mark.run(result.lastInsertRowid, g.userId, g.meter, from, from + windowMs, g.lastId);
        opened++;
      }
      return opened;
    });
    return run.immediate();
  }

  private dueReports(sqlite: Database.Database, limit: number): ReportRow[] {
    return sqlite
      .prepare(
        `SELECT id, customer_id, meter, value, identifier, event_timestamp, attempts FROM meter_reports
          WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      )
      .all(machineClock.nowMs(), limit) as ReportRow[];
  }

  /** Send every due report; returns what happened to them. */
  async sendDue(): Promise<Omit<TickResult, 'opened'>> {
    const sqlite = db().$client;
    const result = { sent: 0, retried: 0, failed: 0 };
    const markSent = sqlite.prepare(
      `UPDATE meter_reports SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?`,
    );
    const markRetry = sqlite.prepare(`UPDATE meter_reports SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`);
    const markFailed = sqlite.prepare(`UPDATE meter_reports SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`);
    const outcome = (reports: ReportRow[], error: unknown) => {
      const now = machineClock.nowMs();
      sqlite.transaction(() => {
        for (const r of reports) {
          if (!error || isDuplicate(error)) {
            markSent.run(now, r.id);
            result.sent++;
          } else if (isTransient(error)) {
            markRetry.run(now + this.options.backoffMs(r.attempts + 1), describe(error), r.id);
            result.retried++;
          } else {
            markFailed.run(describe(error), r.id);
            result.failed++;
          }
        }
      })();
    };
    const seen = new Set<number>();
    for (;;) {
      const batch = this.dueReports(sqlite, this.options.batchSize).filter((r) => !seen.has(r.id));
      if (batch.length === 0) break;
      for (const r of batch) seen.add(r.id);
      if (this.streamAvailable) {
        const error = await this.sendStream(batch);
        if (error === 'unavailable') {
          this.streamAvailable = false;
        } else {
          outcome(batch, error);
          if (error && isTransient(error)) break; // Stripe is struggling: the rest waits for the next tick
          continue;
        }
      }
      let stop = false;
      for (const r of batch) {
        const error = await this.sendOne(r);
        outcome([r], error);
        if (error && isTransient(error)) {
          stop = true;
          break;
        }
      }
      if (stop) break;
    }
    return result;
  }

  private event(r: ReportRow) {
    return { event_name: r.meter, identifier: r.identifier, payload: { stripe_customer_id: r.customer_id, value: String(r.value) } };
  }

  /** v2 stream: null on success, the error otherwise, 'unavailable' when the host has no stream. */
  private async sendStream(batch: ReportRow[]): Promise<unknown> {
    const s = stripe();
    try {
      if (!this.session || this.session.expiresAtMs - 60_000 < machineClock.nowMs()) {
        this.stats.requests++;
        const session = await s.v2.billing.meterEventSession.create({}, { maxNetworkRetries: 0, timeout: this.options.timeoutMs });
        this.session = { token: session.authentication_token, expiresAtMs: Date.parse(session.expires_at) };
      }
      this.stats.requests++;
      await s.v2.billing.meterEventStream.create(
        { events: batch.map((r) => ({ ...this.event(r), timestamp: new Date(r.event_timestamp * 1000).toISOString() })) },
        { apiKey: this.session.token, maxNetworkRetries: 0, timeout: this.options.timeoutMs },
      );
      this.stats.eventsSent += batch.length;
      return null;
    } catch (error) {
      const e = error as { statusCode?: number; type?: string };
      if (e.statusCode === 404) return 'unavailable';
      if (e.statusCode === 401 || e.type === 'TemporarySessionExpiredError') this.session = null;
      return error;
    }
  }

  /** v1: one request per event, the identifier doubling as the idempotency key. */
  private async sendOne(r: ReportRow): Promise<unknown> {
    try {
      this.stats.requests++;
      await stripe().billing.meterEvents.create(
        { ...this.event(r), timestamp: r.event_timestamp },
        { idempotencyKey: `meter-event:${r.identifier}`, maxNetworkRetries: 0, timeout: this.options.timeoutMs },
      );
      this.stats.eventsSent++;
      return null;
    } catch (error) {
      return error;
    }
  }
}

function describe(error: unknown): string {
  const e = error as { statusCode?: number; message?: string };
  return `${e?.statusCode ?? 'no answer'}: ${(e?.message ?? String(error)).slice(0, 300)}`;
}

/** Seconds since the oldest call not yet accepted by Stripe was made (0 when all are). */
export function reporterLagSeconds(nowMs = clock.nowMs()): number {
  const sqlite = db().$client;
  const unreported = sqlite.prepare('SELECT min(occurred_at) AS at FROM usage_events WHERE report_id IS NULL').get() as {
    at: number | null;
  };
  const pending = sqlite
    .prepare(
      `SELECT min(e.occurred_at) AS at FROM meter_reports r JOIN usage_events e ON e.id = r.first_event_id WHERE r.status = 'pending'`,
    )
    .get() as { at: number | null };
  const oldest = Math.min(unreported.at ?? Infinity, pending.at ?? Infinity);
  return Number.isFinite(oldest) ? Math.max(0, Math.round((nowMs - oldest) / 1000)) : 0;
}

let current: UsageReporter | null = null;

export function usageReporter(): UsageReporter {
  current ??= new UsageReporter();
  return current;
}
