import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Metered usage (docs/billing.md, "Usage"). Written only by `app/usage/*.server.ts`.
 *
 * `usage_events` is the append-only ledger: one row per counted API call, inserted before the call
 * is answered (group commit: many calls per transaction). Rows are never updated except to set
 * `report_id` once, when the reporter folds them into a `meter_reports` row. Times are ms.
 */
export const usageEvents = sqliteTable(
  'usage_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id').notNull(),
    /** The API key the call came with (null for usage recorded by other means). */
    apiKeyId: text('api_key_id'),
    /** The Stripe meter's `event_name` (`api_call`). */
    meter: text('meter').notNull(),
    value: integer('value').notNull().default(1),
    occurredAt: integer('occurred_at').notNull(),
    /** The client's `Idempotency-Key`, when it sent one: a retried call is counted once. */
    idempotencyKey: text('idempotency_key'),
    /** The meter report that carries this row to Stripe; null until the reporter takes it. */
    reportId: integer('report_id'),
  },
  (t) => [
    index('usage_events_unreported_idx').on(t.reportId, t.userId, t.meter, t.occurredAt),
    uniqueIndex('usage_events_idempotency_idx')
      .on(t.userId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
  ],
);

/** Daily rollups per (user, meter, UTC day, key), kept in the same transactions as the ledger. */
export const usageDaily = sqliteTable(
  'usage_daily',
  {
    userId: text('user_id').notNull(),
    meter: text('meter').notNull(),
    /** UTC day, `YYYY-MM-DD`. */
    day: text('day').notNull(),
    /** '' when the usage came without a key. */
    apiKeyId: text('api_key_id').notNull(),
    calls: integer('calls').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.meter, t.day, t.apiKeyId] })],
);

export const METER_REPORT_STATUSES = ['pending', 'sent', 'failed'] as const;

/**
 * One meter event sent (or to be sent) to Stripe: the sum of a customer's unreported ledger rows in
 * one reporting window. The row, its `identifier` and the ledger rows' `report_id` are written in one
 * transaction before anything is sent, so a resend after a crash, a timeout or a 5xx carries the
 * same identifier and Stripe de-duplicates it.
 */
export const meterReports = sqliteTable(
  'meter_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id').notNull(),
    customerId: text('customer_id').notNull(),
    meter: text('meter').notNull(),
    /** The window [start, end) in unix seconds. */
    windowStart: integer('window_start').notNull(),
    windowEnd: integer('window_end').notNull(),
    /** The meter event's timestamp (unix seconds): the window's last call. */
    eventTimestamp: integer('event_timestamp').notNull(),
    firstEventId: integer('first_event_id').notNull(),
    lastEventId: integer('last_event_id').notNull(),
    rows: integer('rows').notNull(),
    value: integer('value').notNull(),
    identifier: text('identifier').notNull().unique(),
    status: text('status', { enum: METER_REPORT_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [
    index('meter_reports_status_idx').on(t.status, t.nextAttemptAt),
    uniqueIndex('meter_reports_window_idx').on(t.userId, t.meter, t.windowStart),
    index('meter_reports_customer_idx').on(t.customerId, t.eventTimestamp),
  ],
);

export type UsageEventRow = typeof usageEvents.$inferSelect;
export type MeterReportRow = typeof meterReports.$inferSelect;
