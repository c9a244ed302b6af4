// Over 500 lines: the registry every emulator module plugs into (routes, types, expansion, transactions); one class by design.
/**
 * EmulatorApp: the registry every module plugs into (routes, object types, includable fields,
 * event hooks, scheduled-job handlers, reset hooks) and the per-request/per-job context `Ctx`.
 * One instance per running emulator. Modules export `register(app: EmulatorApp)`.
 */
import type Stripe from 'stripe';
import { Clock } from './clock';
import { StripeError, errors } from './errors';
import { newId as makeId, idPrefix } from './ids';
import { ObjectParam, p, type AnyParam, type ShapeOut } from './params';
import { Store, type ListQuery } from './store';
import { API_VERSION, includableIn, renderForVersion } from './versions';

type HttpMethod = 'GET' | 'POST' | 'DELETE';
type AuthMode = 'secret' | 'publishable' | 'either' | 'none';
export type KeyKind = 'secret' | 'publishable';

/** A non-JSON (or custom) response: HTML pages, PDFs, redirects. Return it from a handler. */
export class RawResponse {
  constructor(
    public status: number,
    public body: string | Buffer | Uint8Array,
    public headers: Record<string, string> = {},
  ) {}
  static html(html: string, status = 200): RawResponse {
    return new RawResponse(status, html, { 'Content-Type': 'text/html; charset=utf-8' });
  }
  static redirect(location: string, status = 303): RawResponse {
    return new RawResponse(status, '', { Location: location });
  }
  static json(body: unknown, status = 200): RawResponse {
    return new RawResponse(status, JSON.stringify(body), { 'Content-Type': 'application/json' });
  }
}

interface RouteRequest {
  method: string;
  path: string;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body (for custom parsing on `auth: 'none'` routes). */
  rawBody: string;
}

export interface RouteDef<S extends Record<string, AnyParam> = Record<string, AnyParam>> {
  method: HttpMethod;
  /** '/v1/customers/:id' — `:name` segments become req.pathParams.name. Static segments beat params. */
  path: string;
  /** Allowed params (query+body). `expand` is always allowed; `client_secret` too on publishable routes. Omit on 'none' routes to get raw params. */
  params?: ObjectParam<S>;
  /** Who may call: 'secret' (default), 'publishable' (pk only), 'either', 'none' (pages/control API). */
  auth?: AuthMode;
  /** Wrap the synchronous part of the handler in a SQLite transaction (default true). */
  transaction?: boolean;
  handler: (ctx: Ctx, params: ShapeOut<S> & { expand?: string[]; client_secret?: string }, req: RouteRequest) => unknown;
}

interface CompiledRoute {
  def: RouteDef<any>;
  segments: string[];
  statics: number;
}

export interface TypeDef {
  /** Stripe `object` value / store type, e.g. 'customer', 'test_helpers.test_clock'. */
  type: string;
  /** Id prefix ('cus'). Strings with this prefix are expandable into this type. */
  prefix?: string;
  /** For 404 messages ("No such <displayName>: 'id'"). Default: type. */
  displayName?: string;
  /** Custom loader for expansion (default: store.get(type, id, { includeDeleted: true })). */
  load?: (ctx: Ctx, id: string) => unknown;
}

export type IncludableFn = (ctx: Ctx, obj: any) => unknown;
export type EventHook = (ctx: Ctx, event: Stripe.Event) => void;
export type JobHandler = (ctx: Ctx, payload: any, job: Job) => void;

export interface Job {
  id: number;
  name: string;
  runAt: number;
  scope: string | null;
  key: string | null;
}

export interface ScheduleOpts {
  /** null/undefined = global clock; a test clock id = runs only when that clock advances (runDueJobs({ scope })). */
  scope?: string | null;
  /** Dedupe/cancel handle. With replace (default true) an existing job with the same key is replaced. */
  key?: string;
  replace?: boolean;
}

