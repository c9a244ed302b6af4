/** Subscription schedules: create (phases or from_subscription), retrieve, list, update, release, cancel. */
import { applyMetadata, errors, listParams, p, previousAttributes, type EmulatorApp } from '../../core';
import { clone, idOf } from '../util';
import { getSub, requirePrice, requireSub } from '../engine/lookups';
import {
  applyPhase,
  buildSchedule,
  cancelSchedule,
  getSchedule,
  phaseFromSub,
  refreshCurrent,
  releaseSchedule,
  requireSchedule,
  resolvePhases,
  saveSchedule,
  transition,
} from '../engine/schedules';
import { saveSub } from '../engine/subscriptions';
import { phaseParam, prorationBehaviorParam } from '../params';
import { nowForCustomer } from '../engine/clock';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.store.displayNames.set('subscription_schedule', 'subscription_schedule');
  const store = app.store;
  const now = (customer: string | null) => nowForCustomer(b, customer);

  app.post(
    '/v1/subscription_schedules',
    p.object({
      customer: p.string(),
      from_subscription: p.string(),
      phases: p.array(phaseParam),
      start_date: p.union(p.literal('now'), p.integer()),
      end_behavior: p.enum(['cancel', 'none', 'release', 'renew'] as const),
      metadata: p.metadata(),
      default_settings: p.any(),
      billing_mode: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        if (params.from_subscription) {
          if (params.phases || params.start_date !== undefined || params.end_behavior)
            throw errors.invalid(
              'You cannot set `phases`, `start_date` or `end_behavior` when `from_subscription` is set.',
              params.phases ? 'phases' : 'from_subscription',
            );
          const sub = requireSub(b, params.from_subscription, 'from_subscription');
          if (sub.schedule)
            throw errors.invalid(
              `You cannot migrate a subscription that is already attached to a schedule: \`${idOf(sub.schedule as string)}\`.`,
              'from_subscription',
            );
          if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
            throw errors.invalid('You cannot create a schedule from a canceled subscription.', 'from_subscription');
          const customer = idOf(sub.customer as string)!;
          const at = now(customer);
          const sch = buildSchedule(b, customer, sub, [phaseFromSub(sub)], 'release', at, applyMetadata({}, params.metadata));
          sch.status = 'active';
          refreshCurrent(sch, at);
          saveSchedule(b, sch);
          const before = clone(sub);
          sub.schedule = sch.id;
          saveSub(b, sub);
          ctx.emit('subscription_schedule.created', sch as never);
          ctx.emit('customer.subscription.updated', sub as never, previousAttributes(before as never, sub as never));
          return sch;
        }
        if (!params.customer) throw errors.missingParam('customer');
        if (!params.phases || params.phases.length === 0) throw errors.missingParam('phases');
        const c = store.get('customer', params.customer);
        if (!c) throw errors.noSuch('customer', params.customer, 'customer');
        const at = now(params.customer);
        const start = params.start_date === undefined || params.start_date === 'now' ? at : params.start_date;
        const prices = params.phases[0].items.map((it) => requirePrice(b, it.price ?? '', 'phases[0][items][0][price]'));
        const phases = resolvePhases(b, params.phases, start, prices[0].currency, at);
        const sch = buildSchedule(
          b,
          params.customer,
          null,
          phases,
          params.end_behavior ?? 'release',
          at,
          applyMetadata({}, params.metadata),
        );
        sch.status = 'not_started';
        sch.current_phase = null;
        saveSchedule(b, sch);
        ctx.emit('subscription_schedule.created', sch as never);
        if (start <= at) transition(b, sch.id, at);
        return getSchedule(b, sch.id);
      }),
  );
  app.get('/v1/subscription_schedules/:id', p.object({}), (ctx, _p, req) => run(ctx, () => requireSchedule(b, req.pathParams.id)));
  app.get(
    '/v1/subscription_schedules',
    p.object({
      ...listParams,
      customer: p.string(),
      scheduled: p.boolean(),
      canceled_at: p.any(),
      completed_at: p.any(),
      released_at: p.any(),
    }),
    (ctx, params) => ctx.list('subscription_schedule', params, { where: { customer: params.customer } }, '/v1/subscription_schedules'),
  );
  app.post(
    '/v1/subscription_schedules/:id',
    p.object({
      phases: p.array(phaseParam),
      end_behavior: p.enum(['cancel', 'none', 'release', 'renew'] as const),
      metadata: p.metadata(),
      proration_behavior: prorationBehaviorParam,
      default_settings: p.any(),
      billing_mode: p.any(),
    }),
    (ctx, params, req) =>
      run(ctx, () => {
        const sch = requireSchedule(b, req.pathParams.id);
        if (sch.status !== 'active' && sch.status !== 'not_started')
          throw errors.invalid(`You cannot update a subscription schedule that is currently in the \`${sch.status}\` status.`);
        const before = clone(sch);
        const customer = idOf(sch.customer as string)!;
        const at = now(customer);
        if (params.end_behavior) sch.end_behavior = params.end_behavior;
        if (params.metadata !== undefined) sch.metadata = applyMetadata(sch.metadata, params.metadata);
        if (params.phases) {
          const currentStart = sch.current_phase?.start_date ?? sch.phases[0]?.start_date ?? at;
          const phases = resolvePhases(b, params.phases, currentStart, sch.phases[0]?.currency ?? 'usd', at);
          if (sch.status === 'active' && phases[0].start_date !== currentStart)
            throw errors.invalid('You can not modify the start date of the current phase.', 'phases[0][start_date]');
          sch.phases = phases;
          refreshCurrent(sch, at);
          // the current phase's items apply right away (with its proration behavior)
          const subId = idOf(sch.subscription as string | null);
          const sub = subId ? getSub(b, subId) : null;
          const cur = phases.find((ph) => ph.start_date <= at && at < ph.end_date);
          if (sub && cur) {
            const same =
              JSON.stringify(cur.items.map((i) => [i.price, i.quantity ?? 1])) ===
              JSON.stringify(sub.items.data.map((i) => [i.price.id, i.quantity ?? 1]));
            if (!same) applyPhase(b, sub, { ...cur, proration_behavior: params.proration_behavior ?? cur.proration_behavior }, at);
          }
        }
        saveSchedule(b, sch);
        const prev = previousAttributes(before as never, sch as never);
        if (prev) ctx.emit('subscription_schedule.updated', sch as never, prev);
        return sch;
      }),
  );
  app.post('/v1/subscription_schedules/:id/release', p.object({ preserve_cancel_date: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const sch = requireSchedule(b, req.pathParams.id);
      // preserve_cancel_date: the emulator schedules no cancellation on the subscription itself, so there is nothing to keep
      return releaseSchedule(b, sch.id, now(idOf(sch.customer as string)));
    }),
  );
  app.post('/v1/subscription_schedules/:id/cancel', p.object({ invoice_now: p.boolean(), prorate: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const sch = requireSchedule(b, req.pathParams.id);
      return cancelSchedule(b, sch.id, now(idOf(sch.customer as string)), {
        invoiceNow: params.invoice_now ?? false,
        prorate: params.prorate ?? true,
      });
    }),
  );
}
