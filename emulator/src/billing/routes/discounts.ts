/**
 * Removing a discount: `DELETE /v1/customers/:id/discount` and `DELETE /v1/subscriptions/:id/discount`.
 * The subscription's own discounts (not those of its items) stop applying from its next invoice;
 * the answer is the deleted discount, and `customer.discount.deleted` is emitted (plus
 * `customer.subscription.updated` / `customer.updated`), as on Stripe.
 */
import type Stripe from 'stripe';
import { p, previousAttributes, StripeError, type Ctx, type EmulatorApp } from '../../core';
import { idOf } from '../util';
import { requireSub } from '../engine/lookups';
import type { BillingRuntime } from '../runtime';

function deleted(d: Stripe.Discount): Stripe.DeletedDiscount {
  return {
    id: d.id,
    object: 'discount',
    checkout_session: d.checkout_session,
    customer: idOf(d.customer as string | null),
    customer_account: d.customer_account,
    deleted: true,
    invoice: d.invoice,
    invoice_item: d.invoice_item,
    promotion_code: idOf(d.promotion_code as string | null),
    source: d.source,
    start: d.start,
    subscription: d.subscription,
    subscription_item: d.subscription_item,
  };
}

function noDiscount(message: string): StripeError {
  return new StripeError({ status: 404, type: 'invalid_request_error', code: 'resource_missing', message });
}

function removeDiscount(ctx: Ctx, d: Stripe.Discount): Stripe.DeletedDiscount {
  const gone = deleted(d);
  ctx.store.delete('discount', d.id, gone as never);
  ctx.emit('customer.discount.deleted', d as never);
  return gone;
}

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.del('/v1/subscriptions/:id/discount', p.object({}), (ctx, _params, req) =>
    run(ctx, () => {
      const before = requireSub(b, req.pathParams.id!, 'id');
      const ids = before.discounts.map((d) => idOf(d as string)!);
      const discounts = ids.map((id) => ctx.store.get('discount', id) as Stripe.Discount | null).filter((d) => d !== null);
      if (!discounts.length) throw noDiscount(`Subscription ${before.id} has no discount to delete.`);
      const answers = discounts.map((d) => removeDiscount(ctx, d));
      const after: Stripe.Subscription = { ...before, discounts: [] };
      b.store.put('subscription', after as never);
      ctx.emit('customer.subscription.updated', after as never, previousAttributes(before, after));
      return answers[0];
    }),
  );

  app.del('/v1/customers/:id/discount', p.object({}), (ctx, _params, req) => {
    const before = ctx.store.require('customer', req.pathParams.id!, 'id');
    const d = before.discount ? ((ctx.store.get('discount', before.discount.id) as Stripe.Discount | null) ?? before.discount) : null;
    if (!d) throw noDiscount(`Customer ${before.id} has no discount to delete.`);
    const gone = removeDiscount(ctx, d);
    const after: Stripe.Customer = { ...before, discount: null };
    ctx.store.put('customer', after);
    ctx.emit('customer.updated', after, previousAttributes(before, after));
    return gone;
  });
}