export interface Ctx {
  app: EmulatorApp;
  store: Store;
  clock: Clock;
  /** Unix seconds: emulator time, or the job's due time while a job runs. */
  now(): number;
  requestId: string | null;
  idempotencyKey: string | null;
  /** Key kind used by the caller (null inside jobs/control API). */
  auth: KeyKind | null;
  /** Base URL browsers use, no trailing slash. */
  publicUrl: string;
  newId(prefix: string): string;
  /** Store an event, run hooks now, deliver webhooks after commit. Returns the event. */
  emit(type: string, object: { id: string } & Record<string, any>, previousAttributes?: Record<string, unknown> | null): Stripe.Event;
  schedule(name: string, runAt: number, payload?: unknown, opts?: ScheduleOpts): number;
  cancelJobs(key: string): number;
  /** Build a Stripe list object from the store. */
  list<T = any>(
    type: string,
    params: ListParamsIn,
    q?: Omit<ListQuery<T>, 'limit' | 'startingAfter' | 'endingBefore' | 'created'>,
    url?: string,
  ): Stripe.ApiList<T>;
  expand<T>(obj: T, paths: string[] | undefined): T;
  /** Run fn after the current transaction commits (not at all on rollback). */
  afterCommit(fn: () => void): void;
}

interface ListParamsIn {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  created?: import('./params').RangeFilter;
}

export class EmulatorApp {
  readonly store: Store;
  readonly clock: Clock;
  publicUrl: string;
  private routes: CompiledRoute[] = [];
  private types = new Map<string, TypeDef>();
  private prefixes = new Map<string, TypeDef>();
  private includables = new Map<string, Map<string, IncludableFn>>();
  /** Includable fields kept on the stored object (the engine's state) but left out of every answer and event unless expanded. */
  private storedIncludables = new Map<string, Set<string>>();
  private hooks: { pattern: string; fn: EventHook }[] = [];
  /** Field names that may be expanded while null (Stripe rejects expanding non-expandable fields). */
  private expandableNames = new Set([
    'customer',
    'default_payment_method',
    'payment_method',
    'latest_charge',
    'product',
    'default_price',
    'price',
    'latest_invoice',
    'pending_setup_intent',
    'subscription',
    'invoice',
    'payment_intent',
    'setup_intent',
    'charge',
    'test_clock',
    'schedule',
    'coupon',
    'promotion_code',
    'balance_transaction',
    'source',
    'on_behalf_of',
    'application',
    'default_source',
    'discount',
    'plan',
    'released_subscription',
    'latest_attempt',
    'mandate',
    'review',
    'refund',
    'subscription_schedule',
    'payment_record',
    'destination',
    'transfer',
    'application_fee',
  ]);
  private jobHandlers = new Map<string, JobHandler>();
  private resetHooks: (() => void)[] = [];
  /** Set by the server: receives committed events for webhook delivery. */
  deliver: (event: Stripe.Event) => void = () => {};
  /** Set by the server: number of enabled endpoints an event would go to (for pending_webhooks). */
  countEndpoints: (type: string) => number = () => 0;
  log: (...args: unknown[]) => void = () => {};

  constructor(opts: { dbPath: string; publicUrl: string }) {
    this.store = new Store(opts.dbPath);
    this.clock = new Clock(this.store);
    this.publicUrl = opts.publicUrl;
  }

  // ---- registration ---------------------------------------------------------------------------

  route<S extends Record<string, AnyParam>>(def: RouteDef<S>): void {
    const segments = def.path.split('/').filter(Boolean);
    this.routes.push({ def: def as RouteDef<any>, segments, statics: segments.filter((s) => !s.startsWith(':')).length });
  }
  get<S extends Record<string, AnyParam>>(
    path: string,
    params: ObjectParam<S> | undefined,
    handler: RouteDef<S>['handler'],
    opts: Partial<RouteDef<S>> = {},
  ): void {
    this.route({ ...opts, method: 'GET', path, params, handler });
  }
  post<S extends Record<string, AnyParam>>(
    path: string,
    params: ObjectParam<S> | undefined,
    handler: RouteDef<S>['handler'],
    opts: Partial<RouteDef<S>> = {},
  ): void {
    this.route({ ...opts, method: 'POST', path, params, handler });
  }
  del<S extends Record<string, AnyParam>>(
    path: string,
    params: ObjectParam<S> | undefined,
    handler: RouteDef<S>['handler'],
    opts: Partial<RouteDef<S>> = {},
  ): void {
    this.route({ ...opts, method: 'DELETE', path, params, handler });
  }

