import type Stripe from 'stripe';
import { p, listParams, type EmulatorApp } from '../core';

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'event', prefix: 'evt', displayName: 'event' });

  app.get('/v1/events/:id', p.object({}), (ctx, _params, req) => ctx.store.require('event', req.pathParams.id!));

  app.get(
    '/v1/events',
    p.object({ ...listParams, type: p.string(), types: p.array(p.string(), { max: 20 }), delivery_success: p.boolean() }),
    (ctx, params) => {
      const patterns = params.types ?? (params.type ? [params.type] : null);
      const match = (t: string) =>
        !patterns ||
        patterns.some((pt) => pt === t || (pt.includes('*') && new RegExp(`^${pt.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(t)));
      const filter =
        patterns || params.delivery_success !== undefined
          ? (e: Stripe.Event) =>
              match(e.type) && (params.delivery_success === undefined || (e.pending_webhooks === 0) === params.delivery_success)
          : undefined;
      return ctx.list<Stripe.Event>('event', params, { filter }, '/v1/events');
    },
  );
}
