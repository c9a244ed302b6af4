import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The webhook inbox (docs/architecture.md). `id` is the Stripe event id — a contract the operations docs and
 * checks rely on. The intake stores the raw payload and answers 200; the worker does the rest.
 */
export const EVENT_STATUSES = ['pending', 'processing', 'processed', 'failed', 'ignored'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const stripeEvents = sqliteTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** `data.object.id` of the event. */
    objectId: text('object_id'),
    created: integer('created').notNull(),
    apiVersion: text('api_version'),
    livemode: integer('livemode', { mode: 'boolean' }).notNull().default(false),
    payload: text('payload').notNull(),
    status: text('status', { enum: EVENT_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** ms; the worker claims pending rows whose time has come (backoff). */
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    /** ms; set when claimed, so a row left `processing` by a crash is recognised as stale. */
    lockedAt: integer('locked_at'),
    /** Where the event came from: `webhook`, `reconcile`, `replay`. */
    source: text('source').notNull().default('webhook'),
    receivedAt: integer('received_at').notNull(),
    processedAt: integer('processed_at'),
  },
  (t) => [index('stripe_events_status_idx').on(t.status, t.nextAttemptAt), index('stripe_events_object_idx').on(t.objectId)],
);

/**
 * Side effects of events, each recorded once by a key that names what happened (for example
 * `email:invoice-paid:in_123`, `trial-used:sub_123`): the row is inserted in the same transaction
 * as the effect, and a second attempt finds it and does nothing.
 */
export const webhookEffects = sqliteTable(
  'webhook_effects',
  {
    key: text('key').primaryKey(),
    kind: text('kind').notNull(),
    eventId: text('event_id').notNull(),
    userId: text('user_id'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('webhook_effects_user_idx').on(t.userId, t.kind)],
);

/** Emails to send (a later issue delivers them); one per dedupe key. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dedupeKey: text('dedupe_key').notNull().unique(),
    template: text('template').notNull(),
    userId: text('user_id'),
    toEmail: text('to_email'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [index('outbox_status_idx').on(t.status, t.nextAttemptAt)],
);

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type WebhookEffectRow = typeof webhookEffects.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
