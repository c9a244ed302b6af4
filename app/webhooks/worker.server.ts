// Over 500 lines: the webhook worker whole (claim, group, read or reuse, apply, retry, the intake-first loop and the follow-ups that need Stripe), one class.
/**
 * The webhook worker (docs/architecture.md), in the server process:
 * - wakes on every stored event (coalesced) and on a timer; at start, resumes `pending` rows and
 *   `processing` rows left by a crash;
 * - claims a batch, groups its events by the object they concern and re-reads each object ONCE;
 * - per object, one short transaction: upsert the mirror (sync.server.ts), run each event's side
 *   effects (idempotent through `webhook_effects`), mark the events processed;
 * - a failed read or a throwing effect leaves the events `pending` with `attempts`, `last_error` and
 *   an exponential backoff; after `maxAttempts` they are `failed` (visible in /healthz and
 *   `npm run stripe:events -- --failed`);
 * - `stop()` finishes the batch in hand.
 */
import { and, asc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import { fetchSnapshot, syncUpcomingInvoice, writeSnapshot, type Snapshot } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { customers, stripeEvents, subscriptions, type StripeEventRow } from '~/db/schema';
import { enforceOneTrialPerCard } from '~/billing/subscriptions.server';
import { machineClock } from '~/lib/clock.server';
import { runEffects, targetOf, type InboxEvent, type SyncTarget } from './handlers.server';
import { onEventStored } from './inbox.server';
import { LastReads, readCovers } from './last-reads.server';

export interface WorkerOptions {
  /**
   * Events claimed at once (and again by a lane of the running worker that runs out). In a backlog a
   * larger claim groups more of an object's events under one read, and a batch run by hand
   * (`runOnce`) ends with its slowest object: 1,000 rather than 200 took the 10,000-customer storm's
   * drain from about 240 to 470 events/s before lanes stopped waiting for each other.
   */
  batchSize: number;
  /** Objects read from Stripe at the same time. */
  concurrency: number;
  /** Timer wake-up, for backoffs coming due. */
  pollMs: number;
  /** A `processing` row older than this was abandoned by a crashed process. */
  staleMs: number;
  maxAttempts: number;
  /** Delay before attempt n+1 after n failed attempts. */
  backoffMs(attempts: number): number;
  /** Delay between an insert and the batch (and between partial batches), so a burst is one batch. */
  coalesceMs: number;
  /**
   * Intake comes first: while events arrive faster than this (per second), processing waits, so the
   * endpoint keeps answering in milliseconds during a flood (docs/decisions/010-webhook-intake.md)…
   */
  yieldAboveRate: number;
  /** …but never lets a stored event wait longer than this before processing resumes. */
  maxYieldMs: number;
  /** Memory for the last read of each object (its JSON, deflated), reused for events older than that read. */
  lastReadBytes: number;
}

const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  batchSize: 1_000,
  concurrency: 8,
  pollMs: 1_000,
  staleMs: 5 * 60_000,
  maxAttempts: 8,
  // 2 s, 4 s, 8 s … capped at 10 min, with ±20% jitter so a recovered Stripe is not hit at once.
  backoffMs: (n) => Math.min(2_000 * 2 ** (n - 1), 600_000) * (0.8 + Math.random() * 0.4),
  coalesceMs: 25,
  yieldAboveRate: 300,
  maxYieldMs: 5_000,
  lastReadBytes: 64 * 1024 * 1024,
};

export interface BatchReport {
  claimed: number;
  processed: number;
  retried: number;
  failed: number;
  /** Distinct objects in the batch (each read at most once; not at all if read after its events). */
  objects: number;
}

/** A batch's events about one object (`key`: `kind:id`), applied together after one read. */
interface Group {
  key: string;
  target: SyncTarget | null;
  events: { row: StripeEventRow; event: InboxEvent }[];
}

export interface WorkerStats {
  batches: number;
  processed: number;
  retried: number;
  failed: number;
  /** Stripe reads made (one per object per batch at most). */
  reads: number;
  /** Objects not read again: every event of theirs in the batch predates their last read. */
  reused: number;
  /** Successful reads sent before any response told the worker Stripe's time (cannot stand in later). */
  unanchored: number;
}

