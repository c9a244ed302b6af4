/**
 * The sender never sends an outbox row twice across a crash, with a real sender process killed with
 * SIGKILL and a real SMTP listener:
 * - killed while a message is on the wire (the server has not accepted it): after the lease, the
 *   message is sent once, and every other row once;
 * - killed after the server accepted a message but before the row was marked `sent` — the one
 *   documented at-least-once edge (docs/billing.md, "Emails"): it is sent again, with the same
 *   Message-ID, so the receiver can drop the copy; nothing else is sent twice;
 * - two sender processes at once: each row is claimed by one of them and sent once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { db } from '~/db/client.server';
import { outbox } from '~/db/schema';
import { queueMail } from '~/mail/outbox.server';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp';

const LEASE_MS = 1_500;
let smtp: SmtpListener;
let userId: string;

function startSender(batch = 20): { proc: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'tests/integration/outbox-sender-child.ts'], {
    env: { ...process.env, SMTP_URL: smtp.url, MAIL_LEASE_MS: String(LEASE_MS), MAIL_BATCH: String(batch) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited, output: () => output };
}

function queue(n: number): number[] {
  return db().transaction((tx) => {
    for (let i = 0; i < n; i++) {
      queueMail(tx, {
        dedupeKey: `crash:${Date.now()}:${i}`,
        kind: 'usage_threshold',
        userId,
        data: { threshold: 80, calls: 8000 + i, allowance: 10000 },
      });
    }
    return tx
      .select({ id: outbox.id })
      .from(outbox)
      .orderBy(outbox.id)
      .all()
      .map((r) => r.id);
  });
}

const rows = () => db().select().from(outbox).orderBy(outbox.id).all();
/** How many times the listener accepted each row's message (by its Message-ID, which names the row). */
const deliveries = () => {
  const byRow = new Map<number, number>();
  for (const m of smtp.received) {
    const id = Number(/^<outbox-(\d+)\./.exec(m.messageId ?? '')?.[1]);
    byRow.set(id, (byRow.get(id) ?? 0) + 1);
  }
  return byRow;
};

beforeAll(async () => {
  smtp = await startSmtpListener();
  userId = (await createUser({ email: 'crash-owner@example.com', name: 'Casey Crash', password: 'correct horse battery' })).id;
});

afterAll(async () => {
  await smtp.close();
});

beforeEach(() => {
  db().delete(outbox).run();
  smtp.received.length = 0;
  smtp.hold = null;
});

describe('the sender across kill -9', () => {
  it('killed while a message is on the wire: after the lease every row is delivered exactly once', async () => {
    const ids = queue(5);
    const first = startSender();
    let seen = 0;
    const killed = new Promise<void>((resolve) => {
      smtp.hold = async () => {
        seen++;
        if (seen < 3) return 'accept';
        // The third message's data has arrived; the server has not answered: the sender dies now.
        first.proc.kill('SIGKILL');
        await first.exited;
        resolve();
        return 'drop';
      };
    });
    await killed;
    smtp.hold = null;
    expect(await first.exited).toBeNull();
    const afterCrash = rows();
    expect(afterCrash.map((r) => r.status)).toEqual(['sent', 'sent', 'sending', 'sending', 'sending']);

    // A new process: the claimed rows come back only when their lease has run out.
    await new Promise((r) => setTimeout(r, LEASE_MS + 100));
    const second = startSender();
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain('sent 3');
    expect(rows().map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    expect(rows().map((r) => r.attempts)).toEqual([1, 1, 2, 2, 2]);
    expect([...deliveries().entries()].sort((a, b) => a[0] - b[0])).toEqual(ids.map((id) => [id, 1]));
  }, 30_000);

  it('killed after the server accepted but before the mark: the one resend carries the same Message-ID', async () => {
    const ids = queue(4);
    const first = startSender();
    let seen = 0;
    const killed = new Promise<void>((resolve) => {
      smtp.hold = async () => {
        seen++;
        if (seen !== 2) return 'accept';
        // Freeze the sender, let the server accept (its 250 sits unread in the frozen process's socket), then kill it.
        first.proc.kill('SIGSTOP');
        setTimeout(() => {
          first.proc.kill('SIGKILL');
          void first.exited.then(() => resolve());
        }, 200);
        return 'accept';
      };
    });
    await killed;
    smtp.hold = null;
    expect(rows().map((r) => r.status)).toEqual(['sent', 'sending', 'sending', 'sending']);

    await new Promise((r) => setTimeout(r, LEASE_MS + 100));
    const second = startSender();
    expect(await second.exited, second.output()).toBe(0);
    expect(rows().map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    const counts = deliveries();
    expect(ids.map((id) => counts.get(id))).toEqual([1, 2, 1, 1]);
    const copies = smtp.received.filter((m) => m.messageId === rows()[1]!.messageId);
    expect(copies).toHaveLength(2);
    // The same message (only the Date header and the MIME boundary are made per attempt).
    const body = (raw: string) => raw.replace(/^Date:.*$/m, '').replace(/_NmP-[0-9a-f]+-Part/g, 'boundary');
    expect(body(copies[0]!.raw)).toBe(body(copies[1]!.raw));
  }, 30_000);

  it('two sender processes at once: each row is claimed by one of them and delivered once', async () => {
    const ids = queue(12);
    // Small batches, so both processes keep claiming while the other sends.
    const senders = [startSender(2), startSender(2)];
    const codes = await Promise.all(senders.map((s) => s.exited));
    expect(codes, senders.map((s) => s.output()).join('\n')).toEqual([0, 0]);
    expect(rows().every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    expect([...deliveries().entries()].sort((a, b) => a[0] - b[0])).toEqual(ids.map((id) => [id, 1]));
    expect(db().select().from(outbox).where(eq(outbox.status, 'sent')).all()).toHaveLength(12);
  }, 30_000);
});
