/** Subscriptions: create, retrieve, list, update, cancel, pause, resume. */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, type EmulatorApp } from '../../core';
import { clone, idOf } from '../util';
import type { Inv, Sub } from '../engine/context';
import { checkMinimumAmounts, createDiscounts } from '../engine/discounts';
import { collect, voidInvoice } from '../engine/invoices';
import { applyItemsPlan, planItemsUpdate } from '../engine/items';
import { getInvoice, requireSub } from '../engine/lookups';
import {
  cancelSubscription,
  createSubscription,
  holdAsPendingUpdate,
  PENDING_UPDATE_PARAMS,
  resetPeriod,
  saveSub,
} from '../engine/subscriptions';
import {
  anchorParam,
  anchorType,
  cancellationDetails,
  discountsParam,
  itemUpdate,
  paymentBehaviorParam,
  paymentSettings,
  prorationBehaviorParam,
  subscriptionCreate,
  trialSettings,
} from '../params';
import { nowForCustomer } from '../engine/clock';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.registerType({
    type: 'subscription',
    prefix: 'sub',
    displayName: 'subscription',
    // schedule ids (sub_sched_…) share the prefix
    load: (_ctx, id) => (id.startsWith('sub_sched_') ? app.store.get('subscription_schedule', id) : app.store.get('subscription', id)),
  });
  const store = app.store;
  const now = (customer: string | null) => nowForCustomer(b, customer);

  app.post('/v1/subscriptions', subscriptionCreate, (ctx, params) =>
    run(ctx, () => {
      if (!params.items || params.items.length === 0) throw errors.missingParam('items');
      if (params.collection_method === 'send_invoice' && params.days_until_due == null) throw errors.missingParam('days_until_due');
      params.items.forEach((it, i) => {
        if (!it.price) throw errors.missingParam(`items[${i}][price]`);
      });
      if (params.trial_end !== undefined && params.trial_period_days !== undefined)
        throw errors.invalid('You may only specify one of these parameters: trial_end, trial_period_days.', 'trial_end');
      const sub = createSubscription(b, {
        customer: params.customer,
        items: params.items.map((it) => ({ price: it.price!, quantity: it.quantity, metadata: it.metadata })),
        payment_behavior: params.payment_behavior,
        default_payment_method: params.default_payment_method,
        trial_period_days: params.trial_period_days,
        trial_end: params.trial_end,
        trial_from_plan: params.trial_from_plan,
        trial_settings: params.trial_settings,
        billing_cycle_anchor: params.billing_cycle_anchor,
        cancel_at_period_end: params.cancel_at_period_end,
        cancel_at: params.cancel_at,
        discounts: params.discounts,
        metadata: applyMetadata({}, params.metadata),
        description: params.description,
        save_default_payment_method: params.payment_settings?.save_default_payment_method,
        proration_behavior: params.proration_behavior,
        collection_method: params.collection_method,
        days_until_due: params.days_until_due,
        off_session: params.off_session,
      });
      // A promotion code's minimum amount is checked against the first invoice (the request rolls back).
      const first = sub.latest_invoice ? getInvoice(b, idOf(sub.latest_invoice as string)!) : null;
      if (first && params.discounts) checkMinimumAmounts(b, first.discounts as string[], first.subtotal, first.currency);
      return sub;
    }),
  );

  app.get('/v1/subscriptions/:id', p.object({}), (ctx, _params, req) => run(ctx, () => requireSub(b, req.pathParams.id, 'id')));

  app.get(
    '/v1/subscriptions',
    p.object({
      ...listParams,
      customer: p.string(),
      price: p.string(),
      plan: p.string(),
      status: p.enum([
        'active',
        'all',
        'canceled',
        'ended',
        'incomplete',
        'incomplete_expired',
        'past_due',
        'paused',
        'trialing',
        'unpaid',
      ] as const),
      test_clock: p.string(),
      collection_method: p.string(),
      current_period_end: p.range(),
      current_period_start: p.range(),
      automatic_tax: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const st = params.status;
        const filter = (s: Sub) => {
          // status=all lists every status; no status lists all but canceled (as Stripe does).
          if (st === 'all') {
            // keep
          } else if (
            st === 'ended' ? !['canceled', 'incomplete_expired'].includes(s.status) : st ? s.status !== st : s.status === 'canceled'
          )
            return false;
          const price = params.price ?? params.plan;
          if (price && !s.items.data.some((i) => i.price.id === price)) return false;
          if (params.test_clock && idOf(s.test_clock as string) !== params.test_clock) return false;
          return true;
        };
        return ctx.list('subscription', params, { where: { customer: params.customer }, filter }, '/v1/subscriptions');
      }),
  );

  const updateSub = p.object({
    items: p.array(itemUpdate),
    proration_behavior: prorationBehaviorParam,
    proration_date: p.integer(),
    cancel_at_period_end: p.boolean(),
    cancel_at: p.integer().emptyable(),
    cancellation_details: cancellationDetails,
    pause_collection: p
      .object({ behavior: p.enum(['keep_as_draft', 'mark_uncollectible', 'void'] as const).required(), resumes_at: p.integer() })
      .emptyable(),
    trial_end: p.union(p.literal('now'), p.integer()),
    trial_from_plan: p.boolean(),
    trial_settings: trialSettings,
    billing_cycle_anchor: anchorParam,
    default_payment_method: p.string().emptyable(),
    discounts: discountsParam,
    metadata: p.metadata(),
    description: p.string().emptyable(),
    payment_behavior: paymentBehaviorParam,
    payment_settings: paymentSettings,
    off_session: p.boolean(),
    collection_method: p.enum(['charge_automatically', 'send_invoice'] as const),
    days_until_due: p.integer(),
    default_tax_rates: p.array(p.string()).emptyable(),
    add_invoice_items: p.any(),
    automatic_tax: p.any(),
    invoice_settings: p.any(),
  });
  app.post('/v1/subscriptions/:id', updateSub, (ctx, params, req) =>
    run(ctx, () => {
      const sub = requireSub(b, req.pathParams.id, 'id');
      const customer = idOf(sub.customer as string)!;
      const at = now(customer);
      if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
        const allowed = ['metadata', 'cancellation_details', 'expand'];
        const bad = Object.keys(params).find((k) => !allowed.includes(k));
        if (bad) throw errors.invalid('A canceled subscription can only update its cancellation_details and metadata.', bad);
      }
      const pendingIfIncomplete = params.payment_behavior === 'pending_if_incomplete';
      if (pendingIfIncomplete) {
        const bad = Object.keys(params).find((k) => !PENDING_UPDATE_PARAMS.includes(k));
        if (bad)
          throw errors.invalid(
            `When payment_behavior is pending_if_incomplete, you can only update the following parameters: ${PENDING_UPDATE_PARAMS.filter((k) => k !== 'expand').join(', ')}.`,
            bad,
          );
        if (sub.collection_method === 'send_invoice')
          throw errors.invalid('Pending updates are not supported when collection_method is send_invoice.', 'payment_behavior');
      }
      if (sub.schedule && params.items) {
        throw errors.invalid(
          `The subscription is managed by the subscription schedule \`${idOf(sub.schedule as string)}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
          'items',
        );
      }
      const before = clone(sub);
      let inv: Inv | null = null;
      if (params.items) {
        const plan = planItemsUpdate(b, sub, params.items, params.proration_behavior, params.proration_date, at);
        inv = applyItemsPlan(b, sub, plan, at);
      }
      if (params.metadata !== undefined) sub.metadata = applyMetadata(sub.metadata, params.metadata);
      if (params.description !== undefined) sub.description = params.description;
      if (params.default_payment_method !== undefined) {
        if (params.default_payment_method && !store.get('payment_method', params.default_payment_method))
          throw errors.noSuch('PaymentMethod', params.default_payment_method, 'default_payment_method');
        sub.default_payment_method = params.default_payment_method;
      }
      if (params.payment_settings?.save_default_payment_method)
        sub.payment_settings = {
          ...sub.payment_settings!,
          save_default_payment_method: params.payment_settings.save_default_payment_method,
        };
      if (params.trial_settings)
        sub.trial_settings = {
          end_behavior: {
            ...sub.trial_settings!.end_behavior,
            missing_payment_method: params.trial_settings.end_behavior.missing_payment_method,
          },
        };
      if (params.cancellation_details) {
        sub.cancellation_details = {
          ...(sub.cancellation_details ?? { reason: null }),
          comment: params.cancellation_details.comment ?? null,
          feedback: (params.cancellation_details.feedback ?? null) as never,
          feedback_option: params.cancellation_details.feedback_option ?? null,
        } as Stripe.Subscription.CancellationDetails;
      }
      const periodEnd = sub.items.data[0]?.current_period_end ?? at;
      if (params.cancel_at_period_end !== undefined) {
        sub.cancel_at_period_end = params.cancel_at_period_end;
        sub.cancel_at = params.cancel_at_period_end ? periodEnd : null;
        sub.canceled_at = params.cancel_at_period_end ? at : null;
        if (params.cancel_at_period_end && sub.cancellation_details) sub.cancellation_details.reason = 'cancellation_requested';
        if (!params.cancel_at_period_end && sub.cancellation_details) sub.cancellation_details.reason = null;
      }
      if (params.cancel_at !== undefined) {
        if (params.cancel_at !== null && params.cancel_at < at) throw errors.invalid('cancel_at must be in the future', 'cancel_at');
        sub.cancel_at = params.cancel_at;
        sub.cancel_at_period_end = params.cancel_at !== null && params.cancel_at === periodEnd;
        sub.canceled_at = params.cancel_at === null ? null : at;
      }
      if (params.pause_collection !== undefined) {
        sub.pause_collection = params.pause_collection
          ? { behavior: params.pause_collection.behavior, resumes_at: params.pause_collection.resumes_at ?? null }
          : null;
      }
      if (params.discounts !== undefined)
        sub.discounts = params.discounts === null ? [] : createDiscounts(b, params.discounts, { customer, subscription: sub.id }, at);
      if (params.trial_end !== undefined) {
        if (params.trial_end === 'now') {
          if (sub.status === 'trialing') {
            sub.trial_end = at;
            sub.status = 'active';
            inv = resetPeriod(b, sub, at, 'subscription_update', false);
          }
        } else {
          if (params.trial_end <= at)
            throw errors.invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
          sub.trial_end = params.trial_end;
          sub.trial_start = sub.trial_start ?? at;
          sub.status = 'trialing';
          sub.billing_cycle_anchor = params.trial_end;
          for (const it of sub.items.data) it.current_period_end = params.trial_end;
        }
      }
      if (anchorType(params.billing_cycle_anchor) === 'now' && !inv) {
        inv = resetPeriod(b, sub, at, 'subscription_update', params.proration_behavior !== 'none');
      }
      // Nothing changes until the invoice is paid (payment_behavior=pending_if_incomplete).
      if (inv && pendingIfIncomplete) holdAsPendingUpdate(sub, before, inv, at);
      saveSub(b, sub);
      if (inv) {
        saveSub(b, sub);
        // As Stripe: an update's invoice is charged on-session unless off_session=true.
        const fin = collect(b, inv, sub, at, params.off_session ?? false);
        if (fin.status === 'open' && params.payment_behavior === 'error_if_incomplete') {
          throw errors.card({ code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
        }
      }
      const after = requireSub(b, sub.id);
      const prev = previousAttributes(before as never, after as never);
      if (prev) ctx.emit('customer.subscription.updated', after as never, prev);
      return after;
    }),
  );

  app.del(
    '/v1/subscriptions/:id',
    p.object({ invoice_now: p.boolean(), prorate: p.boolean(), cancellation_details: cancellationDetails }),
    (ctx, params, req) =>
      run(ctx, () => {
        const sub = requireSub(b, req.pathParams.id, 'id');
        const at = now(idOf(sub.customer as string));
        if (sub.status === 'incomplete') {
          const inv = sub.latest_invoice ? getInvoice(b, idOf(sub.latest_invoice as string)!) : null;
          if (inv && inv.status === 'open') voidInvoice(b, inv, at);
        }
        return cancelSubscription(b, sub, at, {
          invoiceNow: params.invoice_now ?? false,
          prorate: params.prorate ?? false,
          details: params.cancellation_details as Partial<Stripe.Subscription.CancellationDetails> | undefined,
        });
      }),
  );

  app.post(
    '/v1/subscriptions/:id/pause',
    p.object({
      type: p.enum(['subscription'] as const),
      bill_for: p.any(),
      invoicing_behavior: p.enum(['invoice', 'pending_invoice_item'] as const),
    }),
    (ctx, _params, req) =>
      run(ctx, () => {
        const sub = requireSub(b, req.pathParams.id, 'id');
        if (!['active', 'trialing', 'past_due'].includes(sub.status))
          throw errors.invalid(`Only active subscriptions can be paused; this one is ${sub.status}.`);
        const at = now(idOf(sub.customer as string));
        const before = clone(sub);
        sub.status = 'paused';
        sub.status_details = {
          paused: { subscription: { type: 'pause_requested' }, transitioned_at: at, type: 'subscription' },
        } as unknown as Stripe.Subscription.StatusDetails;
        saveSub(b, sub);
        ctx.emit('customer.subscription.paused', sub as never);
        ctx.emit('customer.subscription.updated', sub as never, previousAttributes(before as never, sub as never));
        return sub;
      }),
  );

  app.post(
    '/v1/subscriptions/:id/resume',
    p.object({
      billing_cycle_anchor: anchorParam,
      payment_behavior: p.enum(['pending_if_incomplete', 'allow_incomplete'] as const),
      proration_behavior: prorationBehaviorParam,
      proration_date: p.integer(),
    }),
    (ctx, params, req) =>
      run(ctx, () => {
        const sub = requireSub(b, req.pathParams.id, 'id');
        if (sub.status !== 'paused') throw errors.invalid('Only paused subscriptions can be resumed.');
        const at = now(idOf(sub.customer as string));
        const before = clone(sub);
        sub.status = 'active';
        delete sub.status_details;
        let inv: Inv | null = null;
        const first = sub.items.data[0];
        if (anchorType(params.billing_cycle_anchor) === 'unchanged' && first && first.current_period_end > at) {
          /* keep the period */
        } else {
          inv = resetPeriod(b, sub, at, 'subscription_update', false);
        }
        saveSub(b, sub);
        if (inv) collect(b, inv, sub, at);
        const after = requireSub(b, sub.id);
        ctx.emit('customer.subscription.resumed', after as never);
        ctx.emit('customer.subscription.updated', after as never, previousAttributes(before as never, after as never));
        return after;
      }),
  );
}
