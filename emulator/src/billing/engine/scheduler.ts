/**
 * What is due on a clock (global or a test clock), run in time order.
 *
 * Each subscription, open invoice and active schedule has tasks at fixed times (a renewal at the
 * period end, a retry at `next_payment_attempt`, …): what is due up to t is every task with at <= t.
 * An index (`DueIndex`) keeps each object's tasks and a heap per clock scope ordered as a full scan
 * would order them, and recomputes an object's tasks only after the store reports a write to it (or
 * to its private state); a rollback or a change of the settings the tasks depend on rebuilds it. So a
 * request's catch-up and the next-tick lookup cost O(log n) instead of a scan of every subscription.
 */
import type Stripe from 'stripe';
import type { StoreWatcher } from '../../core/store';
import { clone, DAY, idOf } from '../util';
import { type Billing, type Sub, type Inv } from './context';
import { withPinned } from './clock';
import { defaultPaymentMethod, getInvoice, getSub, isMetered, setSubState, subState, type SubState } from './lookups';
import { attemptPayment } from './invoices';
import { cancelSubscription, emitSubUpdated, expirePendingUpdate, saveSub } from './subscriptions';
import { expireIncomplete, previewUpcoming, renew, trialEnded } from './renewals';
import { nextTransition, transition } from './schedules';

interface Task {
  at: number;
  prio: number;
  key: string;
  run: () => void;
}

/** A subscription's tasks, whenever due (they depend on it, its private state and the settings only). */
function subscriptionTasks(b: Billing, sub: Sub, st: SubState): Task[] {
  const tasks: Task[] = [];
  const first = sub.items.data[0];
  if (sub.status === 'incomplete') {
    const exp = sub.created + b.settings.incompleteExpirySeconds;
    tasks.push({ at: exp, prio: 5, key: sub.id, run: () => expireIncomplete(b, getSub(b, sub.id)!, exp) });
    return tasks;
  }
  if (sub.status === 'trialing' && sub.trial_end) {
    const warn = sub.trial_end - 3 * DAY;
    if (st.trialWillEndSentFor !== sub.trial_end && warn > sub.created) {
      tasks.push({
        at: Math.max(warn, sub.created),
        prio: 1,
        key: sub.id,
        run: () => {
          setSubState(b, sub.id, { trialWillEndSentFor: sub.trial_end });
          b.host.emit('customer.subscription.trial_will_end', getSub(b, sub.id)!);
        },
      });
    }
    const tEnd = sub.trial_end;
    tasks.push({
      at: tEnd,
      prio: sub.cancel_at && sub.cancel_at <= tEnd ? 4 : 3,
      key: sub.id,
      run: () => {
        const s = getSub(b, sub.id)!;
        if (s.cancel_at && s.cancel_at <= tEnd) cancelSubscription(b, s, tEnd, { invoiceNow: false, prorate: false });
        else trialEnded(b, s, tEnd);
      },
    });
    return tasks;
  }
  if (sub.pending_update) {
    const exp = sub.pending_update.expires_at;
    tasks.push({ at: exp, prio: 1, key: sub.id, run: () => expirePendingUpdate(b, sub.id, exp) });
  }
  if (!['active', 'past_due', 'unpaid'].includes(sub.status) || !first) return tasks;
  if (sub.cancel_at && sub.cancel_at <= first.current_period_end) {
    const c = sub.cancel_at;
    tasks.push({
      at: c,
      prio: 2,
      key: sub.id,
      run: () => {
        const s = getSub(b, sub.id)!;
        cancelSubscription(b, s, c, {
          invoiceNow: s.items.data.some((i) => isMetered(i.price)),
          prorate: c < first.current_period_end,
        });
      },
    });
    return tasks;
  }
  const end = first.current_period_end;
  const upcoming = end - b.settings.upcomingDays * DAY;
  if (st.upcomingSentFor !== end && upcoming > first.current_period_start) {
    tasks.push({
      at: upcoming,
      prio: 1,
      key: sub.id,
      run: () => {
        setSubState(b, sub.id, { upcomingSentFor: end });
        const s = getSub(b, sub.id)!;
        try {
          const preview = previewUpcoming(b, s, upcoming);
          b.host.emit('invoice.upcoming', preview);
        } catch {
          /* best effort */
        }
      },
    });
  }
  if (sub.pause_collection?.resumes_at && sub.pause_collection.resumes_at < end) {
    const r = sub.pause_collection.resumes_at;
    tasks.push({
      at: r,
      prio: 1,
      key: sub.id,
      run: () => {
        const s = getSub(b, sub.id)!;
        const before = clone(s);
        s.pause_collection = null;
        saveSub(b, s);
        emitSubUpdated(b, before, s);
      },
    });
  }
  tasks.push({ at: end, prio: 3, key: sub.id, run: () => renew(b, getSub(b, sub.id)!, end) });
  return tasks;
}

/** An open invoice's automatic payment attempt, whenever due. */
function invoiceTasks(b: Billing, inv: Inv): Task[] {
  const next = inv.next_payment_attempt;
  if (inv.status !== 'open' || next == null) return [];
  return [
    {
      at: next,
      prio: 6,
      key: inv.id,
      run: () => {
        const i = getInvoice(b, inv.id)!;
        if (i.status !== 'open' || i.next_payment_attempt !== next) return;
        const subId = i.parent?.subscription_details?.subscription;
        const s = subId ? getSub(b, idOf(subId as string)!) : null;
        const pm = defaultPaymentMethod(b, s, idOf(i.customer as string)!);
        attemptPayment(b, i, pm, next, { offSession: true, automatic: true });
      },
    },
  ];
}

