/** Test clocks: create, retrieve, list, delete, advance (runs what is due on the clock). */
import type Stripe from 'stripe';
import { errors, listParams, p, type EmulatorApp } from '../../core';
import { idOf } from '../util';
import type { Sub } from '../engine/context';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { run, runDue }: BillingRuntime): void {
  app.registerType({ type: 'test_helpers.test_clock', prefix: 'clock', displayName: 'test_clock' });
  const store = app.store;

  type TC = Stripe.TestHelpers.TestClock;
  app.post(
    '/v1/test_helpers/test_clocks',
    p.object({ frozen_time: p.integer().required(), name: p.string({ maxLength: 300 }) }),
    (ctx, params) => {
      const tc: TC = {
        id: ctx.newId('clock'),
        object: 'test_helpers.test_clock',
        created: ctx.now(),
        deletes_after: ctx.now() + 30 * 86400,
        frozen_time: params.frozen_time,
        livemode: false,
        name: params.name ?? null,
        status: 'ready',
        status_details: {},
      };
      store.put('test_helpers.test_clock', tc as never);
      ctx.emit('test_helpers.test_clock.created', tc as never);
      return tc;
    },
  );
  app.get('/v1/test_helpers/test_clocks/:id', p.object({}), (ctx, _p, req) =>
    ctx.store.require('test_helpers.test_clock', req.pathParams.id, 'id'),
  );
  app.get('/v1/test_helpers/test_clocks', p.object({ ...listParams }), (ctx, params) =>
    ctx.list('test_helpers.test_clock', params, {}, '/v1/test_helpers/test_clocks'),
  );
  app.del('/v1/test_helpers/test_clocks/:id', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const tc = ctx.store.require('test_helpers.test_clock', req.pathParams.id, 'id') as TC;
      // objects attached to the clock go away with it
      for (const sub of store.all('subscription') as Sub[]) {
        if (idOf(sub.test_clock as string) === tc.id) {
          store.delete('subscription', sub.id);
          for (const it of sub.items.data) store.delete('subscription_item', it.id);
        }
      }
      for (const c of store.all('customer', { where: { test_clock: tc.id } }) as Stripe.Customer[]) {
        store.delete('customer', c.id, { id: c.id, object: 'customer', deleted: true });
      }
      store.delete('test_helpers.test_clock', tc.id, { id: tc.id, object: 'test_helpers.test_clock', deleted: true });
      ctx.emit('test_helpers.test_clock.deleted', tc as never);
      return { id: tc.id, object: 'test_helpers.test_clock', deleted: true };
    }),
  );
  app.post('/v1/test_helpers/test_clocks/:id/advance', p.object({ frozen_time: p.integer().required() }), (ctx, params, req) =>
    run(ctx, () => {
      const tc = ctx.store.require('test_helpers.test_clock', req.pathParams.id, 'id') as TC;
      if (params.frozen_time <= tc.frozen_time)
        throw errors.invalid('The frozen_time must be after the current frozen_time of the test clock.', 'frozen_time');
      if (tc.status === 'advancing')
        throw errors.invalid('The test clock is currently advancing.', undefined, 'test_clock_advancing' as string);
      tc.status = 'advancing';
      tc.status_details = { advancing: { target_frozen_time: params.frozen_time } };
      store.put('test_helpers.test_clock', tc as never);
      ctx.emit('test_helpers.test_clock.advancing', tc as never);
      runDue(ctx, tc.id, params.frozen_time);
      app.runDueJobs({ scope: tc.id, until: params.frozen_time });
      const done = ctx.store.require('test_helpers.test_clock', tc.id) as TC;
      done.frozen_time = params.frozen_time;
      done.status = 'ready';
      done.status_details = {};
      store.put('test_helpers.test_clock', done as never);
      ctx.emit('test_helpers.test_clock.ready', done as never);
      return done;
    }),
  );
}
