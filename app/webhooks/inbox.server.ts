/**
 * Webhook intake (docs/architecture.md): verify, store, answer. It never calls Stripe and never
 * touches the mirror; the worker does that later. `receiveStripeWebhook` is the one implementation of
 * `POST /webhooks/stripe`: the Remix resource route and the server's fast path both call it
 * (docs/decisions/010-webhook-intake.md).
 */
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { db, type Db } from '~/db/client.server';
import { stripeEvents } from '~/db/schema';
import { env } from '~/lib/env.server';
import { machineClock } from '~/lib/clock.server';
import { followedClockReached } from '~/lib/clock-follow.server';
import { isHandled } from './handlers.server';

/** Stripe's payloads are far smaller; anything above is refused with 413 before it is read in full. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** Stripe's default: only old timestamps are rejected. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks `Stripe-Signature` (`t=…,v1=…[,v1=…]`) against every configured secret: v1 is
 * HMAC-SHA256(`${t}.${rawBody}`) keyed with the whole `whsec_…` string; any match passes.
 * `nowSeconds` is wall time on purpose (not the billing clock, which may follow the emulator's test
 * clock): replay protection is about when the request was signed.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | null,
  secrets: string[],
  nowSeconds: number = Math.floor(Date.now() / 1000),
): VerifyResult {
  if (!header) return { ok: false, reason: 'missing Stripe-Signature header' };
  if (secrets.length === 0) return { ok: false, reason: 'no webhook secret configured' };
  let timestamp = -1;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = /^\d+$/.test(value) ? Number(value) : -1;
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp < 0) return { ok: false, reason: 'malformed Stripe-Signature header (no timestamp)' };
  if (signatures.length === 0) return { ok: false, reason: 'malformed Stripe-Signature header (no v1 signature)' };
  let matched = false;
  for (const secret of secrets) {
    const expected = crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
    for (const candidate of signatures) {
      if (crypto.timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: 'signature does not match' };
  if (nowSeconds - timestamp > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp outside the tolerance' };
  return { ok: true };
}

export interface IntakeResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown, headers?: Record<string, string>): IntakeResponse => ({
  status,
  body: JSON.stringify(value),
  headers,
});

/** A 4xx for a bad request: one line, a warning in the log (never the body or the secret). */
function reject(status: number, reason: string): IntakeResponse {
  console.warn(`stripe webhook rejected (${status}): ${reason}`);
  return json(status, { error: reason });
}

type Listener = (eventId: string) => void;
const listeners = new Set<Listener>();
/** The worker subscribes here to wake up as soon as an event is stored. */
export function onEventStored(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

interface Parsed {
  id: string;
  type: string;
  created: number;
  objectId: string | null;
  apiVersion: string | null;
  livemode: boolean;
}

function parseEvent(text: string): Parsed | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const e = value as {
    id?: unknown;
    object?: unknown;
    type?: unknown;
    created?: unknown;
    api_version?: unknown;
    livemode?: unknown;
    data?: { object?: { id?: unknown } };
  };
  if (typeof e.id !== 'string' || !e.id || typeof e.type !== 'string' || typeof e.created !== 'number') return null;
  if (!e.data || typeof e.data !== 'object' || !e.data.object || typeof e.data.object !== 'object') return null;
  return {
    id: e.id,
    type: e.type,
    created: e.created,
    objectId: typeof e.data.object.id === 'string' ? e.data.object.id : null,
    apiVersion: typeof e.api_version === 'string' ? e.api_version : null,
    livemode: e.livemode === true,
  };
}

const INSERT_EVENT = `insert into stripe_events
  (id, type, object_id, created, api_version, livemode, payload, status, source, received_at, processed_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict(id) do nothing`;
/**
 * The insert, prepared once per database handle on better-sqlite3 itself: Drizzle's prepared query
 * maps named placeholders per call, a measurable share of the intake's time (docs/performance.md).
 */
const insertStatements = new WeakMap<Db, Statement>();
type Stored = { inserted: boolean; status: 'pending' | 'ignored' };

function insertStatement(d: Db): Statement {
  let stmt = insertStatements.get(d);
  if (!stmt) insertStatements.set(d, (stmt = d.$client.prepare(INSERT_EVENT)));
  return stmt;
}

/** The insert alone (`INSERT … ON CONFLICT(id) DO NOTHING`); the caller commits and tells the worker. */
function insertEvent(stmt: Statement, payload: string, parsed: Parsed, source: 'webhook' | 'reconcile'): Stored {
  const handled = isHandled(parsed.type);
  const now = machineClock.nowMs();
  const status = handled ? 'pending' : 'ignored';
  const result = stmt.run(
    parsed.id,
    parsed.type,
    parsed.objectId,
    parsed.created,
    parsed.apiVersion,
    parsed.livemode ? 1 : 0,
    payload,
    status,
    source,
    now,
    handled ? null : now,
  );
  return { inserted: result.changes > 0, status };
}

