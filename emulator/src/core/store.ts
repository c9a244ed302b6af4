/**
 * The object store: every Stripe object lives as JSON in one SQLite table, keyed by id, with its
 * type, created time, an insertion sequence (for stable newest-first ordering) and a `customer`
 * column (filled from `obj.customer`) for the frequent filter. Other filters use json_extract.
 *
 * Objects are stored exactly as the API returns them unexpanded (ids, not nested objects).
 * Per-object private emulator state (e.g. a card's test number) goes to `internal`, never into the
 * public JSON.
 */
import Database from 'better-sqlite3';
import type Stripe from 'stripe';
import { errors } from './errors';
import type { RangeFilter } from './params';

/**
 * Known object types → their TypeScript shape. Extend it from your module with
 *   declare module '../core/store' { interface ObjectTypes { subscription: Stripe.Subscription } }
 * to get typed `store.get('subscription', id)`.
 */
interface ObjectTypes {
  customer: Stripe.Customer;
  payment_method: Stripe.PaymentMethod;
  payment_intent: Stripe.PaymentIntent;
  setup_intent: Stripe.SetupIntent;
  charge: Stripe.Charge;
  product: Stripe.Product;
  price: Stripe.Price;
  event: Stripe.Event;
  webhook_endpoint: Stripe.WebhookEndpoint;
}
type TypeOf<K extends string> = K extends keyof ObjectTypes ? ObjectTypes[K] : any;

interface StoredObject {
  id: string;
  created?: number;
  [k: string]: unknown;
}

