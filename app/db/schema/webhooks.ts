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

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * The email outbox: the only way mail leaves the app (docs/billing.md, "Emails"). A row is written in
 * the same transaction as the change that causes it, once per cause (`dedupe_key`), with the message
 * already rendered; the sender (app/mail/sender.server.ts) delivers it. The operator console reads it.
 *
 * - `dedupe_key`: the cause, e.g. `email:payment-failed:{invoice}:{attempt}` (a Stripe fact) or
 *   `usage-alert:{user}:{period}:{allowance}:{threshold}`; a second write of the same cause does nothing.
 * - `template`: the kind of message (`invoice-paid`, `payment-failed`, `usage_threshold`, …; see
 *   app/mail/templates/index.ts).
 * - `to_email`, `subject`, `text`, `html`: the message as it will be sent (rendered when queued).
 * - `data`: the facts the message was rendered from (no secrets besides a password-reset link).
 * - `status`: `pending` (waiting, or retrying at `next_attempt_at`), `sending` (claimed by a sender
 *   until `locked_until`), `sent` (at `sent_at`), `failed` (gave up after N attempts, `last_error`).
 * - `message_id`: the Message-ID header, derived from the row id, the same on every attempt, so a
 *   receiver can drop the duplicate of the one at-least-once edge (a crash between send and mark).
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dedupeKey: text('dedupe_key').notNull().unique(),
    template: text('template').notNull(),
    userId: text('user_id'),
    toEmail: text('to_email'),
    subject: text('subject'),
    text: text('text'),
    html: text('html'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** ms; a pending row is not tried before this (backoff). */
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    /** ms; a `sending` row whose lease ran out was left by a crash and is tried again. */
    lockedUntil: integer('locked_until'),
    messageId: text('message_id'),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [index('outbox_status_idx').on(t.status, t.nextAttemptAt), index('outbox_user_idx').on(t.userId, t.createdAt)],
);

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type WebhookEffectRow = typeof webhookEffects.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
