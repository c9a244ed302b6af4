/** Subscription schedules: phases, transitions on the clock, release/cancel. */
import type Stripe from 'stripe';
import { errors } from '../../core/errors';
import { addDuration, type Interval } from '../period';
import type { ProrationBehavior } from '../proration';
import { clone, idOf, previousAttributes } from '../util';
import type { PhaseInput } from '../params';
import type { Billing, Sub } from './context';
import { clockOfCustomer } from './clock';
import { getSub, recurrence, requirePrice } from './lookups';
import { collect } from './invoices';
import { applyItemsPlan, planItemsUpdate } from './items';
import { createDiscounts } from './discounts';
import { cancelSubscription, createSubscription, emitSubUpdated, saveSub } from './subscriptions';

type Schedule = Stripe.SubscriptionSchedule;
type Phase = Stripe.SubscriptionSchedule.Phase;

export function getSchedule(b: Billing, id: string): Schedule | null {
  return b.store.get('subscription_schedule', id) as Schedule | null;
}

export function requireSchedule(b: Billing, id: string): Schedule {
  const s = getSchedule(b, id);
  if (!s) throw errors.noSuch('subscription_schedule', id, 'schedule');
  return s;
}

export function saveSchedule(b: Billing, s: Schedule): void {
  b.store.put('subscription_schedule', s as never);
}

export function phaseFromSub(sub: Sub): Phase {
  const first = sub.items.data[0];
  return buildPhase(
    sub.items.data.map((it) => ({ price: it.price.id, quantity: it.quantity })),
    first.current_period_start,
    first.current_period_end,
    'create_prorations',
    sub.currency,
    sub.trial_end && sub.trial_end > first.current_period_start ? sub.trial_end : null,
    sub.metadata,
  );
}

function buildPhase(
  items: Array<{ price: string; quantity?: number }>,
  start: number,
  end: number,
  proration: string,
  currency: string,
  trialEnd: number | null,
  metadata: Record<string, string> | null,
): Phase {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency,
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    end_date: end,
    invoice_settings: null,
    items: items.map((i) => ({
      billing_thresholds: null,
      discounts: [],
      metadata: {},
      plan: i.price,
      price: i.price,
      quantity: i.quantity,
      tax_rates: [],
    })),
    metadata: metadata ?? {},
    on_behalf_of: null,
    proration_behavior: proration as Stripe.SubscriptionSchedule.Phase.ProrationBehavior,
    start_date: start,
    transfer_data: null,
    trial_end: trialEnd,
  };
}

export function buildSchedule(
  b: Billing,
  customer: string,
  sub: Sub | null,
  phases: Phase[],
  endBehavior: string,
  at: number,
  metadata: Record<string, string>,
): Schedule {
  const id = b.host.newId('sub_sched');
  const sch: Schedule = {
    id,
    object: 'subscription_schedule',
    application: null,
    billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null,
    completed_at: null,
    created: at,
    current_phase: null,
    customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: 'charge_automatically',
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: endBehavior as Stripe.SubscriptionSchedule.EndBehavior,
    livemode: false,
    metadata,
    pause_schedules: [],
    phases,
    released_at: null,
    released_subscription: null,
    status: 'not_started',
    subscription: sub?.id ?? null,
    test_clock: clockOfCustomer(b, customer),
  };
  refreshCurrent(sch, at);
  return sch;
}

export function refreshCurrent(sch: Schedule, at: number): void {
  const cur = sch.phases.find((p) => p.start_date <= at && at < p.end_date);
  sch.current_phase = cur ? { start_date: cur.start_date, end_date: cur.end_date } : null;
  if (sch.status === 'not_started' && cur) sch.status = 'active';
}

