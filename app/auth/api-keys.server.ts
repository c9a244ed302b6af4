import crypto from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { apiKeys, users, type ApiKey, type User } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { env } from '~/lib/env.server';

/**
 * Keys say which Stripe mode made them: `bp_test_` with test keys or the emulator, `bp_live_` with
 * live keys (or none). Only the hash is looked up, so keys made under either prefix keep working.
 */
function keyPrefix(): string {
  const mode = env().stripeMode;
  return mode === 'test' || mode === 'emulator' ? 'bp_test_' : 'bp_live_';
}

function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/** Creates a key; the plain key is returned once and only its hash is stored. */
export function createApiKey({ userId, name }: { userId: string; name: string }): { key: string; apiKey: ApiKey } {
  const prefix = keyPrefix();
  const key = prefix + crypto.randomBytes(24).toString('base64url');
  const apiKey = db()
    .insert(apiKeys)
    .values({
      id: `key_${crypto.randomBytes(9).toString('base64url')}`,
      userId,
      name: name.trim(),
      prefix: key.slice(0, prefix.length + 6),
      keyHash: hashKey(key),
      createdAt: clock.now(),
    })
    .returning()
    .get();
  return { key, apiKey };
}

export function listApiKeys({ userId }: { userId: string }): ApiKey[] {
  return db().select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt)).all();
}

/** Revokes one of the user's own keys; another user's key id simply matches nothing. */
export function revokeApiKey({ id, userId }: { id: string; userId: string }): boolean {
  const result = db()
    .update(apiKeys)
    .set({ revokedAt: clock.now() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .run();
  return result.changes > 0;
}

/** The user behind `Authorization: Bearer <key>`, or null for a missing, unknown or revoked key. */
export function authenticateApiKey(authorization: string | null): { user: User; apiKey: ApiKey } | null {
  const match = authorization?.match(/^Bearer\s+(\S+)$/i);
  if (!match) return null;
  const row = db()
    .select({ user: users, apiKey: apiKeys })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.keyHash, hashKey(match[1]!)), isNull(apiKeys.revokedAt)))
    .get();
  if (!row) return null;
  db().update(apiKeys).set({ lastUsedAt: clock.now() }).where(eq(apiKeys.id, row.apiKey.id)).run();
  return row;
}
