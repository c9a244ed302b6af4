import crypto from 'node:crypto';
import { and, count, eq, gt, isNull } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { passwordResetTokens, users, type User } from '~/db/schema';
import { queueMail } from '~/mail/outbox.server';
import { env } from '~/lib/env.server';
import { machineClock } from '~/lib/clock.server';
import { hashToken } from './session.server';
import { getUserByEmail, setPassword } from './users.server';

/**
 * "Forgot password?" (docs/decisions/022-password-reset.md): a single-use link valid 30 minutes, queued
 * in the email outbox (a sender delivers it). The request answers the same whether or not the address
 * has an account; only the token's sha256 is kept in `password_reset_tokens`.
 */
export const RESET_TTL_MS = 30 * 60 * 1000;
/** Links per account per hour; further requests answer the same and send nothing. */
const MAX_LINKS_PER_HOUR = 3;

export function requestPasswordReset(email: string): void {
  const user = getUserByEmail(email);
  if (!user) return;
  const now = machineClock.nowMs();
  const recent =
    db()
      .select({ n: count() })
      .from(passwordResetTokens)
      .where(and(eq(passwordResetTokens.userId, user.id), gt(passwordResetTokens.createdAt, new Date(now - 60 * 60 * 1000))))
      .get()?.n ?? 0;
  if (recent >= MAX_LINKS_PER_HOUR) return;
  const token = crypto.randomBytes(32).toString('base64url');
  const id = hashToken(token);
  const expiresAt = now + RESET_TTL_MS;
  const resetUrl = `${env().APP_URL.replace(/\/$/, '')}/reset-password?${new URLSearchParams({ token })}`;
  db().transaction((tx) => {
    tx.insert(passwordResetTokens)
      .values({ id, userId: user.id, createdAt: new Date(now), expiresAt: new Date(expiresAt) })
      .run();
    queueMail(tx, {
      dedupeKey: `password-reset:${id}`,
      kind: 'password_reset',
      userId: user.id,
      data: { name: user.name, resetUrl, expiresAt: new Date(expiresAt).toISOString(), validMinutes: RESET_TTL_MS / 60_000 },
    });
  });
}

function liveToken(token: string) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  return (
    db()
      .select({ id: passwordResetTokens.id, userId: passwordResetTokens.userId })
      .from(passwordResetTokens)
      .where(
        and(
          eq(passwordResetTokens.id, hashToken(token)),
          isNull(passwordResetTokens.usedAt),
          gt(passwordResetTokens.expiresAt, machineClock.now()),
        ),
      )
      .get() ?? null
  );
}

/** Whether a link can still be used (the reset page shows its form only then). */
export function resetTokenIsLive(token: string): boolean {
  return liveToken(token) !== null;
}

/**
 * Uses the link: marks it (and every other link of the account) used, then sets the password.
 * Returns the user, or null when the link is unknown, used or expired. Callers revoke the sessions.
 */
export async function resetPassword(token: string, password: string): Promise<User | null> {
  const live = liveToken(token);
  if (!live) return null;
  const claimed = db()
    .update(passwordResetTokens)
    .set({ usedAt: machineClock.now() })
    .where(and(eq(passwordResetTokens.id, live.id), isNull(passwordResetTokens.usedAt)))
    .run();
  if (claimed.changes === 0) return null; // a concurrent request used it first
  db()
    .update(passwordResetTokens)
    .set({ usedAt: machineClock.now() })
    .where(and(eq(passwordResetTokens.userId, live.userId), isNull(passwordResetTokens.usedAt)))
    .run();
  await setPassword(live.userId, password);
  return db().select().from(users).where(eq(users.id, live.userId)).get() ?? null;
}
