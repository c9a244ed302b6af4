/**
 * The mail sender (docs/billing.md, "Emails"): delivers the outbox over SMTP (`SMTP_URL`) with
 * nodemailer, in the server process beside the webhook worker and the usage reporter.
 *
 * - A row is CLAIMED before it is sent: one immediate transaction moves it from `pending` to `sending`
 *   with a lease (`locked_until`), so no other sender (another process, a second timer tick) can take
 *   it; after the SMTP server's 250 it is marked `sent`. A failed send goes back to `pending` with an
 *   exponential backoff, and after `maxAttempts` it is `failed` with the last error.
 * - The one at-least-once edge: the process dies (kill -9, power) after the SMTP server accepted the
 *   message and before the `sent` mark (a few microseconds of synchronous SQLite write later), or the
 *   server accepted it but its answer never arrived. The row's lease then runs out and it is sent again.
 *   It is narrowed three ways: the mark is the very next statement after the 250; the lease is short
 *   only relative to the hour, not to the send (SMTP timeouts are set well under it, so a slow send is
 *   never taken over by a second sender while the first is still talking); and every attempt of a row
 *   carries the same Message-ID (`<outbox-{id}.{dedupe hash}@{host}>`), which receiving servers and mail
 *   clients use to drop the duplicate.
 * - With no `SMTP_URL` nothing is sent: mail stays `pending` in the outbox (readable in the console).
 * - `stop()` finishes the send in hand.
 * It also queues the "card expiring next month" messages (app/mail/card-expiry.server.ts), hourly.
 */