type WhereValue = string | number | boolean | null | Array<string | number>;
export interface ListQuery<T = any> {
  /** Equality filters. Key = JSON path ('status', 'recurring.interval'); 'customer' uses the indexed column. Arrays mean IN. */
  where?: Record<string, WhereValue | undefined>;
  created?: RangeFilter;
  limit?: number;
  startingAfter?: string;
  endingBefore?: string;
  /** Extra JS predicate, applied while scanning in order. */
  filter?: (obj: T) => boolean;
}
export interface ListResult<T> {
  data: T[];
  has_more: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  created INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  customer TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_type_order ON objects(type, deleted, created DESC, seq DESC);
-- a customer's objects in list order (the filter and the order from one index, not a scan of the type)
DROP INDEX IF EXISTS objects_customer;
CREATE INDEX IF NOT EXISTS objects_customer_order ON objects(customer, type, deleted, created DESC, seq DESC);
CREATE TABLE IF NOT EXISTS internal (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  run_at INTEGER NOT NULL,
  scope TEXT,
  key TEXT,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(scope, run_at, id);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs(key);
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created INTEGER NOT NULL
);
`;

/** Told about every write to an object or its private state, and when earlier writes may have been undone. */
export interface StoreWatcher {
  changed(id: string): void;
  /** A rollback (or a wipe): anything learnt from the store may no longer hold. */
  reset(): void;
}

export class Store {
  readonly db: Database.Database;
  private seq = 0;
  /** Prepared statements by SQL text (better-sqlite3 compiles on every `prepare`). */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly watchers: StoreWatcher[] = [];
  /** Human names for "No such X" messages, by object type. */
  readonly displayNames = new Map<string, string>();

  constructor(dbPath: string) {
    this.db = new Database(dbPath);
    if (dbPath !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const row = this.db.prepare('SELECT MAX(seq) AS s FROM objects').get() as { s: number | null };
    this.seq = row.s ?? 0;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  /** The prepared statement for `sql`, compiled once (a fresh one if it is busy iterating). */
  stmt(sql: string): Database.Statement {
    const cached = this.statements.get(sql);
    if (cached && !cached.busy) return cached;
    const fresh = this.db.prepare(sql);
    if (cached) return fresh;
    // list() builds its SQL from the query's shape; a bound keeps odd shapes from piling up
    if (this.statements.size >= 1000) this.statements.clear();
    this.statements.set(sql, fresh);
    return fresh;
  }

  watch(watcher: StoreWatcher): void {
    this.watchers.push(watcher);
  }

  private changed(id: string): void {
    for (const w of this.watchers) w.changed(id);
  }

  /** Call after a ROLLBACK issued outside `transaction` (the watchers forget what they learnt). */
  rolledBack(): void {
    for (const w of this.watchers) w.reset();
  }

  /** Run fn in a transaction (nested calls become savepoints). */
  transaction<R>(fn: () => R): R {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.rolledBack();
      throw e;
    }
  }

  displayName(type: string): string {
    return this.displayNames.get(type) ?? type;
  }

  // ---- objects -------------------------------------------------------------------------------

  get<K extends string>(type: K, id: string, opts: { includeDeleted?: boolean } = {}): TypeOf<K> | null {
    const row = this.stmt('SELECT json, deleted FROM objects WHERE id = ? AND type = ?').get(id, type) as
      { json: string; deleted: number } | undefined;
    if (!row || (row.deleted && !opts.includeDeleted)) return null;
    return JSON.parse(row.json);
  }

  /** Like get, but throws Stripe's 404 "No such <type>: 'id'" (with `param` if given). */
  require<K extends string>(type: K, id: string, param?: string, opts: { includeDeleted?: boolean } = {}): TypeOf<K> {
    const obj = this.get(type, id, opts);
    if (!obj) throw errors.noSuch(this.displayName(type), id, param);
    return obj;
  }

  /** Any object by id, whatever its type (tombstones included). */
  getAny(id: string): { type: string; object: any; deleted: boolean } | null {
    const row = this.stmt('SELECT type, json, deleted FROM objects WHERE id = ?').get(id) as
      { type: string; json: string; deleted: number } | undefined;
    return row ? { type: row.type, object: JSON.parse(row.json), deleted: !!row.deleted } : null;
  }

  /** Insert or replace. Replacing keeps the original ordering position. Returns obj. */
  put<K extends string, T extends { id: string } = TypeOf<K>>(type: K, obj: T): T {
    const o = obj as unknown as StoredObject;
    const created = typeof o.created === 'number' ? o.created : Math.floor(Date.now() / 1000);
    const cust = o.customer;
    const customer =
      typeof cust === 'string' ? cust : cust && typeof cust === 'object' && 'id' in cust ? String((cust as { id: unknown }).id) : null;
    const existing = this.stmt('SELECT seq FROM objects WHERE id = ?').get(obj.id) as { seq: number } | undefined;
    const seq = existing ? existing.seq : ++this.seq;
    this.stmt(
      `INSERT INTO objects (id, type, created, seq, customer, deleted, json) VALUES (?, ?, ?, ?, ?, 0, ?)
         ON CONFLICT(id) DO UPDATE SET type = excluded.type, created = excluded.created, customer = excluded.customer,
           deleted = 0, json = excluded.json`,
    ).run(obj.id, type, created, seq, customer, JSON.stringify(obj));
    this.changed(obj.id);
    return obj;
  }

  /**
   * Delete. With a tombstone ({ id, object, deleted: true }) the row stays, hidden from lists and
   * `get` (use includeDeleted), as Stripe keeps deleted customers/products retrievable.
   */
  delete(type: string, id: string, tombstone?: Record<string, unknown>): void {
    if (tombstone) {
      this.stmt('UPDATE objects SET deleted = 1, json = ? WHERE id = ? AND type = ?').run(JSON.stringify(tombstone), id, type);
    } else {
      this.stmt('DELETE FROM objects WHERE id = ? AND type = ?').run(id, type);
      this.stmt('DELETE FROM internal WHERE id = ?').run(id);
    }
    this.changed(id);
  }

  /** Newest-first page with Stripe cursor semantics. */
  list<K extends string, T = TypeOf<K>>(type: K, q: ListQuery<T> = {}): ListResult<T> {
    const limit = q.limit ?? 10;
    const conds = ['type = ?', 'deleted = 0'];
    const args: unknown[] = [type];
    for (const [key, value] of Object.entries(q.where ?? {})) {
      if (value === undefined) continue;
      const col = key === 'customer' ? 'customer' : `json_extract(json, '$.${key.replace(/[^A-Za-z0-9_.]/g, '')}')`;
      if (value === null) conds.push(`${col} IS NULL`);
      else if (Array.isArray(value)) {
        if (value.length === 0) conds.push('0');
        else {
          conds.push(`${col} IN (${value.map(() => '?').join(',')})`);
          args.push(...value);
        }
      } else {
        conds.push(`${col} = ?`);
        args.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      }
    }
    const c = q.created;
    if (c) {
      if (c.eq !== undefined) {
        conds.push('created = ?');
        args.push(c.eq);
      }
      if (c.gt !== undefined) {
        conds.push('created > ?');
        args.push(c.gt);
      }
      if (c.gte !== undefined) {
        conds.push('created >= ?');
        args.push(c.gte);
      }
      if (c.lt !== undefined) {
        conds.push('created < ?');
        args.push(c.lt);
      }
      if (c.lte !== undefined) {
        conds.push('created <= ?');
        args.push(c.lte);
      }
    }
    let asc = false;
    const cursorId = q.startingAfter ?? q.endingBefore;
    if (cursorId) {
      const cur = this.stmt('SELECT created, seq FROM objects WHERE id = ? AND type = ?').get(cursorId, type) as
        { created: number; seq: number } | undefined;
      if (!cur) throw errors.noSuch(this.displayName(type), cursorId, q.startingAfter ? 'starting_after' : 'ending_before');
      if (q.startingAfter) conds.push('(created < ? OR (created = ? AND seq < ?))');
      else {
        conds.push('(created > ? OR (created = ? AND seq > ?))');
        asc = true;
      }
      args.push(cur.created, cur.created, cur.seq);
    }
    const order = asc ? 'created ASC, seq ASC' : 'created DESC, seq DESC';
    const sql = `SELECT json FROM objects WHERE ${conds.join(' AND ')} ORDER BY ${order}`;
    const out: T[] = [];
    let hasMore = false;
    for (const row of this.stmt(sql).iterate(...args) as Iterable<{ json: string }>) {
      const obj = JSON.parse(row.json) as T;
      if (q.filter && !q.filter(obj)) continue;
      if (out.length === limit) {
        hasMore = true;
        break;
      }
      out.push(obj);
    }
    if (asc) out.reverse();
    return { data: out, has_more: hasMore };
  }

  /** Every (non-deleted) object of a type matching the filters, newest first. */
  all<K extends string, T = TypeOf<K>>(type: K, q: Omit<ListQuery<T>, 'limit' | 'startingAfter' | 'endingBefore'> = {}): T[] {
    return this.list<K, T>(type, { ...q, limit: Number.MAX_SAFE_INTEGER }).data;
  }

  // ---- private per-object state ----------------------------------------------------------------

  getInternal<T = Record<string, unknown>>(id: string): T | null {
    const row = this.stmt('SELECT json FROM internal WHERE id = ?').get(id) as { json: string } | undefined;
    return row ? JSON.parse(row.json) : null;
  }

  setInternal(id: string, data: unknown): void {
    this.stmt('INSERT INTO internal (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json').run(
      id,
      JSON.stringify(data),
    );
    this.changed(id);
  }

  // ---- key/value ------------------------------------------------------------------------------

  getMeta(key: string): string | null {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? row.value : null;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Wipe everything (control API reset). */
  wipe(): void {
    this.db.exec('DELETE FROM objects; DELETE FROM internal; DELETE FROM meta; DELETE FROM jobs; DELETE FROM idempotency;');
    this.seq = 0;
    this.rolledBack();
  }
}
