/**
 * Billing portal parameters: configuration `features` and session `flow_data`, parsed as Stripe does
 * (typed, unknown keys refused) and turned into the response objects of the pinned API version.
 */
import type Stripe from 'stripe';
import { errors, p, type Ctx, type Infer } from '../../core';

type Features = Stripe.BillingPortal.Configuration.Features;
type Flow = Stripe.BillingPortal.Session.Flow;

const prorationBehavior = p.enum(['always_invoice', 'create_prorations', 'none'] as const);
const cancellationReasons = [
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
] as const;

export const featureParams = p.object({
  customer_update: p.object({
    allowed_updates: p.array(p.enum(['address', 'email', 'name', 'phone', 'shipping', 'tax_id'] as const)).emptyable(),
    enabled: p.boolean(),
  }),
  invoice_history: p.object({ enabled: p.boolean().required() }),
  payment_method_update: p.object({ enabled: p.boolean().required(), payment_method_configuration: p.string().emptyable() }),
  subscription_cancel: p.object({
    cancellation_reason: p.object({
      enabled: p.boolean().required(),
      feedback_options: p.array(p.string()).emptyable(),
      options: p.array(p.enum(cancellationReasons)).emptyable(),
    }),
    enabled: p.boolean(),
    mode: p.enum(['at_period_end', 'immediately'] as const),
    proration_behavior: prorationBehavior,
  }),
  subscription_pause: p.object({
    duration: p.object({
      interval_options: p
        .array(
          p.object({
            interval: p.enum(['day', 'month', 'week', 'year'] as const).required(),
            interval_count: p.integer({ min: 1 }),
          }),
        )
        .emptyable(),
      type: p.enum(['indefinite', 'interval_options'] as const).required(),
    }),
    enabled: p.boolean(),
  }),
  subscription_update: p.object({
    billing_cycle_anchor: p.enum(['now', 'unchanged'] as const),
    default_allowed_updates: p.array(p.enum(['price', 'promotion_code', 'quantity'] as const)).emptyable(),
    enabled: p.boolean(),
    products: p
      .array(
        p.object({
          adjustable_quantity: p.object({
            enabled: p.boolean().required(),
            maximum: p.integer({ min: 1 }),
            minimum: p.integer({ min: 0 }),
          }),
          prices: p.array(p.string()).required(),
          product: p.string().required(),
        }),
      )
      .emptyable(),
    proration_behavior: prorationBehavior,
    schedule_at_period_end: p.object({
      conditions: p.array(p.object({ type: p.enum(['decreasing_item_amount', 'shortening_interval'] as const).required() })).emptyable(),
    }),
    trial_update_behavior: p.enum(['continue_trial', 'end_trial'] as const),
  }),
});
export type FeatureParams = Infer<typeof featureParams>;

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The configuration's features after applying create/update params (each given field replaces the old one). */
export function applyFeatures(old: Features, f: FeatureParams | undefined): Features {
  if (!f) return old;
  const cu = f.customer_update;
  const pmu = f.payment_method_update;
  const sc = f.subscription_cancel;
  const sp = f.subscription_pause;
  const su = f.subscription_update;
  const reason = sc?.cancellation_reason;
  return {
    customer_update: cu
      ? {
          ...old.customer_update,
          ...defined({ enabled: cu.enabled }),
          ...(cu.allowed_updates !== undefined ? { allowed_updates: cu.allowed_updates ?? [] } : {}),
        }
      : old.customer_update,
    invoice_history: f.invoice_history ? { enabled: f.invoice_history.enabled } : old.invoice_history,
    payment_method_update: pmu
      ? {
          enabled: pmu.enabled,
          payment_method_configuration:
            pmu.payment_method_configuration !== undefined
              ? pmu.payment_method_configuration
              : old.payment_method_update.payment_method_configuration,
        }
      : old.payment_method_update,
    subscription_cancel: sc
      ? {
          ...old.subscription_cancel,
          ...defined({ enabled: sc.enabled, mode: sc.mode, proration_behavior: sc.proration_behavior }),
          cancellation_reason: reason
            ? {
                enabled: reason.enabled,
                feedback_options:
                  reason.feedback_options !== undefined
                    ? reason.feedback_options
                    : old.subscription_cancel.cancellation_reason.feedback_options,
                options: reason.options !== undefined ? (reason.options ?? []) : old.subscription_cancel.cancellation_reason.options,
              }
            : old.subscription_cancel.cancellation_reason,
        }
      : old.subscription_cancel,
    subscription_pause: sp
      ? {
          enabled: sp.enabled ?? old.subscription_pause.enabled,
          duration: sp.duration
            ? {
                type: sp.duration.type,
                interval_options: (sp.duration.interval_options ?? []).map((o) => ({
                  interval: o.interval,
                  interval_count: o.interval_count ?? 1,
                })),
              }
            : old.subscription_pause.duration,
        }
      : old.subscription_pause,
    subscription_update: su
      ? {
          ...old.subscription_update,
          ...defined({
            billing_cycle_anchor: su.billing_cycle_anchor,
            enabled: su.enabled,
            proration_behavior: su.proration_behavior,
            trial_update_behavior: su.trial_update_behavior,
          }),
          ...(su.default_allowed_updates !== undefined ? { default_allowed_updates: su.default_allowed_updates ?? [] } : {}),
          ...(su.products !== undefined
            ? {
                products: (su.products ?? []).map((prod) => ({
                  adjustable_quantity: {
                    enabled: prod.adjustable_quantity?.enabled ?? false,
                    maximum: prod.adjustable_quantity?.maximum ?? null,
                    minimum: prod.adjustable_quantity?.minimum ?? 1,
                  },
                  prices: prod.prices,
                  product: prod.product,
                })),
              }
            : {}),
          ...(su.schedule_at_period_end ? { schedule_at_period_end: { conditions: su.schedule_at_period_end.conditions ?? [] } } : {}),
        }
      : old.subscription_update,
  };
}

