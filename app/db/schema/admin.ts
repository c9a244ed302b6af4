import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The operator console's audit log (docs/admin.md): one row per admin action — who (the operator's
 * user id and email at the time), what (`replay`, `replay-failed`, `resync`, `drift`, `drift-all`),
 * on what (`target`: an event id, a Stripe customer id, `all`), when, and its outcome in `detail`.
 */
export const adminAudit = sqliteTable(
  'admin_audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    actorUserId: text('actor_user_id').notNull(),
    actorEmail: text('actor_email').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull(),
    /** The customer the action concerns, when there is one (the customer page's timeline). */
    customerId: text('customer_id'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('admin_audit_created_idx').on(t.createdAt), index('admin_audit_customer_idx').on(t.customerId, t.createdAt)],
);

export const ADMIN_JOB_STATUSES = ['running', 'done', 'failed'] as const;

/**
 * Background jobs the console starts (the drift report over every customer): a progress row the page
 * polls. `total`/`done` count customers; `result` holds the differences found (capped).
 */
export const adminJobs = sqliteTable(
  'admin_jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    status: text('status', { enum: ADMIN_JOB_STATUSES }).notNull(),
    startedBy: text('started_by').notNull(),
    total: integer('total').notNull().default(0),
    done: integer('done').notNull().default(0),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    error: text('error'),
    startedAt: integer('started_at').notNull(),
    /** ms; a running job whose heartbeat stopped (the process died) is shown as interrupted. */
    heartbeatAt: integer('heartbeat_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('admin_jobs_kind_idx').on(t.kind, t.startedAt)],
);

export type AdminAuditRow = typeof adminAudit.$inferSelect;
export type AdminJobRow = typeof adminJobs.$inferSelect;
