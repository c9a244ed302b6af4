import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from './users';

/**
 * Card fingerprints that have had a free trial: one trial per card, whatever the account
 * (docs/billing.md, "Trials"). Written by the billing domain when a trial's card is confirmed.
 */
export const trialFingerprints = sqliteTable('trial_fingerprints', {
  fingerprint: text('fingerprint').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  subscriptionId: text('subscription_id').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Why people cancel (optional, from a short list), kept for the product team. */
export const CANCELLATION_REASONS = ['too_expensive', 'missing_features', 'switched_service', 'unused', 'other'] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

export const cancellationReasons = sqliteTable(
  'cancellation_reasons',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    subscriptionId: text('subscription_id').notNull(),
    reason: text('reason', { enum: CANCELLATION_REASONS }),
    comment: text('comment'),
    /** The Stripe idempotency key of the cancel it explains: written before the call, so a crash
     * after Stripe applied the cancel keeps the reason, and a retry of the same action adds no row. */
    idempotencyKey: text('idempotency_key'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('cancellation_reasons_user_idx').on(t.userId),
    uniqueIndex('cancellation_reasons_idempotency_key_idx').on(t.idempotencyKey),
  ],
);