  /** Declare field names that are expandable (needed only for fields that can be null). */
  expandableField(...names: string[]): void {
    for (const n of names) this.expandableNames.add(n);
  }

  registerType(def: TypeDef): void {
    this.types.set(def.type, def);
    this.expandableNames.add(def.type.split('.').pop()!);
    if (def.prefix) this.prefixes.set(def.prefix, def);
    if (def.displayName) this.store.displayNames.set(def.type, def.displayName);
  }

  /** A field computed only when requested with expand (e.g. invoice `confirmation_secret`). */
  includable(objectType: string, field: string, fn: IncludableFn): void {
    if (!this.includables.has(objectType)) this.includables.set(objectType, new Map());
    this.includables.get(objectType)!.set(field, fn);
  }

  /**
   * A field the engine keeps on the stored object that Stripe returns only when expanded (invoice
   * `payments`): left out of answers, event payloads and their `previous_attributes`
   * (`withoutStoredIncludables`); `expand[]=field` brings the stored value back.
   */
  storedIncludable(objectType: string, field: string, unstored: (obj: { id: string }) => unknown = () => null): void {
    if (!this.storedIncludables.has(objectType)) this.storedIncludables.set(objectType, new Set());
    this.storedIncludables.get(objectType)!.add(field);
    this.includable(objectType, field, (ctx, obj: { id: string }) => {
      const stored = ctx.store.get(objectType, obj.id, { includeDeleted: true }) as Record<string, unknown> | null;
      // An object never stored (a preview invoice) has the value `unstored` gives.
      return stored ? (stored[field] ?? null) : unstored(obj);
    });
  }

