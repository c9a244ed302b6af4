/**
 * The webhook worker's memory of its last read of each object (app/webhooks/worker.server.ts): a read
 * is reused, instead of reading Stripe again, for events that cannot be newer than it. Bounded in
 * bytes; the oldest reads are forgotten first, and a forgotten object is only read again.
 */
import zlib from 'node:zlib';
import type { Snapshot } from '~/billing/sync.server';
import type { InboxEvent, SyncTarget } from './handlers.server';

export interface LastRead {
  /** Stripe's time (the worker's `stripeNow`) when the read was sent: it reflects every event created before it. */
  after: number;
  /** When the read started (machine clock), the mirror's `synced_at` for it; it reflects every event stored before then. */
  fetchedAt: Date;
  /** The snapshot's JSON, deflated: a fraction of its size, so the same memory keeps several times the reads. */
  packed: Buffer;
}

/**
 * The event that created `target` itself (`invoice.created` for that invoice, not `invoiceitem.created`
 * for one of its items): any read that returned the object was made after it, so it reflects that change.
 */
function createsTarget(event: InboxEvent, target: SyncTarget): boolean {
  return event.type.endsWith('.created') && event.object.id === target.id;
}

/** An expanded object (`{ id, object, … }` where the other side has its id). */
function isExpanded(x: unknown): x is { id: string } {
  return !!x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string';
}

/**
 * The same value: deep equality, where an expanded object equals its id (the worker's reads expand
 * what an event's object only names). Anything else that differs, a key or a value, is a difference.
 */
function sameState(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'string') return isExpanded(b) && b.id === a;
  if (typeof b === 'string') return isExpanded(a) && a.id === b;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameState(x, b[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameState((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * The event's object is the state `held` (a read of the same object) is in: every field the event
 * carries has the same value in the read. Fields only a read has are ones it asked for (`tax_ids`,
 * an invoice's `payments`): an event never carries them, and their changes have events of their own.
 */
function carriesState(eventObject: Record<string, unknown>, held: unknown): boolean {
  if (!held || typeof held !== 'object') return false;
  return Object.keys(eventObject).every((k) => Object.hasOwn(held, k) && sameState(eventObject[k], (held as Record<string, unknown>)[k]));
}

/** Statuses an object never leaves (Stripe's state machines): a read showing one is newer than any other state. */
const FINAL_STATUSES: Partial<Record<SyncTarget['kind'], readonly string[]>> = {
  invoice: ['paid', 'void'],
  payment_intent: ['succeeded', 'canceled'],
  subscription: ['canceled', 'incomplete_expired'],
};

/**
 * The event's object shows a state the read has moved past or holds: the read shows a final status
 * and the event another one (so the event came first), or the event's object is the read's state.
 * An invoice's payment (`invoice_payment.*`) is compared with the one the invoice read holds in its
 * expanded `payments`.
 */
function stateCovered(object: InboxEvent['object'], target: SyncTarget, held: unknown): boolean {
  if (!held || typeof held !== 'object') return false;
  if (object.id === target.id && object.object === target.kind) {
    const final = (held as { status?: unknown }).status;
    if (
      typeof final === 'string' &&
      FINAL_STATUSES[target.kind]?.includes(final) &&
      typeof object.status === 'string' &&
      object.status !== final
    )
      return true;
    return carriesState(object, held);
  }
  if (object.object === 'invoice_payment' && target.kind === 'invoice') {
    const payments = (held as { payments?: { data?: { id?: unknown }[] } }).payments?.data ?? [];
    const payment = payments.find((p) => p.id === object.id);
    return !!payment && carriesState(object, payment);
  }
  return false;
}

type Pending = { row: { receivedAt: number }; event: InboxEvent };

/**
 * Whether `read` stands in for a new read for every one of these events: each was created before the
 * read by Stripe's clock, or stored here before it was sent (an event follows its change), or is the
 * object's creation, or shows a state the read has moved past or holds (`stateCovered`: whichever
 * came first, the mirror is the same). `snapshot` unpacks the read, only when the first three do
 * not settle it.
 */
export function readCovers(read: LastRead, target: SyncTarget, events: Pending[], snapshot: () => Snapshot): boolean {
  const open = events.filter(
    (e) => !(e.event.created < read.after || e.row.receivedAt < +read.fetchedAt || createsTarget(e.event, target)),
  );
  if (open.length === 0) return true;
  const held = snapshot().object;
  return open.every((e) => stateCovered(e.event.object, target, held));
}

export class LastReads {
  private readonly reads = new Map<string, LastRead>();
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): LastRead | undefined {
    return this.reads.get(key);
  }

  /** The snapshot a kept read holds. */
  snapshotOf(read: LastRead): Snapshot {
    return JSON.parse(zlib.inflateRawSync(read.packed).toString('utf8')) as Snapshot;
  }

  remember(key: string, read: { after: number; fetchedAt: Date; snapshot: Snapshot }) {
    this.forget(key);
    // Level 1: most of the saving for little CPU (a snapshot is a few KiB of JSON).
    const deflated = zlib.deflateRawSync(JSON.stringify(read.snapshot), { level: 1 });
    // Copied into memory of its own size: zlib's result is a view of its 16 KiB output chunk (and a
    // pooled Buffer shares an 8 KiB slab), which would be kept whole for as long as the read is.
    const packed = Buffer.allocUnsafeSlow(deflated.length);
    deflated.copy(packed);
    if (packed.length > this.maxBytes) return;
    this.reads.set(key, { after: read.after, fetchedAt: read.fetchedAt, packed });
    this.size += packed.length;
    // Oldest reads go first (Map order is insertion order): a forgotten one is only read again.
    for (const [k, r] of this.reads) {
      if (this.size <= this.maxBytes) break;
      this.reads.delete(k);
      this.size -= r.packed.length;
    }
  }

  forget(key: string) {
    const r = this.reads.get(key);
    if (!r) return;
    this.reads.delete(key);
    this.size -= r.packed.length;
  }
}
