import crypto from 'node:crypto';
import { and, eq, gte, lt } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { loginAttempts, users, type User } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { decoyHash, hashPassword, verifyPassword } from './password.server';

const THROTTLE_MAX_FAILURES = 5;
const THROTTLE_WINDOW_MS = 15 * 60 * 1000;

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function getUserByEmail(email: string): User | null {
  return (
    db()
      .select()
      .from(users)
      .where(eq(users.email, normalizeEmail(email)))
      .get() ?? null
  );
}

export class EmailTakenError extends Error {
  constructor() {
    super('An account with this email already exists. Log in instead.');
  }
}

export async function createUser(input: { email: string; name: string; password: string }): Promise<User> {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  const id = `usr_${crypto.randomBytes(12).toString('base64url')}`;
  try {
    return db().insert(users).values({ id, email, name: input.name.trim(), passwordHash, createdAt: clock.now() }).returning().get();
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: users\.email/.test(error.message)) throw new EmailTakenError();
    throw error;
  }
}

/** Changes name and/or email; throws EmailTakenError when the new email belongs to another account. */
export function updateUserProfile(userId: string, input: { name: string; email: string }): User {
  try {
    return db()
      .update(users)
      .set({ name: input.name.trim(), email: normalizeEmail(input.email) })
      .where(eq(users.id, userId))
      .returning()
      .get();
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: users\.email/.test(error.message)) throw new EmailTakenError();
    throw error;
  }
}

/** Stores a new password hash (callers revoke sessions: session.server.ts). */
export async function setPassword(userId: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  db().update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
}

/** How long until this email may try again, or 0 if it may now. */
export function throttleWaitMs(email: string): number {
  const now = clock.nowMs();
  const since = new Date(now - THROTTLE_WINDOW_MS);
  const rows = db()
    .select({ attemptedAt: loginAttempts.attemptedAt })
    .from(loginAttempts)
    .where(and(eq(loginAttempts.email, normalizeEmail(email)), gte(loginAttempts.attemptedAt, since)))
    .orderBy(loginAttempts.attemptedAt)
    .all();
  if (rows.length < THROTTLE_MAX_FAILURES) return 0;
  // The window reopens when the oldest of the last five failures leaves it.
  const oldestCounted = rows[rows.length - THROTTLE_MAX_FAILURES]!.attemptedAt.getTime();
  return Math.max(0, oldestCounted + THROTTLE_WINDOW_MS - now);
}

function recordFailure(email: string) {
  const now = clock.now();
  db()
    .insert(loginAttempts)
    .values({ email: normalizeEmail(email), attemptedAt: now })
    .run();
  // Keep the table small: anything older than the window is irrelevant.
  db()
    .delete(loginAttempts)
    .where(lt(loginAttempts.attemptedAt, new Date(now.getTime() - THROTTLE_WINDOW_MS)))
    .run();
}

/** Checks a password in constant time whether or not the email exists. Returns null on failure. */
export async function verifyLogin(email: string, password: string): Promise<User | null> {
  const user = getUserByEmail(email);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !ok) {
    recordFailure(email);
    return null;
  }
  db()
    .delete(loginAttempts)
    .where(eq(loginAttempts.email, normalizeEmail(email)))
    .run();
  return user;
}