  /** `value` without the stored includables of any object in it; copies only what it changes. */
  withoutStoredIncludables<T>(value: T): T {
    if (this.storedIncludables.size === 0) return value;
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) {
        let out: unknown[] | null = null;
        node.forEach((v, i) => {
          const w = walk(v);
          if (w !== v) (out ??= [...node])[i] = w;
        });
        return out ?? node;
      }
      if (!node || typeof node !== 'object') return node;
      const o = node as Record<string, unknown>;
      if (o.object === 'event') return o;
      const hidden = typeof o.object === 'string' ? this.storedIncludables.get(o.object) : undefined;
      let out: Record<string, unknown> | null = null;
      for (const k of Object.keys(o)) {
        if (hidden?.has(k)) {
          out ??= { ...o };
          delete out[k];
          continue;
        }
        const w = walk(o[k]);
        if (w !== o[k]) (out ??= { ...o })[k] = w;
      }
      return out ?? o;
    };
    return walk(value) as T;
  }

  /** Synchronous hook run inside the emitting transaction. pattern: exact type, 'invoice.*' or '*'. */
  onEvent(pattern: string, fn: EventHook): void {
    this.hooks.push({ pattern, fn });
  }

  defineJob(name: string, fn: JobHandler): void {
    this.jobHandlers.set(name, fn);
  }

  onReset(fn: () => void): void {
    this.resetHooks.push(fn);
  }

  // ---- routing --------------------------------------------------------------------------------

  match(method: string, path: string): { route: RouteDef<any>; pathParams: Record<string, string> } | null {
    const segs = path.split('/').filter(Boolean);
    let best: { c: CompiledRoute; params: Record<string, string> } | null = null;
    for (const c of this.routes) {
      if (c.def.method !== method || c.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const s = c.segments[i]!;
        if (s.startsWith(':')) {
          try {
            params[s.slice(1)] = decodeURIComponent(segs[i]!);
          } catch {
            ok = false;
            break;
          }
        } else if (s !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (ok && (!best || c.statics > best.c.statics)) best = { c, params };
    }
    return best ? { route: best.c.def, pathParams: best.params } : null;
  }

  /** Any route at this path under another method (for 404 vs 405-ish decisions). */
  hasPath(path: string): boolean {
    return ['GET', 'POST', 'DELETE'].some((m) => this.match(m, path));
  }

  /** Schema used to validate a route's params (adds expand / client_secret). */
  paramSchema(def: RouteDef<any>): ObjectParam<any> | null {
    if (!def.params) return def.auth === 'none' ? null : p.object({ expand: p.array(p.string()) });
    const extra: Record<string, AnyParam> = { expand: p.array(p.string()) };
    if (def.auth === 'publishable' || def.auth === 'either') extra.client_secret = p.string();
    return def.params.extend(extra);
  }

  // ---- context --------------------------------------------------------------------------------

  makeCtx(init: { requestId?: string | null; idempotencyKey?: string | null; auth?: KeyKind | null }): Ctx & { _after: (() => void)[] } {
    const app = this;
    const after: (() => void)[] = [];
    const ctx: Ctx & { _after: (() => void)[] } = {
      app,
      store: app.store,
      clock: app.clock,
      now: () => app.clock.now(),
      requestId: init.requestId ?? null,
      idempotencyKey: init.idempotencyKey ?? null,
      auth: init.auth ?? null,
      publicUrl: app.publicUrl,
      _after: after,
      newId: (prefix) => makeId(prefix),
      emit: (type, object, prev) => app.emitEvent(ctx, type, object, prev),
      schedule: (name, runAt, payload, opts) => app.scheduleJob(name, runAt, payload, opts),
      cancelJobs: (key) => app.store.stmt('DELETE FROM jobs WHERE key = ?').run(key).changes,
      list: (type, params, q = {}, url) => {
        const r = app.store.list(type, {
          ...q,
          limit: params.limit,
          startingAfter: params.starting_after,
          endingBefore: params.ending_before,
          created: params.created,
        });
        return { object: 'list', data: r.data, has_more: r.has_more, url: url ?? `/v1/${type}s` } as Stripe.ApiList<any>;
      },
      expand: (obj, paths) => app.expandObject(ctx, obj, paths),
      afterCommit: (fn) => after.push(fn),
    };
    return ctx;
  }

  /**
   * Run fn(ctx) in one transaction; after commit run afterCommit callbacks (webhook delivery).
   * A thrown StripeError with commit: true (card errors) keeps the writes and is re-thrown.
   */
  runInTransaction<R>(ctx: Ctx & { _after: (() => void)[] }, fn: () => R): R {
    const db = this.store.db;
    const nested = db.inTransaction;
    if (nested) return fn();
    db.exec('BEGIN IMMEDIATE');
    let result: R;
    try {
      result = fn();
    } catch (e) {
      if (e instanceof StripeError && e.commit) {
        db.exec('COMMIT');
        this.flushAfter(ctx);
      } else {
        db.exec('ROLLBACK');
        this.store.rolledBack();
        ctx._after.length = 0;
      }
      throw e;
    }
    db.exec('COMMIT');
    this.flushAfter(ctx);
    return result;
  }

  private flushAfter(ctx: { _after: (() => void)[] }): void {
    const fns = ctx._after.splice(0);
    for (const fn of fns) {
      try {
        fn();
      } catch (e) {
        this.log('afterCommit callback failed', e);
      }
    }
  }

  // ---- events ---------------------------------------------------------------------------------

  emitEvent(ctx: Ctx, type: string, object: Record<string, any>, prev?: Record<string, unknown> | null): Stripe.Event {
    const hidden = this.storedIncludables.get(object.object as string);
    const event = {
      id: makeId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: ctx.now(),
      data: prev
        ? { object: this.withoutStoredIncludables(structuredClone(object)), previous_attributes: withoutKeys(prev, hidden) }
        : { object: this.withoutStoredIncludables(structuredClone(object)) },
      livemode: false,
      pending_webhooks: this.countEndpoints(type),
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
      type,
    } as unknown as Stripe.Event;
    this.store.put('event', event as unknown as { id: string; created: number });
    // retention counts from when the event was stored on the global clock, not from `created`
    // (events of a test clock carry the clock's time, which may be months in the past)
    this.store.setInternal(event.id, { stored_at: Math.floor(this.clock.nowMs() / 1000) });
    for (const h of this.hooks) {
      if (h.pattern === '*' || h.pattern === type || (h.pattern.endsWith('.*') && type.startsWith(h.pattern.slice(0, -1))))
        h.fn(ctx, event);
    }
    ctx.afterCommit(() => this.deliver(event));
    return event;
  }

  // ---- scheduler ------------------------------------------------------------------------------

  scheduleJob(name: string, runAt: number, payload: unknown = null, opts: ScheduleOpts = {}): number {
    const store = this.store;
    if (opts.key && opts.replace !== false) store.stmt('DELETE FROM jobs WHERE key = ?').run(opts.key);
    const r = store
      .stmt('INSERT INTO jobs (name, run_at, scope, key, payload) VALUES (?, ?, ?, ?, ?)')
      .run(name, Math.floor(runAt), opts.scope ?? null, opts.key ?? null, JSON.stringify(payload ?? null));
    return Number(r.lastInsertRowid);
  }

  /** Pending jobs (for inspection/tests). */
  listJobs(scope: string | null = null): (Job & { payload: unknown })[] {
    const rows = this.store.db
      .prepare(`SELECT * FROM jobs WHERE ${scope === null ? 'scope IS NULL' : 'scope = ?'} ORDER BY run_at, id`)
      .all(...(scope === null ? [] : [scope])) as {
      id: number;
      name: string;
      run_at: number;
      scope: string | null;
      key: string | null;
      payload: string;
    }[];
    return rows.map((r) => ({ id: r.id, name: r.name, runAt: r.run_at, scope: r.scope, key: r.key, payload: JSON.parse(r.payload) }));
  }

  /**
   * Run every job of `scope` due at or before `until`, earliest first (jobs a job schedules that
   * fall before `until` run too). Each job runs in its own transaction with ctx.now() = its due time.
   * A failing job is logged and dropped. Returns the number of jobs run.
   */
  runDueJobs(opts: { until: number; scope?: string | null }): number {
    const scope = opts.scope ?? null;
    const db = this.store.db;
    const next = db.prepare(
      `SELECT * FROM jobs WHERE ${scope === null ? 'scope IS NULL' : 'scope = ?'} AND run_at <= ? ORDER BY run_at, id LIMIT 1`,
    );
    let count = 0;
    for (;;) {
      const row = (scope === null ? next.get(opts.until) : next.get(scope, opts.until)) as
        { id: number; name: string; run_at: number; scope: string | null; key: string | null; payload: string } | undefined;
      if (!row) break;
      count++;
      if (count > 100000) throw new Error('runaway scheduler: more than 100000 jobs in one advance');
      const job: Job = { id: row.id, name: row.name, runAt: row.run_at, scope: row.scope, key: row.key };
      const handler = this.jobHandlers.get(row.name);
      const ctx = this.makeCtx({});
      const runAt = scope === null ? Math.max(row.run_at, this.clock.now()) : row.run_at;
      try {
        this.clock.pinnedAt(runAt, () =>
          this.runInTransaction(ctx, () => {
            this.store.stmt('DELETE FROM jobs WHERE id = ?').run(row.id);
            if (!handler) throw new Error(`no handler for job ${row.name}`);
            handler(ctx, JSON.parse(row.payload), job);
          }),
        );
      } catch (e) {
        this.log(`job ${row.name}#${row.id} failed:`, e);
        this.store.stmt('DELETE FROM jobs WHERE id = ?').run(row.id);
      }
    }
    return count;
  }

  /** Move the global clock to `to` (unix s), running due global jobs in time order on the way. */
  advanceClock(to: number): { from: number; to: number; jobs: number } {
    const from = this.clock.now();
    if (to < from) throw errors.invalid(`Cannot move the clock backwards (now ${from}, requested ${to}).`, 'to');
    let jobs = 0;
    for (;;) {
      const row = this.store.stmt('SELECT run_at FROM jobs WHERE scope IS NULL AND run_at <= ? ORDER BY run_at, id LIMIT 1').get(to) as
        { run_at: number } | undefined;
      if (!row) break;
      this.clock.setOffsetTo(row.run_at);
      jobs += this.runDueJobs({ until: row.run_at });
    }
    this.clock.setOffsetTo(to);
    this.clock.notify(from, to);
    jobs += this.runDueJobs({ until: to });
    return { from, to: this.clock.now(), jobs };
  }

  // ---- expansion ------------------------------------------------------------------------------

  loadById(ctx: Ctx, id: string): unknown | undefined {
    const def = this.prefixes.get(idPrefix(id));
    if (!def) return undefined;
    if (def.load) return def.load(ctx, id) ?? undefined;
    return this.store.get(def.type, id, { includeDeleted: true }) ?? undefined;
  }

  /**
   * Expand `paths` on `obj`. With `version` (a request's API version, see versions.ts) `obj` is
   * already rendered in that version, and so is every object loaded on the way; includables the
   * version does not have are refused like any unknown field.
   */
  expandObject<T>(ctx: Ctx, obj: T, paths: string[] | undefined, version?: string): T {
    if (!paths || paths.length === 0) return obj;
    let out = structuredClone(obj);
    for (const path of paths) {
      const segs = path.split('.');
      if (segs.length > 4 + (segs[0] === 'data' ? 1 : 0))
        throw errors.invalid(`You cannot expand more than 4 levels of a property. Property: ${path}`, 'expand');
      out = this.expandPath(ctx, out, segs, path, version) as T;
    }
    return out;
  }

  private expandPath(ctx: Ctx, node: unknown, segs: string[], full: string, version?: string): unknown {
    if (segs.length === 0 || node === null || node === undefined) return node;
    if (Array.isArray(node)) return node.map((n) => this.expandPath(ctx, n, segs, full, version));
    if (typeof node !== 'object') throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
    const obj = node as Record<string, unknown>;
    const [field, ...rest] = segs as [string, ...string[]];
    const type = typeof obj.object === 'string' ? obj.object : undefined;
    const incl = type && (!version || includableIn(type, field, version)) ? this.includables.get(type)?.get(field) : undefined;
    const rendered = (v: unknown) => (version ? renderForVersion(v, version, ctx) : v);
    let value: unknown;
    if (incl && (obj[field] === undefined || typeof obj[field] === 'string' || obj[field] === null)) {
      value = rendered(incl(ctx, obj));
    } else {
      if (!(field in obj)) throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
      value = obj[field];
      if (typeof value === 'string') {
        // Ids without a prefix (a coupon's are chosen by the account) are found under the field's name.
        const loaded = this.loadById(ctx, value) ?? this.store.get(field, value, { includeDeleted: true }) ?? undefined;
        if (loaded === undefined) {
          if (!this.prefixes.has(idPrefix(value))) throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
        } else value = rendered(this.withoutStoredIncludables(structuredClone(loaded)));
      } else if (Array.isArray(value)) {
        // A list of ids (a subscription's `discounts`): each one expands.
        value = value.map((v) => {
          if (typeof v !== 'string') return v;
          const loaded = this.loadById(ctx, v);
          if (loaded === undefined) throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
          return rendered(this.withoutStoredIncludables(structuredClone(loaded)));
        });
      } else if (value === null) {
        if (!this.expandableNames.has(field) && rest.length === 0)
          throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
      } else if (typeof value !== 'object') {
        throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
      }
    }
    obj[field] = this.expandPath(ctx, value, rest, full, version);
    return obj;
  }

  // ---- reset ----------------------------------------------------------------------------------

  reset(): void {
    this.store.wipe();
    this.clock.reset();
    for (const fn of this.resetHooks) fn();
  }
}

function withoutKeys(obj: Record<string, unknown>, keys: Set<string> | undefined): Record<string, unknown> {
  return keys ? Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.has(k))) : obj;
}

/** previous_attributes for an update event: the old values of top-level fields that changed (nested hashes diffed one level down, as Stripe does for metadata). */
export function previousAttributes(before: Record<string, any>, after: Record<string, any>): Record<string, unknown> | null {
  const prev: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of keys) {
    const a = before[k];
    const b = after[k];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b) && a.object === undefined) {
      const sub: Record<string, unknown> = {};
      for (const kk of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (JSON.stringify(a[kk]) !== JSON.stringify(b[kk])) sub[kk] = a[kk] === undefined ? null : a[kk];
      }
      prev[k] = sub;
    } else prev[k] = a === undefined ? null : a;
  }
  return Object.keys(prev).length ? prev : null;
}