/** Turn phase params into phases. The first phase starts at `firstStart` unless it gives start_date. */
export function resolvePhases(b: Billing, inputs: PhaseInput[], firstStart: number, currency: string, at: number): Phase[] {
  const out: Phase[] = [];
  let start = firstStart;
  for (const [i, ph] of inputs.entries()) {
    if (i === 0 && ph.start_date !== undefined) start = ph.start_date === 'now' ? at : ph.start_date;
    if (!ph.items || ph.items.length === 0) throw errors.missingParam(`phases[${i}][items]`);
    const prices = ph.items.map((it, j) => {
      if (!it.price) throw errors.missingParam(`phases[${i}][items][${j}][price]`);
      return requirePrice(b, it.price, `phases[${i}][items][${j}][price]`);
    });
    let end: number;
    if (ph.end_date !== undefined) end = ph.end_date === 'now' ? at : ph.end_date;
    else if (ph.duration)
      end = addDuration(start, { interval: ph.duration.interval as Interval, interval_count: ph.duration.interval_count ?? 1 });
    else if (i === inputs.length - 1) {
      const r = recurrence(prices[0]);
      end = addDuration(start, r);
    } else {
      throw errors.invalid('Each phase except the last must have an end_date or duration.', `phases[${i}]`);
    }
    if (end <= start) throw errors.invalid(`The phase end_date must be after its start_date.`, `phases[${i}][end_date]`);
    const phase = buildPhase(
      ph.items.map((it) => ({ price: it.price!, quantity: it.quantity ?? 1 })),
      start,
      end,
      ph.proration_behavior ?? 'create_prorations',
      currency,
      ph.trial_end === undefined ? null : ph.trial_end === 'now' ? at : ph.trial_end,
      null,
    );
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(ph.metadata ?? {})) if (v != null) md[k] = v;
    phase.metadata = md;
    if (ph.default_payment_method) phase.default_payment_method = ph.default_payment_method;
    phase.discounts = phaseDiscounts(b, ph.discounts, `phases[${i}][discounts]`);
    out.push(phase);
    start = end;
  }
  return out;
}

/** A phase's `discounts`: what it redeems when it starts (checked to exist now, redeemed then). */
function phaseDiscounts(b: Billing, specs: PhaseInput['discounts'], param: string): Phase['discounts'] {
  return (specs ?? []).map((d, j) => {
    if (d.promotion_code && !b.store.get('promotion_code', d.promotion_code))
      throw errors.noSuch('promotion code', d.promotion_code, `${param}[${j}][promotion_code]`);
    if (d.coupon && !b.store.get('coupon', d.coupon)) throw errors.noSuch('coupon', d.coupon, `${param}[${j}][coupon]`);
    return { coupon: d.coupon ?? null, discount: d.discount ?? null, promotion_code: d.promotion_code ?? null };
  });
}

export function nextTransition(sch: Schedule): number | null {
  if (sch.status === 'not_started') return sch.phases[0]?.start_date ?? null;
  if (sch.status !== 'active') return null;
  const at = sch.current_phase?.end_date;
  return at ?? null;
}

/** Phase boundary reached at `at`. */
export function transition(b: Billing, id: string, at: number): void {
  const sch = getSchedule(b, id);
  if (!sch || (sch.status !== 'active' && sch.status !== 'not_started')) return;
  const before = clone(sch);
  const next = sch.phases.find((p) => p.start_date <= at && at < p.end_date);
  const subId = idOf(sch.subscription as string | null);
  let sub = subId ? getSub(b, subId) : null;
  if (!next) {
    // schedule ended
    if (sch.end_behavior === 'cancel' && sub && sub.status !== 'canceled') {
      sch.status = 'completed';
      sch.completed_at = at;
      sch.current_phase = null;
      saveSchedule(b, sch);
      cancelSubscription(b, sub, at, { invoiceNow: false, prorate: false });
      b.host.emit('subscription_schedule.completed', getSchedule(b, id)!, previousAttributes(before, getSchedule(b, id)!));
      return;
    }
    sch.status = 'released';
    sch.released_at = at;
    sch.released_subscription = subId;
    sch.subscription = null;
    sch.current_phase = null;
    saveSchedule(b, sch);
    if (sub) {
      const prevSub = clone(sub);
      sub.schedule = null;
      saveSub(b, sub);
      emitSubUpdated(b, prevSub, sub);
    }
    b.host.emit('subscription_schedule.released', sch, previousAttributes(before, sch));
    return;
  }
  if (!sub) {
    // not started: create the subscription for the first phase
    sub = createSubscription(b, {
      customer: idOf(sch.customer as string)!,
      items: next.items.map((it) => ({ price: idOf(it.price as string)!, quantity: it.quantity })),
      trial_end: next.trial_end ?? undefined,
      default_payment_method: idOf(next.default_payment_method as string | null) ?? undefined,
    });
    sub.schedule = sch.id;
    saveSub(b, sub);
    sch.subscription = sub.id;
  } else {
    applyPhase(b, sub, next, at);
  }
  sch.current_phase = { start_date: next.start_date, end_date: next.end_date };
  sch.status = 'active';
  saveSchedule(b, sch);
  b.host.emit('subscription_schedule.updated', sch, previousAttributes(before, sch));
}