function announce(parsed: Parsed, stored: Stored) {
  if (stored.inserted && stored.status === 'pending') for (const l of listeners) l(parsed.id);
}

/**
 * Stores one verified event (`INSERT … ON CONFLICT(id) DO NOTHING`). Types the app does not handle
 * are stored as `ignored`. Returns whether it was new. Used by reconcile.
 */
function storeEvent(payload: string, parsed: Parsed, source: 'webhook' | 'reconcile'): Stored {
  const stored = insertEvent(insertStatement(db()), payload, parsed, source);
  announce(parsed, stored);
  return stored;
}

interface Waiting {
  payload: string;
  parsed: Parsed;
  resolve(stored: Stored): void;
  reject(error: unknown): void;
}
let waiting: Waiting[] = [];

/**
 * Group commit: the webhooks whose bodies arrived in the same turn of the event loop are inserted in
 * one transaction, committed once (with the same WAL and `synchronous` settings as any other write),
 * and each is answered only after that commit: an answered event is as durable as before, and a
 * burst costs one commit instead of one per event (docs/performance.md). If the batch fails as a
 * whole (a lock held past `busy_timeout`, a full disk), each event is tried on its own, so each
 * request gets its own outcome.
 */
function commitWaiting() {
  const batch = waiting;
  waiting = [];
  const d = db();
  const stmt = insertStatement(d);
  let results: Stored[] | null = null;
  if (batch.length > 1) {
    try {
      results = d.$client.transaction(() => batch.map((w) => insertEvent(stmt, w.payload, w.parsed, 'webhook'))).immediate();
    } catch {
      results = null;
    }
  }
  batch.forEach((w, i) => {
    try {
      const stored = results ? results[i]! : insertEvent(stmt, w.payload, w.parsed, 'webhook');
      announce(w.parsed, stored);
      w.resolve(stored);
    } catch (error) {
      w.reject(error);
    }
  });
}

function storeWebhookEvent(payload: string, parsed: Parsed): Promise<Stored> {
  return new Promise((resolve, reject) => {
    if (waiting.length === 0) setImmediate(commitWaiting);
    waiting.push({ payload, parsed, resolve, reject });
  });
}

/** Enqueues an event read from `events.list` (reconcile): stored exactly as a webhook would be. */
export function enqueueFetchedEvent(event: { id: string; type: string }): Stored {
  const payload = JSON.stringify(event);
  const parsed = parseEvent(payload);
  if (!parsed) throw new Error(`not a Stripe event: ${event.id}`);
  return storeEvent(payload, parsed, 'reconcile');
}

/**
 * `POST /webhooks/stripe`, transport-free: the caller passes the method, the declared length and a
 * way to read the body with a cap. 200 for every stored or already-stored event (a 4xx would make
 * Stripe disable the endpoint), 400 with a one-line reason for anything unverifiable, 405, 413.
 */
export async function receiveStripeWebhook(input: {
  method: string;
  contentLength: number | null;
  signature: string | null;
  /** Resolves the raw body, or null when it exceeded `limit` bytes. */
  readBody(limit: number): Promise<Buffer | null>;
}): Promise<IntakeResponse> {
  if (input.method !== 'POST') return json(405, { error: 'use POST' }, { Allow: 'POST' });
  if (input.contentLength !== null && input.contentLength > MAX_WEBHOOK_BYTES) return reject(413, 'body larger than 1 MiB');
  const raw = await input.readBody(MAX_WEBHOOK_BYTES);
  if (raw === null) return reject(413, 'body larger than 1 MiB');
  const verdict = verifyStripeSignature(raw, input.signature, env().webhookSecrets);
  if (!verdict.ok) return reject(400, verdict.reason);
  const payload = raw.toString('utf8');
  const parsed = parseEvent(payload);
  if (!parsed) return reject(400, 'body is not a Stripe event');
  // Signed, so Stripe's (the emulator's) clock has reached this moment: the app's never lags behind
  // the events it mirrors (app/lib/clock-follow.server.ts).
  followedClockReached(parsed.created * 1000);
  const stored = await storeWebhookEvent(payload, parsed);
  return json(200, { received: true, duplicate: !stored.inserted, status: stored.status });
}

/** Reads a web ReadableStream (Remix `request.body`) up to `limit` bytes; null when above. */
export async function readWebBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer | null> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Reads a node request body up to `limit` bytes; null when above (the rest is drained, not kept). */
export function readNodeBody(req: NodeJS.ReadableStream, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Counts for /healthz: events waiting (pending or processing) and events that gave up (failed). */
export function webhookBacklog(): { pending: number; failed: number } {
  const row = db().get<{ pending: number | null; failed: number | null }>(
    sql`select sum(case when status in ('pending','processing') then 1 else 0 end) as pending,
               sum(case when status = 'failed' then 1 else 0 end) as failed
        from ${stripeEvents} where status in ('pending','processing','failed')`,
  );
  return { pending: row?.pending ?? 0, failed: row?.failed ?? 0 };
}
