/**
 * The outbox as the console shows it (docs/admin.md). Read with `select *` so every column the mail
 * sender keeps (subject, text, html, …, app/db/schema/webhooks.ts) is shown as it is; the preview is the
 * stored HTML, rendered by the page in a sandboxed iframe (no scripts, no same origin).
 */
import { db } from '~/db/client.server';
import type { OutboxView } from './views';

export interface OutboxItem {
  id: number;
  template: string;
  toEmail: string | null;
  subject: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

const PAGE = 50;

type RawRow = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function toItem(r: RawRow): OutboxItem {
  return {
    id: num(r.id)!,
    template: str(r.template) ?? '',
    toEmail: str(r.to_email),
    subject: str(r.subject),
    status: str(r.status) ?? 'pending',
    attempts: num(r.attempts) ?? 0,
    lastError: str(r.last_error),
    createdAt: num(r.created_at) ?? 0,
    sentAt: num(r.sent_at),
  };
}

/** Newest first, by id (keyset: `before`). */
export function listOutbox({ view, before }: { view: OutboxView; before: number | null }): {
  items: OutboxItem[];
  next: number | null;
  counts: Record<string, number>;
} {
  const sqlite = db().$client;
  const where = [view === 'all' ? null : 'status = @status', before ? 'id < @before' : null].filter(Boolean).join(' and ');
  const rows = sqlite
    .prepare(`select * from outbox ${where ? `where ${where}` : ''} order by id desc limit ${PAGE + 1}`)
    .all({ ...(view === 'all' ? {} : { status: view }), ...(before ? { before } : {}) }) as RawRow[];
  const counts = Object.fromEntries(
    (sqlite.prepare('select status, count(*) as n from outbox group by status').all() as { status: string; n: number }[]).map((r) => [
      r.status,
      r.n,
    ]),
  );
  const items = rows.slice(0, PAGE).map(toItem);
  return { items, next: rows.length > PAGE ? items.at(-1)!.id : null, counts };
}

export interface OutboxMessage extends OutboxItem {
  html: string | null;
  text: string | null;
  data: string;
}

/** One message in full: what the preview shows. */
export function getOutboxMessage(id: number): OutboxMessage | null {
  const row = db().$client.prepare('select * from outbox where id = ?').get(id) as RawRow | undefined;
  if (!row) return null;
  return { ...toItem(row), html: str(row.html), text: str(row.text), data: str(row.data) ?? '{}' };
}