/** Make the subscription's items match a phase. */
export function applyPhase(b: Billing, subIn: Sub, phase: Phase, at: number): void {
  const sub = getSub(b, subIn.id) ?? subIn;
  const before = clone(sub);
  const wanted = phase.items.map((it) => ({ price: idOf(it.price as string)!, quantity: it.quantity }));
  const current = sub.items.data;
  const inputs: Array<{ id?: string; price?: string; quantity?: number; deleted?: boolean }> = [];
  wanted.forEach((w, i) => {
    const existing = current[i];
    if (existing) inputs.push({ id: existing.id, price: w.price, quantity: w.quantity ?? 1 });
    else inputs.push({ price: w.price, quantity: w.quantity ?? 1 });
  });
  for (const extra of current.slice(wanted.length)) inputs.push({ id: extra.id, deleted: true });
  // The phase's discounts replace the subscription's when it starts, before its first invoice.
  if (phase.discounts.length) {
    const specs = phase.discounts.map((d) => ({
      coupon: idOf(d.coupon as string | null) ?? undefined,
      promotion_code: idOf(d.promotion_code as string | null) ?? undefined,
      discount: idOf(d.discount as string | null) ?? undefined,
    }));
    try {
      sub.discounts = createDiscounts(b, specs, { customer: idOf(sub.customer as string)!, subscription: sub.id }, at);
    } catch {
      // A code that lapsed since the phase was set (expired, used up) is skipped: the phase starts
      // without it rather than stopping the clock (docs/emulator.md, "Discounts").
    }
  }
  const plan = planItemsUpdate(b, sub, inputs, phase.proration_behavior as ProrationBehavior, at, at);
  const inv = applyItemsPlan(b, sub, plan, at);
  if (phase.metadata && Object.keys(phase.metadata).length) sub.metadata = { ...phase.metadata };
  if (phase.default_payment_method) sub.default_payment_method = idOf(phase.default_payment_method as string);
  saveSub(b, sub);
  emitSubUpdated(b, before, sub);
  if (inv) collect(b, inv, sub, at);
}

export function releaseSchedule(b: Billing, id: string, at: number): Schedule {
  const sch = requireSchedule(b, id);
  if (sch.status !== 'active' && sch.status !== 'not_started')
    throw errors.invalid(
      `You cannot release a subscription schedule that is currently in the \`${sch.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`,
    );
  const before = clone(sch);
  const subId = idOf(sch.subscription as string | null);
  sch.status = 'released';
  sch.released_at = at;
  sch.released_subscription = subId;
  sch.subscription = null;
  sch.current_phase = null;
  saveSchedule(b, sch);
  if (subId) {
    const sub = getSub(b, subId);
    if (sub) {
      const prevSub = clone(sub);
      sub.schedule = null;
      saveSub(b, sub);
      emitSubUpdated(b, prevSub, sub);
    }
  }
  b.host.emit('subscription_schedule.released', sch, previousAttributes(before, sch));
  return sch;
}

export function cancelSchedule(b: Billing, id: string, at: number, opts: { invoiceNow: boolean; prorate: boolean }): Schedule {
  const sch = requireSchedule(b, id);
  if (sch.status !== 'active' && sch.status !== 'not_started')
    throw errors.invalid(
      `You cannot cancel a subscription schedule that is currently in the \`${sch.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`,
    );
  const before = clone(sch);
  sch.status = 'canceled';
  sch.canceled_at = at;
  sch.current_phase = null;
  saveSchedule(b, sch);
  const subId = idOf(sch.subscription as string | null);
  const sub = subId ? getSub(b, subId) : null;
  if (sub && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
    sub.schedule = null;
    saveSub(b, sub);
    cancelSubscription(b, sub, at, { invoiceNow: opts.invoiceNow, prorate: opts.prorate });
  }
  b.host.emit('subscription_schedule.canceled', getSchedule(b, id)!, previousAttributes(before, getSchedule(b, id)!));
  return getSchedule(b, id)!;
}
