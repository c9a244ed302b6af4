/** What is due on a clock (global or a test clock), run in time order. */
import type Stripe from 'stripe';
import { clone, DAY, idOf } from '../util';
import { type Billing, type Sub, type Inv } from './context';
import { withPinned } from './clock';
import { defaultPaymentMethod, getInvoice, getSub, isMetered, setSubState, subState } from './lookups';
import { attemptPayment } from './invoices';
import { cancelSubscription, emitSubUpdated, expirePendingUpdate, saveSub } from './subscriptions';
import { expireIncomplete, previewUpcoming, renew, trialEnded } from './renewals';
import { nextTransition, transition } from './schedules';

/** Task list due in a clock scope up to `upTo`. */
export function dueTasks(
  b: Billing,
  scope: string | null,
  upTo: number,
): Array<{ at: number; prio: number; key: string; run: () => void }> {
  const tasks: Array<{ at: number; prio: number; key: string; run: () => void }> = [];
  const inScope = (tc: unknown) => (idOf(tc as string | null) ?? null) === scope;
  for (const sub of b.store.all('subscription') as Sub[]) {
    if (!inScope(sub.test_clock)) continue;
    const st = subState(b, sub.id);
    const first = sub.items.data[0];
    if (sub.status === 'incomplete') {
      const exp = sub.created + b.settings.incompleteExpirySeconds;
      if (exp <= upTo) tasks.push({ at: exp, prio: 5, key: sub.id, run: () => expireIncomplete(b, getSub(b, sub.id)!, exp) });
      continue;
    }
    if (sub.status === 'trialing' && sub.trial_end) {
      const warn = sub.trial_end - 3 * DAY;
      if (st.trialWillEndSentFor !== sub.trial_end && warn <= upTo && warn > sub.created) {
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
      if (sub.trial_end <= upTo) {
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
      }
      continue;
    }
    if (sub.pending_update && sub.pending_update.expires_at <= upTo) {
      const exp = sub.pending_update.expires_at;
      tasks.push({ at: exp, prio: 1, key: sub.id, run: () => expirePendingUpdate(b, sub.id, exp) });
    }
    if (!['active', 'past_due', 'unpaid'].includes(sub.status) || !first) continue;
    if (sub.cancel_at && sub.cancel_at <= first.current_period_end) {
      const c = sub.cancel_at;
      if (c <= upTo)
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
      continue;
    }
    const end = first.current_period_end;
    const upcoming = end - b.settings.upcomingDays * DAY;
    if (st.upcomingSentFor !== end && upcoming <= upTo && upcoming > first.current_period_start) {
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
    if (sub.pause_collection?.resumes_at && sub.pause_collection.resumes_at <= upTo && sub.pause_collection.resumes_at < end) {
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
    if (end <= upTo) tasks.push({ at: end, prio: 3, key: sub.id, run: () => renew(b, getSub(b, sub.id)!, end) });
  }
  for (const inv of b.store.all('invoice', { where: { status: 'open' } }) as Inv[]) {
    if (!inScope(inv.test_clock)) continue;
    const next = inv.next_payment_attempt;
    if (next != null && next <= upTo) {
      tasks.push({
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
      });
    }
  }
  for (const sch of b.store.all('subscription_schedule', {
    where: { status: ['active', 'not_started'] },
  }) as Stripe.SubscriptionSchedule[]) {
    if (!inScope(sch.test_clock)) continue;
    const due = nextTransition(sch);
    if (due != null && due <= upTo) tasks.push({ at: due, prio: 0, key: sch.id, run: () => transition(b, sch.id, due) });
  }
  return tasks;
}

/** Run everything due in a scope, in time order, up to `upTo`. */
export function runDue(b: Billing, scope: string | null, upTo: number): number {
  let n = 0;
  for (let guard = 0; guard < 5000; guard++) {
    const tasks = dueTasks(b, scope, upTo);
    if (tasks.length === 0) break;
    tasks.sort((a, b) => a.at - b.at || a.prio - b.prio);
    const t = tasks[0];
    withPinned(b, scope, t.at, () => b.store.transaction(() => t.run()));
    n++;
  }
  return n;
}
