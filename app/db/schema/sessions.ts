import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from './users';

/**
 * Server-side sessions (docs/decisions/020-server-side-sessions.md). The cookie carries a random token;
 * only its sha256 is stored here, so a copy of the database opens no session. A session is valid while
 * it is not revoked, `expiresAt` (absolute) has not passed and it was seen within the idle limit.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    /** sha256 (hex) of the cookie token. */
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
    /** Absolute expiry, fixed at creation. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    userAgent: text('user_agent'),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Single-use password reset links; only the token's sha256 is stored. */
export const passwordResetTokens = sqliteTable(
  'password_reset_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('password_reset_tokens_user_idx').on(t.userId)],
);

/**
 * Per-client-address attempts for rate limits (failed logins, sign-ups, reset requests); rows older
 * than the longest window are pruned as new ones arrive.
 */
export const clientAttempts = sqliteTable(
  'client_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    address: text('address').notNull(),
    attemptedAt: integer('attempted_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('client_attempts_kind_address_idx').on(t.kind, t.address, t.attemptedAt)],
);

export type SessionRow = typeof sessions.$inferSelect;