/** An active (or not yet started) schedule's next phase transition, whenever due. */
function scheduleTasks(b: Billing, sch: Stripe.SubscriptionSchedule): Task[] {
  if (sch.status !== 'active' && sch.status !== 'not_started') return [];
  const due = nextTransition(sch);
  return due == null ? [] : [{ at: due, prio: 0, key: sch.id, run: () => transition(b, sch.id, due) }];
}

/** An object with tasks: `best` is the task a full scan + stable sort by (at, prio) would pick first. */
interface Entry {
  id: string;
  /** Scan order of the kinds: subscriptions, then invoices, then schedules. */
  rank: number;
  created: number;
  seq: number;
  scope: string | null;
  best: Task;
}

const RANK: Record<string, number> = { subscription: 0, invoice: 1, subscription_schedule: 2 };

/** The order of a scan (kind, newest first) stably sorted by (at, prio). */
function before(a: Entry, c: Entry): boolean {
  return (a.best.at - c.best.at || a.best.prio - c.best.prio || a.rank - c.rank || c.created - a.created || c.seq - a.seq) < 0;
}

interface Row {
  id: string;
  type: string;
  created: number;
  seq: number;
  deleted: number;
  json: string;
}

class DueIndex implements StoreWatcher {
  private readonly entries = new Map<string, Entry>();
  /** Binary min-heaps per clock scope; an item is live while `entries` still holds it. */
  private readonly heaps = new Map<string | null, Entry[]>();
  private readonly dirty = new Set<string>();
  private stale = true;
  private settingsKey = '';
  /** Heap items pushed since the last rebuild (replaced entries stay in the heaps until popped). */
  private pushed = 0;

  constructor(private readonly b: Billing) {}

  changed(id: string): void {
    if (!this.stale) this.dirty.add(id);
  }

  reset(): void {
    this.stale = true;
    this.dirty.clear();
  }

  /** The entry whose best task comes first in `scope`, or null. */
  first(scope: string | null): Entry | null {
    this.sync();
    const heap = this.heaps.get(scope);
    while (heap?.length) {
      if (this.entries.get(heap[0].id) === heap[0]) return heap[0];
      pop(heap);
    }
    return null;
  }

  private sync(): void {
    const s = this.b.settings;
    const key = `${s.upcomingDays}:${s.incompleteExpirySeconds}`;
    if (key !== this.settingsKey) {
      this.settingsKey = key;
      this.stale = true;
    }
    if (this.pushed > 4 * this.entries.size + 10_000) this.stale = true;
    if (this.stale) {
      this.pushed = 0;
      this.entries.clear();
      this.heaps.clear();
      this.dirty.clear();
      const rows = this.b.store
        .stmt(
          `SELECT id, type, created, seq, deleted, json FROM objects
           WHERE deleted = 0 AND (type IN ('subscription', 'subscription_schedule')
             OR (type = 'invoice' AND json_extract(json, '$.status') = 'open'))`,
        )
        .all() as Row[];
      for (const row of rows) this.add(row);
      this.stale = false;
      return;
    }
    if (this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    const read = this.b.store.stmt('SELECT id, type, created, seq, deleted, json FROM objects WHERE id = ?');
    for (const id of ids) {
      this.entries.delete(id);
      const row = read.get(id) as Row | undefined;
      if (row) this.add(row);
    }
  }

  private add(row: Row): void {
    const rank = RANK[row.type];
    if (rank === undefined || row.deleted) return;
    const obj = JSON.parse(row.json) as { test_clock?: string | { id: string } | null };
    const tasks =
      row.type === 'subscription'
        ? subscriptionTasks(this.b, obj as Sub, subState(this.b, row.id))
        : row.type === 'invoice'
          ? invoiceTasks(this.b, obj as Inv)
          : scheduleTasks(this.b, obj as Stripe.SubscriptionSchedule);
    if (tasks.length === 0) return;
    const best = tasks.reduce((m, t) => (t.at < m.at || (t.at === m.at && t.prio < m.prio) ? t : m));
    const scope = idOf(obj.test_clock) ?? null;
    const entry: Entry = { id: row.id, rank, created: row.created, seq: row.seq, scope, best };
    this.entries.set(row.id, entry);
    const heap = this.heaps.get(scope) ?? [];
    this.heaps.set(scope, heap);
    push(heap, entry);
    this.pushed++;
  }
}

function push(heap: Entry[], e: Entry): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(heap[i], heap[p])) break;
    [heap[i], heap[p]] = [heap[p], heap[i]];
    i = p;
  }
}

function pop(heap: Entry[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && before(heap[l], heap[m])) m = l;
    if (r < heap.length && before(heap[r], heap[m])) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m], heap[i]];
    i = m;
  }
}

const indexes = new WeakMap<Billing, DueIndex>();

function indexOf(b: Billing): DueIndex {
  let index = indexes.get(b);
  if (!index) {
    index = new DueIndex(b);
    indexes.set(b, index);
    b.store.watch(index);
  }
  return index;
}

/** When the next task of a scope is due (null: nothing scheduled). */
export function nextDueAt(b: Billing, scope: string | null): number | null {
  return indexOf(b).first(scope)?.best.at ?? null;
}

/** Run everything due in a scope, in time order, up to `upTo`. */
export function runDue(b: Billing, scope: string | null, upTo: number): number {
  const index = indexOf(b);
  let n = 0;
  for (let guard = 0; guard < 5000; guard++) {
    const t = index.first(scope)?.best;
    if (!t || t.at > upTo) break;
    withPinned(b, scope, t.at, () => b.store.transaction(() => t.run()));
    n++;
  }
  return n;
}