/**
 * Stripe's time of a response, in unix s (0 if unknown): its `Date` header, which stripe-node keeps
 * on a result's `lastResponse` and on an error's `headers`.
 */
function responseTime(result: unknown): number {
  const r = result as { lastResponse?: { headers?: Record<string, string> }; headers?: Record<string, string> } | null;
  const date = r?.lastResponse?.headers?.date ?? r?.headers?.date;
  const ms = date ? Date.parse(date) : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

function errorLine(error: unknown): string {
  const e = error as { type?: string; statusCode?: number; message?: string } | null;
  const message = e?.message ?? String(error);
  const prefix = e?.statusCode ? `${e.statusCode} ${e.type ?? ''}`.trim() + ': ' : '';
  return (prefix + message).slice(0, 500);
}

export class WebhookWorker {
  readonly opts: WorkerOptions;
  readonly stats: WorkerStats = { batches: 0, processed: 0, retried: 0, failed: 0, reads: 0, reused: 0, unanchored: 0 };
  /**
   * A lower bound of Stripe's clock (unix s): the latest `Date` of its responses (Stripe's time when
   * it answered). A read sent after learning t reflects every event created before t (created < t:
   * the event happened in an earlier second). Events' own `created` does not teach it: a test
   * clock's events are created at the clock's (future) time.
   */
  private stripeNow = 0;
  /** Per object (`kind:id`), its last read applied to the mirror: oldest first, bounded by `lastReadBytes`. */
  private readonly lastReads: LastReads;
  private running = false;
  private stopping = false;
  private current: Promise<unknown> | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private again = false;
  private readonly followUps = new Set<Promise<unknown>>();
  // Intake pressure: inserts counted in 100 ms buckets (this one and the previous one).
  private bucketStart = 0;
  private bucketCount = 0;
  private previousBucketCount = 0;
  private waitingSince: number | null = null;

  constructor(opts: Partial<WorkerOptions> = {}) {
    this.opts = { ...DEFAULT_WORKER_OPTIONS, ...opts };
    this.lastReads = new LastReads(this.opts.lastReadBytes);
  }

  /** Resume what a previous process left, then work on inserts and on the timer. */
  start() {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    // Rows `processing` at start belong to a process that is gone: hand them back at once.
    db()
      .update(stripeEvents)
      .set({ status: 'pending', lockedAt: null, nextAttemptAt: 0 })
      .where(eq(stripeEvents.status, 'processing'))
      .run();
    this.unsubscribe = onEventStored(() => {
      this.noteInsert();
      this.wake();
    });
    const poll = () => {
      this.wake(0);
      this.pollTimer = setTimeout(poll, this.opts.pollMs);
      this.pollTimer.unref();
    };
    poll();
  }

  /** Finish the batch in hand; claim nothing more. */
  async stop() {
    this.stopping = true;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.wakeTimer = this.pollTimer = null;
    await this.current?.catch(() => undefined);
    // A follow-up may start another as it ends (a second preview): wait until none is left.
    while (this.followUps.size) await Promise.all([...this.followUps]);
  }

  private noteInsert() {
    const now = Date.now();
    const bucket = now - (now % 100);
    if (bucket !== this.bucketStart) {
      this.previousBucketCount = bucket - this.bucketStart === 100 ? this.bucketCount : 0;
      this.bucketStart = bucket;
      this.bucketCount = 0;
    }
    this.bucketCount++;
    this.waitingSince ??= now;
  }

  /** True while inserts arrive faster than `yieldAboveRate` and nothing has waited too long. */
  private shouldYield(): boolean {
    const now = Date.now();
    if (this.waitingSince === null || now - this.waitingSince >= this.opts.maxYieldMs) return false;
    const sinceBucket = now - this.bucketStart;
    if (sinceBucket >= 200) return false;
    const recent = sinceBucket < 100 ? this.bucketCount + this.previousBucketCount : this.bucketCount;
    return recent > this.opts.yieldAboveRate * 0.2;
  }

  private wake(delay = this.opts.coalesceMs) {
    if (!this.running) return;
    if (this.current) {
      this.again = true;
      return;
    }
    if (this.wakeTimer) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      void this.loop();
    }, delay);
  }

  private async loop() {
    if (this.current || !this.running) return;
    const run = (async () => {
      for (;;) {
        while (!this.stopping && this.shouldYield()) await new Promise((r) => setTimeout(r, 50));
        if (this.stopping) return;
        this.again = false;
        const report = await this.runOnce({ refill: true });
        if (report.claimed < this.opts.batchSize) this.waitingSince = this.again ? Date.now() : null;
        if (this.stopping) return;
        if (report.claimed === 0 && !this.again) return;
        // A partial batch means we are keeping up: let the next one gather a burst (fewer claims,
        // fewer Stripe reads, less CPU taken from the intake). A full batch means a backlog: go on.
        if (report.claimed < this.opts.batchSize) await new Promise((r) => setTimeout(r, this.opts.coalesceMs));
      }
    })();
    this.current = run;
    try {
      await run;
    } catch (error) {
      console.error('webhook worker:', errorLine(error));
    } finally {
      this.current = null;
    }
  }

  /** Claims ready events: pending whose backoff has passed, and processing rows gone stale. */
  claim(limit = this.opts.batchSize): StripeEventRow[] {
    const now = machineClock.nowMs();
    return db().transaction((tx) => {
      const ids = tx
        .select({ id: stripeEvents.id })
        .from(stripeEvents)
        .where(
          or(
            and(eq(stripeEvents.status, 'pending'), lte(stripeEvents.nextAttemptAt, now)),
            and(eq(stripeEvents.status, 'processing'), lte(stripeEvents.lockedAt, now - this.opts.staleMs)),
          ),
        )
        .orderBy(asc(stripeEvents.created), asc(stripeEvents.receivedAt))
        .limit(limit)
        .all()
        .map((r) => r.id);
      if (ids.length === 0) return [];
      return tx
        .update(stripeEvents)
        .set({ status: 'processing', lockedAt: now, attempts: sql`${stripeEvents.attempts} + 1` })
        .where(inArray(stripeEvents.id, ids))
        .returning()
        .all();
    });
  }

  /**
   * One batch: claim, group by object, read each once, apply. Tests and scripts call it directly.
   * `refill` (the running worker): a lane that finds nothing left claims the next batch instead of
   * waiting for the batch's slowest object (often a read the SDK is retrying); an object already being
   * read keeps its newer events until that read is applied, so no object is read twice at once.
   */
  async runOnce(opts: { refill?: boolean } = {}): Promise<BatchReport> {
    const report: BatchReport = { claimed: 0, processed: 0, retried: 0, failed: 0, objects: 0 };
    const queue: Group[] = [];
    const queued = new Map<string, Group>();
    const inFlight = new Set<string>();
    const held = new Map<string, Group>();
    const take = (): number => {
      const rows = this.claim();
      if (rows.length === 0) return 0;
      this.stats.batches++;
      report.claimed += rows.length;
      for (const row of rows) {
        let event: InboxEvent;
        try {
          const parsed = JSON.parse(row.payload) as { id: string; type: string; created: number; data: { object: InboxEvent['object'] } };
          event = { id: parsed.id, type: parsed.type, created: parsed.created, object: parsed.data.object };
        } catch (error) {
          this.fail([row], error, report, true);
          continue;
        }
        const target = targetOf(event);
        const key = target ? `${target.kind}:${target.id}` : `none:${row.id}`;
        const waiting = inFlight.has(key) ? held : queued;
        let group = waiting.get(key);
        if (!group) {
          waiting.set(key, (group = { key, target, events: [] }));
          if (waiting === queued) queue.push(group);
          if (target) report.objects++;
        }
        group.events.push({ row, event });
      }
      return rows.length;
    };
    const run = async (group: Group) => {
      queued.delete(group.key);
      inFlight.add(group.key);
      try {
        await this.applyGroup(group, report);
      } finally {
        inFlight.delete(group.key);
        const later = held.get(group.key);
        if (later) {
          held.delete(group.key);
          queued.set(later.key, later);
          queue.push(later);
        }
      }
    };
    const lane = async (): Promise<void> => {
      for (;;) {
        let group = queue.shift();
        if (!group && opts.refill && !this.stopping && !this.shouldYield() && take() > 0) group = queue.shift();
        if (!group) return;
        await run(group);
      }
    };
    if (take() === 0) return report;
    // Until a response has told Stripe's time, one read at a time: the first answer lets every later
    // read stand in for the events created before it.
    while (this.stripeNow === 0 && queue.length) await run(queue.shift()!);
    await Promise.all(Array.from({ length: opts.refill ? this.opts.concurrency : Math.min(this.opts.concurrency, queue.length) }, lane));
    this.stats.processed += report.processed;
    this.stats.retried += report.retried;
    this.stats.failed += report.failed;
    return report;
  }

  private async applyGroup(group: Group, report: BatchReport) {
    const rows = group.events.map((e) => e.row);
    let snapshot: Snapshot | null = null;
    let fetchedAt = machineClock.now();
    const key = group.target ? group.key : null;
    // When no event can be newer than the object's last read (app/webhooks/last-reads.server.ts), that
    // read (in the mirror) stands in for a new one. Else read again.
    const last = key ? this.lastReads.get(key) : undefined;
    let kept: Snapshot | null = null;
    const keptSnapshot = () => (kept ??= this.lastReads.snapshotOf(last!));
    const reused = !!last && !!group.target && readCovers(last, group.target, group.events, keptSnapshot);
    if (last && reused) {
      this.stats.reused++;
      snapshot = keptSnapshot();
      fetchedAt = last.fetchedAt;
    } else if (group.target) {
      const after = this.stripeNow;
      try {
        this.stats.reads++;
        snapshot = await fetchSnapshot(group.target.kind, group.target.id);
      } catch (error) {
        this.stripeNow = Math.max(this.stripeNow, responseTime(error));
        return this.fail(rows, error, report);
      }
      this.stripeNow = Math.max(this.stripeNow, responseTime(snapshot.object));
      if (after === 0) this.stats.unanchored++;
      if (key && snapshot.object) this.lastReads.remember(key, { after, fetchedAt, snapshot });
      else if (key) this.lastReads.forget(key);
    }
    try {
      const now = machineClock.nowMs();
      db().transaction((tx) => {
        // (a reused read is written again: a no-op unless its row was removed since)
        if (snapshot) writeSnapshot(tx, snapshot, fetchedAt);
        for (const { event } of group.events) runEffects({ tx, event, snapshot });
        tx.update(stripeEvents)
          .set({ status: 'processed', processedAt: now, lastError: null, lockedAt: null })
          .where(
            inArray(
              stripeEvents.id,
              rows.map((r) => r.id),
            ),
          )
          .run();
      });
      report.processed += rows.length;
      // A reused read's follow-ups ran when it was made.
      if (snapshot && !reused) this.afterCommit(snapshot);
    } catch (error) {
      // A bug in a writer or an effect: the whole transaction rolled back; retry like a read failure.
      if (key) this.lastReads.forget(key);
      console.error(
        'webhook worker: applying',
        group.target ? `${group.target.kind} ${group.target.id}` : rows[0]!.id,
        'failed:',
        errorLine(error),
      );
      this.fail(rows, error, report);
    }
  }

  /**
   * Follow-ups that need Stripe writes, so they cannot run inside the transaction: a trial whose card
   * arrived by webhook gets the one-trial-per-card rule (docs/billing.md, "Trials").
   */
  private afterCommit(snapshot: Snapshot) {
    this.refreshUpcoming(snapshot);
    // The subscription's card and the card's details arrive by different events, in any order:
    // check after either.
    let customerId: string | null = null;
    if (snapshot.kind === 'subscription' && snapshot.object?.status === 'trialing' && snapshot.object.default_payment_method) {
      customerId = typeof snapshot.object.customer === 'string' ? snapshot.object.customer : snapshot.object.customer.id;
    } else if (snapshot.kind === 'payment_method' && snapshot.object?.customer) {
      customerId = typeof snapshot.object.customer === 'string' ? snapshot.object.customer : snapshot.object.customer.id;
    }
    if (!customerId) return;
    const trial = db()
      .select({ userId: subscriptions.userId })
      .from(subscriptions)
      .where(and(eq(subscriptions.customerId, customerId), eq(subscriptions.status, 'trialing')))
      .get();
    if (!trial?.userId) return;
    const job = enforceOneTrialPerCard({ userId: trial.userId })
      .catch((error) => console.warn(`webhook worker: trial card check for ${customerId} failed: ${errorLine(error)}`))
      .finally(() => this.followUps.delete(job));
    this.followUps.add(job);
  }

  /** Customers whose next invoice is being re-previewed (one preview in flight per customer). */
  private readonly upcomingInFlight = new Set<string>();
  /** Customers that changed again while their preview was in flight: previewed once more after it. */
  private readonly upcomingAgain = new Set<string>();

  /** A subscription or invoice changed: the next invoice in the mirror follows (docs/billing.md). */
  private refreshUpcoming(snapshot: Snapshot) {
    if ((snapshot.kind !== 'subscription' && snapshot.kind !== 'invoice') || !snapshot.object) return;
    const c = snapshot.object.customer;
    const customerId = typeof c === 'string' ? c : (c?.id ?? null);
    if (customerId) this.previewUpcoming(customerId);
  }

  private previewUpcoming(customerId: string) {
    // A preview already asked for may predate this change: ask once more when it is done.
    if (this.upcomingInFlight.has(customerId)) {
      this.upcomingAgain.add(customerId);
      return;
    }
    // Only the app's users' customers: the preview is for their pages.
    if (!db().select({ userId: customers.userId }).from(customers).where(eq(customers.id, customerId)).get()?.userId) return;
    this.upcomingInFlight.add(customerId);
    const job = syncUpcomingInvoice(customerId)
      .catch((error) => console.warn(`webhook worker: next invoice of ${customerId} not refreshed: ${errorLine(error)}`))
      .finally(() => {
        this.upcomingInFlight.delete(customerId);
        this.followUps.delete(job);
        if (this.upcomingAgain.delete(customerId) && !this.stopping) this.previewUpcoming(customerId);
      });
    this.followUps.add(job);
  }

  private fail(rows: StripeEventRow[], error: unknown, report: BatchReport, permanent = false) {
    const now = machineClock.nowMs();
    const message = errorLine(error);
    db().transaction((tx) => {
      for (const row of rows) {
        const giveUp = permanent || row.attempts >= this.opts.maxAttempts;
        tx.update(stripeEvents)
          .set(
            giveUp
              ? { status: 'failed', lastError: message, lockedAt: null }
              : {
                  status: 'pending',
                  lastError: message,
                  lockedAt: null,
                  nextAttemptAt: now + Math.round(this.opts.backoffMs(row.attempts)),
                },
          )
          .where(eq(stripeEvents.id, row.id))
          .run();
        if (giveUp) report.failed++;
        else report.retried++;
      }
    });
  }

  /** Runs batches until nothing is ready (tests, scripts). */
  async drain(): Promise<void> {
    while (this.current) await this.current.catch(() => undefined);
    for (;;) {
      const report = await this.runOnce();
      if (report.claimed === 0) return;
    }
  }
}

let instance: WebhookWorker | null = null;

/** The process's worker (started by serverHooks.start()). */
export function webhookWorker(): WebhookWorker {
  instance ??= new WebhookWorker();
  return instance;
}

export function setWebhookWorker(next: WebhookWorker | null) {
  instance = next;
}

/** Puts a stored event back in the queue (`npm run stripe:events -- --replay <id>`). */
export function requeueEvent(id: string): boolean {
  const result = db()
    .update(stripeEvents)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: 0, lockedAt: null, lastError: null, processedAt: null })
    .where(eq(stripeEvents.id, id))
    .run();
  return result.changes > 0;
}
