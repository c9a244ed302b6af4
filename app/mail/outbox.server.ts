/**
 * Writing the outbox (docs/billing.md, "Emails"). `queueMail` is called INSIDE the transaction of the
 * change that causes the message (a webhook's effects, a usage threshold, a password-reset token), so
 * the message exists if and only if the change committed. It renders the message then (what the
 * operator console previews is what will be sent) and inserts it once per cause: a second call with
 * the same `dedupeKey` does nothing and returns false.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '~/billing/sync.server';
import { outbox, users } from '~/db/schema';
import { env } from '~/lib/env.server';
import { machineClock } from '~/lib/clock.server';
import { renderMail, type MailKind } from './templates';

type Writer = Pick<Tx, 'select' | 'insert'>;

const wakers = new Set<() => void>();

/** The sender subscribes here to wake when a message is queued (after the caller's commit). */
export function onMailQueued(listener: () => void): () => void {
  wakers.add(listener);
  return () => wakers.delete(listener);
}

export function queueMail(
  tx: Writer,
  mail: { dedupeKey: string; kind: MailKind; userId: string | null; to?: string | null; data: Record<string, unknown> },
): boolean {
  const user = mail.userId
    ? tx.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, mail.userId)).get()
    : undefined;
  const to = mail.to ?? user?.email ?? null;
  const rendered = renderMail(mail.kind, mail.data, { appUrl: env().APP_URL.replace(/\/$/, ''), name: user?.name ?? null });
  const result = tx
    .insert(outbox)
    .values({
      dedupeKey: mail.dedupeKey,
      template: mail.kind,
      userId: mail.userId,
      toEmail: to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      data: mail.data,
      // Nobody to send it to (a customer with no account here): kept, visible, never tried.
      ...(to ? {} : { status: 'failed' as const, lastError: 'No recipient: the customer has no account in the app.' }),
      createdAt: machineClock.nowMs(),
    })
    .onConflictDoNothing()
    .run();
  if (result.changes > 0 && to) setTimeout(() => wakers.forEach((wake) => wake()), 0);
  return result.changes > 0;
}

/** True when the user has no receipt yet: their first one also says welcome. */
export function isFirstReceipt(tx: Writer, userId: string | null): boolean {
  if (!userId) return false;
  const earlier = tx
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.userId, userId), inArray(outbox.template, ['invoice-paid', 'payment-receipt'])))
    .limit(1)
    .get();
  return !earlier;
}