import crypto from 'node:crypto';
import { and, asc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { db } from '~/db/client.server';
import { outbox, type OutboxRow } from '~/db/schema';
import { env } from '~/lib/env.server';
import { machineClock } from '~/lib/clock.server';
import { queueCardExpiryNotices } from './card-expiry.server';
import { onMailQueued } from './outbox.server';
import { isMailKind, renderMail } from './templates';

export interface SenderOptions {
  /** smtp://user:pass@host:port (smtps:// for TLS from the start). Unset: nothing is sent. */
  smtpUrl: string | null;
  /** The From header, e.g. `Acme Cloud <billing@example.com>`. */
  from: string;
  batchSize: number;
  pollMs: number;
  /** How long a claimed row belongs to the sender that claimed it. */
  leaseMs: number;
  maxAttempts: number;
  /** Delay before attempt n+1 after n failed attempts. */
  backoffMs(attempts: number): number;
  /** How often expiring cards are looked for (0 = never). */
  cardCheckEveryMs: number;
}

function defaultOptions(): SenderOptions {
  const e = env();
  return {
    smtpUrl: e.SMTP_URL ?? null,
    from: e.mailFrom,
    batchSize: 20,
    pollMs: 5_000,
    leaseMs: 5 * 60_000,
    maxAttempts: 6,
    // 30 s, 1 min, 2 min … capped at 1 h, ±20% jitter.
    backoffMs: (n) => Math.min(30_000 * 2 ** (n - 1), 3_600_000) * (0.8 + Math.random() * 0.4),
    cardCheckEveryMs: 60 * 60_000,
  };
}

/** The Message-ID of an outbox row: the same on every attempt, so a duplicate can be recognised. */
function messageIdFor(row: Pick<OutboxRow, 'id' | 'dedupeKey'>, from: string): string {
  const host = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  const hash = crypto.createHash('sha256').update(row.dedupeKey).digest('hex').slice(0, 16);
  return `<outbox-${row.id}.${hash}@${host}>`;
}

function errorLine(error: unknown): string {
  const e = error as { code?: string; responseCode?: number; message?: string } | null;
  const prefix = e?.responseCode ? `${e.responseCode} ` : e?.code ? `${e.code}: ` : '';
  return (prefix + (e?.message ?? String(error))).slice(0, 500);
}

export interface SendReport {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

export class MailSender {
  readonly opts: SenderOptions;
  private transport: Transporter<SMTPTransport.SentMessageInfo> | null = null;
  private running = false;
  private current: Promise<unknown> | null = null;
  private again = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private cardTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(opts: Partial<SenderOptions> = {}) {
    this.opts = { ...defaultOptions(), ...opts };
  }

  get enabled(): boolean {
    return !!this.opts.smtpUrl;
  }

  private smtp() {
    if (!this.transport) {
      const { leaseMs } = this.opts;
      // Every SMTP step times out well inside the lease: a send is over (or failed) before anyone may take it over.
      const step = Math.max(1_000, Math.floor(leaseMs / 6));
      this.transport = nodemailer.createTransport({
        url: this.opts.smtpUrl!,
        connectionTimeout: step,
        greetingTimeout: step,
        socketTimeout: step,
        dnsTimeout: step,
      } as SMTPTransport.Options);
    }
    return this.transport;
  }

  start() {
    if (this.running) return;
    this.running = true;
    if (this.opts.cardCheckEveryMs > 0) {
      const check = () => {
        try {
          queueCardExpiryNotices();
        } catch (error) {
          console.warn(`mail sender: expiring-card check failed: ${errorLine(error)}`);
        }
        this.cardTimer = setTimeout(check, this.opts.cardCheckEveryMs);
        this.cardTimer.unref();
      };
      check();
    }
    if (!this.enabled) return;
    this.unsubscribe = onMailQueued(() => this.wake());
    const poll = () => {
      this.wake();
      this.pollTimer = setTimeout(poll, this.opts.pollMs);
      this.pollTimer.unref();
    };
    poll();
  }

  /** Finish the send in hand; claim nothing more. */
  async stop() {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.cardTimer) clearTimeout(this.cardTimer);
    this.pollTimer = this.cardTimer = null;
    await this.current?.catch(() => undefined);
    this.transport?.close();
    this.transport = null;
  }

  private wake() {
    if (!this.running) return;
    if (this.current) {
      this.again = true;
      return;
    }
    const run = (async () => {
      do {
        this.again = false;
        const report = await this.runOnce();
        if (report.claimed === this.opts.batchSize) this.again = true;
      } while (this.again && this.running);
    })();
    this.current = run;
    run
      .catch((error) => console.warn(`mail sender: ${errorLine(error)}`))
      .finally(() => {
        this.current = null;
      });
  }

  /** Claims rows due now: pending ones whose backoff passed, and `sending` ones whose lease ran out. */
  claim(limit = this.opts.batchSize): OutboxRow[] {
    const now = machineClock.nowMs();
    return db().transaction((tx) => {
      const ids = tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(
          or(
            and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, now)),
            and(eq(outbox.status, 'sending'), lte(outbox.lockedUntil, now)),
          ),
        )
        .orderBy(asc(outbox.id))
        .limit(limit)
        .all()
        .map((r) => r.id);
      if (ids.length === 0) return [];
      return tx
        .update(outbox)
        .set({ status: 'sending', lockedUntil: now + this.opts.leaseMs, attempts: sql`${outbox.attempts} + 1` })
        .where(inArray(outbox.id, ids))
        .returning()
        .all();
    });
  }

  /** One batch: claim, then send each row and mark it. Tests and scripts call it directly. */
  async runOnce(): Promise<SendReport> {
    const report: SendReport = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    if (!this.enabled) return report;
    const rows = this.claim();
    report.claimed = rows.length;
    for (const row of rows) await this.deliver(row, report);
    return report;
  }

  private async deliver(row: OutboxRow, report: SendReport) {
    const messageId = row.messageId ?? messageIdFor(row, this.opts.from);
    try {
      const message = this.messageOf(row);
      await this.smtp().sendMail({ from: this.opts.from, to: row.toEmail!, messageId, ...message });
    } catch (error) {
      const giveUp = row.attempts >= this.opts.maxAttempts || !row.toEmail;
      db()
        .update(outbox)
        .set(
          giveUp
            ? { status: 'failed', lastError: errorLine(error), lockedUntil: null, messageId }
            : {
                status: 'pending',
                lastError: errorLine(error),
                lockedUntil: null,
                messageId,
                nextAttemptAt: machineClock.nowMs() + Math.round(this.opts.backoffMs(row.attempts)),
              },
        )
        .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending')))
        .run();
      if (giveUp) report.failed++;
      else report.retried++;
      return;
    }
    // The very next statement after the server's 250 (see the header: the one at-least-once edge).
    db()
      .update(outbox)
      .set({ status: 'sent', sentAt: machineClock.nowMs(), lockedUntil: null, lastError: null, messageId })
      .where(eq(outbox.id, row.id))
      .run();
    report.sent++;
  }

  /** The stored message; rows queued before messages were rendered at write time are rendered now. */
  private messageOf(row: OutboxRow): { subject: string; text: string; html: string } {
    if (!row.toEmail) throw new Error('No recipient address.');
    if (row.subject && row.text && row.html) return { subject: row.subject, text: row.text, html: row.html };
    if (!isMailKind(row.template)) throw new Error(`Unknown email template "${row.template}".`);
    return renderMail(row.template, row.data, { appUrl: env().APP_URL.replace(/\/$/, ''), name: null });
  }
}

let instance: MailSender | null = null;

/** The process's sender (started by the server hooks). */
export function mailSender(): MailSender {
  instance ??= new MailSender();
  return instance;
}