const subscriptionRef = p.object({ subscription: p.string().required() });

export const flowDataParams = p.object({
  type: p
    .enum([
      'customer_update',
      'payment_method_update',
      'subscription_cancel',
      'subscription_pause',
      'subscription_update',
      'subscription_update_confirm',
    ] as const)
    .required(),
  after_completion: p.object({
    type: p.enum(['hosted_confirmation', 'portal_homepage', 'redirect'] as const).required(),
    hosted_confirmation: p.object({ custom_message: p.string({ maxLength: 500 }) }),
    redirect: p.object({ return_url: p.string().required() }),
  }),
  subscription_cancel: subscriptionRef.extend({
    retention: p.object({
      type: p.enum(['coupon_offer'] as const).required(),
      coupon_offer: p.object({ coupon: p.string().required() }).required(),
    }),
  }),
  subscription_pause: subscriptionRef,
  subscription_update: subscriptionRef,
  subscription_update_confirm: subscriptionRef.extend({
    discounts: p.array(p.object({ coupon: p.string(), promotion_code: p.string() })),
    items: p.array(p.object({ id: p.string().required(), price: p.string(), quantity: p.integer({ min: 0 }) })).required(),
  }),
});

/** The session's `flow` for its `flow_data`; subscriptions must exist and belong to the customer. */
export function sessionFlow(ctx: Ctx, customer: string, fd: Infer<typeof flowDataParams>): Flow {
  const ownSubscription = (key: 'subscription_cancel' | 'subscription_pause' | 'subscription_update' | 'subscription_update_confirm') => {
    if (fd.type !== key) return null;
    const id = fd[key]?.subscription;
    if (!id) throw errors.missingParam(`flow_data[${key}][subscription]`);
    const sub = ctx.store.get('subscription', id) as Stripe.Subscription | null;
    if (!sub || sub.customer !== customer)
      throw errors.invalidParam(`flow_data[${key}][subscription]`, `No such subscription: '${id}' for customer '${customer}'.`);
    return id;
  };
  const ac = fd.after_completion;
  if (ac?.type === 'redirect' && !ac.redirect) throw errors.missingParam('flow_data[after_completion][redirect]');
  const cancelSub = ownSubscription('subscription_cancel');
  const pauseSub = ownSubscription('subscription_pause');
  const updateSub = ownSubscription('subscription_update');
  const confirmSub = ownSubscription('subscription_update_confirm');
  const confirm = fd.subscription_update_confirm;
  const retention = fd.subscription_cancel?.retention;
  return {
    after_completion: {
      hosted_confirmation: ac?.type === 'hosted_confirmation' ? { custom_message: ac.hosted_confirmation?.custom_message ?? null } : null,
      redirect: ac?.type === 'redirect' && ac.redirect ? { return_url: ac.redirect.return_url } : null,
      type: ac?.type ?? 'portal_homepage',
    },
    customer_update: fd.type === 'customer_update' ? {} : null,
    subscription_cancel: cancelSub
      ? {
          retention: retention ? { coupon_offer: { coupon: retention.coupon_offer.coupon }, type: 'coupon_offer' } : null,
          subscription: cancelSub,
        }
      : null,
    subscription_pause: pauseSub ? { subscription: pauseSub } : null,
    subscription_update: updateSub ? { subscription: updateSub } : null,
    subscription_update_confirm:
      confirmSub && confirm
        ? {
            discounts: confirm.discounts?.map((d) => ({ coupon: d.coupon ?? null, promotion_code: d.promotion_code ?? null })) ?? null,
            items: confirm.items.map((i) => ({
              id: i.id,
              price: i.price ?? null,
              ...(i.quantity !== undefined ? { quantity: i.quantity } : {}),
            })),
            subscription: confirmSub,
          }
        : null,
    type: fd.type,
  };
}
