/**
 * Param schemas shared by the billing routes, and the engine inputs typed from them (`Infer`), so a
 * param is declared once.
 */
import { p, type Infer } from '../core';

export const discountsParam = p.array(p.object({ coupon: p.string(), promotion_code: p.string(), discount: p.string() })).emptyable();
export const prorationBehaviorParam = p.enum(['always_invoice', 'create_prorations', 'none'] as const);
export const paymentBehaviorParam = p.enum([
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
  'pending_if_incomplete',
] as const);

export const itemCreate = p.object({
  price: p.string(),
  quantity: p.integer({ min: 0 }),
  metadata: p.metadata(),
  discounts: discountsParam,
  tax_rates: p.array(p.string()).emptyable(),
});
export const itemUpdate = itemCreate.extend({ id: p.string(), deleted: p.boolean(), clear_usage: p.boolean() });

export const paymentSettings = p.object({
  save_default_payment_method: p.enum(['on_subscription', 'off'] as const),
  payment_method_types: p.array(p.string()).emptyable(),
  payment_method_options: p.any(),
});
export const trialSettings = p.object({
  end_behavior: p.object({ missing_payment_method: p.enum(['cancel', 'create_invoice', 'pause'] as const).required() }).required(),
});
export const cancellationDetails = p.object({
  comment: p.string().emptyable(),
  feedback: p.string().emptyable(),
  feedback_option: p.string().emptyable(),
});

/** `billing_cycle_anchor` on update/resume/preview: `{ type: 'now' | 'unchanged' }` (older SDKs sent a string). */
export const anchorParam = p.union(
  p.enum(['now', 'unchanged'] as const),
  p.object({ type: p.enum(['now', 'unchanged', 'timestamp'] as const).required(), timestamp: p.integer() }),
);
export function anchorType(v: Infer<typeof anchorParam> | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : v.type;
}

export const subscriptionCreate = p.object({
  customer: p.string().required(),
  items: p.array(itemCreate),
  payment_behavior: paymentBehaviorParam,
  payment_settings: paymentSettings,
  default_payment_method: p.string(),
  trial_period_days: p.integer({ min: 0, max: 730 }),
  trial_end: p.union(p.literal('now'), p.integer()),
  trial_from_plan: p.boolean(),
  trial_settings: trialSettings,
  billing_cycle_anchor: p.integer(),
  cancel_at_period_end: p.boolean(),
  cancel_at: p.integer(),
  discounts: discountsParam,
  metadata: p.metadata(),
  description: p.string(),
  proration_behavior: prorationBehaviorParam,
  collection_method: p.enum(['charge_automatically', 'send_invoice'] as const),
  days_until_due: p.integer(),
  off_session: p.boolean(),
  currency: p.string(),
  add_invoice_items: p.array(
    p.object({
      price: p.string(),
      quantity: p.integer(),
      price_data: p.any(),
      metadata: p.metadata(),
      discounts: discountsParam,
      period: p.any(),
      tax_rates: p.any(),
    }),
  ),
  automatic_tax: p.object({ enabled: p.boolean().required(), liability: p.any() }),
  default_tax_rates: p.array(p.string()).emptyable(),
  invoice_settings: p.any(),
  backdate_start_date: p.integer(),
});

export const phaseParam = p.object({
  items: p
    .array(
      p.object({
        price: p.string(),
        quantity: p.integer({ min: 0 }),
        metadata: p.metadata(),
        plan: p.string(),
        discounts: discountsParam,
        tax_rates: p.any(),
        price_data: p.any(),
        billing_thresholds: p.any(),
      }),
    )
    .required(),
  start_date: p.union(p.literal('now'), p.integer()),
  end_date: p.union(p.literal('now'), p.integer()),
  duration: p.object({ interval: p.enum(['day', 'week', 'month', 'year'] as const).required(), interval_count: p.integer({ min: 1 }) }),
  proration_behavior: prorationBehaviorParam,
  trial_end: p.union(p.literal('now'), p.integer()),
  trial: p.boolean(),
  metadata: p.metadata(),
  default_payment_method: p.string(),
  discounts: discountsParam,
  billing_cycle_anchor: p.enum(['automatic', 'phase_start'] as const),
  collection_method: p.any(),
  currency: p.string(),
  description: p.any(),
  invoice_settings: p.any(),
  add_invoice_items: p.any(),
  automatic_tax: p.any(),
  default_tax_rates: p.any(),
  application_fee_percent: p.any(),
  on_behalf_of: p.any(),
  transfer_data: p.any(),
  billing_thresholds: p.any(),
});

/** An item change (subscription update, subscription items, schedule phases). */
export type ItemInput = Pick<Infer<typeof itemUpdate>, 'id' | 'price' | 'quantity' | 'deleted' | 'metadata'>;

/** A schedule phase as given to create/update. */
export type PhaseInput = Infer<typeof phaseParam>;

/** What creating a subscription takes: the create params as the route reads them, plus Checkout's link. */
export type SubscriptionInput = Omit<Infer<typeof subscriptionCreate>, 'items' | 'metadata' | 'payment_settings'> & {
  items: Array<{ price: string; quantity?: number; metadata?: Record<string, string | null> | null }>;
  metadata?: Record<string, string>;
  save_default_payment_method?: 'on_subscription' | 'off';
  checkout_session?: string | null;
};
