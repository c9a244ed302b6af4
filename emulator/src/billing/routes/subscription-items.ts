/** Subscription items: list, retrieve, create, update, delete (with prorations). */
import type Stripe from 'stripe';
import { errors, listParams, p, previousAttributes, type Ctx, type EmulatorApp, type Infer } from '../../core';
import { clone, idOf } from '../util';
import { collect } from '../engine/invoices';
import { applyItemsPlan, planItemsUpdate } from '../engine/items';
import { requireSub } from '../engine/lookups';
import { holdAsPendingUpdate, saveSub } from '../engine/subscriptions';
import { itemCreate, paymentBehaviorParam, prorationBehaviorParam, type ItemInput } from '../params';
import { nowForCustomer } from '../engine/clock';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.registerType({ type: 'subscription_item', prefix: 'si', displayName: 'subscription_item' });
  const now = (customer: string | null) => nowForCustomer(b, customer);

  app.get('/v1/subscription_items', p.object({ ...listParams, subscription: p.string().required() }), (ctx, params) =>
    run(ctx, () => {
      requireSub(b, params.subscription, 'subscription');
      return ctx.list('subscription_item', params, { where: { subscription: params.subscription } }, '/v1/subscription_items');
    }),
  );
  app.get('/v1/subscription_items/:id', p.object({}), (ctx, _p, req) => ctx.store.require('subscription_item', req.pathParams.id, 'id'));

  const itemMutation = (
    ctx: Ctx,
    subId: string,
    input: ItemInput[],
    behavior: Infer<typeof prorationBehaviorParam> | undefined,
    prorationDate: number | undefined,
    paymentBehavior?: string,
    offSession?: boolean,
  ) => {
    const sub = requireSub(b, subId, 'subscription');
    const at = now(idOf(sub.customer as string));
    const before = clone(sub);
    const plan = planItemsUpdate(b, sub, input, behavior, prorationDate, at);
    const inv = applyItemsPlan(b, sub, plan, at);
    // pending_if_incomplete: the items change only once the invoice is paid (as on subscription update).
    if (inv && paymentBehavior === 'pending_if_incomplete') holdAsPendingUpdate(sub, before, inv, at);
    saveSub(b, sub);
    if (inv) collect(b, inv, sub, at, offSession ?? false);
    const after = requireSub(b, sub.id);
    const prev = previousAttributes(before as never, after as never);
    if (prev) ctx.emit('customer.subscription.updated', after as never, prev);
    return after;
  };
  const itemCommon = {
    proration_behavior: prorationBehaviorParam,
    proration_date: p.integer(),
    payment_behavior: paymentBehaviorParam,
    off_session: p.boolean(),
  };
  app.post('/v1/subscription_items', itemCreate.extend({ subscription: p.string().required(), ...itemCommon }), (ctx, params) =>
    run(ctx, () => {
      if (!params.price) throw errors.missingParam('price');
      const after = itemMutation(
        ctx,
        params.subscription,
        [{ price: params.price, quantity: params.quantity, metadata: params.metadata }],
        params.proration_behavior,
        params.proration_date,
        params.payment_behavior,
        params.off_session,
      );
      return after.items.data[after.items.data.length - 1];
    }),
  );
  app.post('/v1/subscription_items/:id', itemCreate.extend({ ...itemCommon }), (ctx, params, req) =>
    run(ctx, () => {
      const item = ctx.store.require('subscription_item', req.pathParams.id, 'id') as Stripe.SubscriptionItem;
      const after = itemMutation(
        ctx,
        item.subscription,
        [{ id: item.id, price: params.price, quantity: params.quantity, metadata: params.metadata }],
        params.proration_behavior,
        params.proration_date,
        params.payment_behavior,
        params.off_session,
      );
      return after.items.data.find((i) => i.id === item.id);
    }),
  );
  app.del(
    '/v1/subscription_items/:id',
    p.object({ proration_behavior: itemCommon.proration_behavior, proration_date: p.integer(), clear_usage: p.boolean() }),
    (ctx, params, req) =>
      run(ctx, () => {
        const item = ctx.store.require('subscription_item', req.pathParams.id, 'id') as Stripe.SubscriptionItem;
        const sub = requireSub(b, item.subscription);
        if (sub.items.data.length <= 1)
          throw errors.invalid(
            'A subscription must have at least one active plan. To cancel a subscription, please use the cancel subscription endpoint.',
          );
        itemMutation(ctx, item.subscription, [{ id: item.id, deleted: true }], params.proration_behavior, params.proration_date);
        return { id: item.id, object: 'subscription_item', deleted: true };
      }),
  );
}
