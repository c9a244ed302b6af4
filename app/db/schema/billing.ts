import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The Stripe mirror (docs/architecture.md). Written ONLY by `app/billing/sync.server.ts` from objects freshly
 * read from Stripe; pages read it. Ids are Stripe's; money is integer minor units beside a currency;
 * Stripe times (unix seconds) are stored as `timestamp` (seconds) columns, our own as ms.
 * `synced_at` is when the snapshot was *fetched*: an upsert only wins if its fetch started no earlier
 * than the stored one (docs/decisions/011-mirror-writes.md), so a slow, older read never overwrites a
 * newer one. Deleted objects are marked, never removed.
 */
const stripeTime = (name: string) => integer(name, { mode: 'timestamp' });

/** A postal address as Stripe holds it (every field may be null). */
export interface PostalAddress {
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}
/** A tax ID as shown to the customer (`type` is Stripe's, e.g. `eu_vat`). */
export interface TaxIdView {
  id: string | null;
  type: string;
  value: string | null;
  /** `verification.status` where Stripe verifies (EU VAT…): pending, verified, unverified, unavailable. */
  verification: string | null;
}
/** One tier of a tiered price (`price.tiers`, expanded on read); `upTo` null is the last ("and up"). */
export interface PriceTierView {
  upTo: number | null;
  unitAmount: number | null;
  /** Minor units as a decimal string (fractions of a cent). */
  unitAmountDecimal: string | null;
  flatAmount: number | null;
}
/** One payment of an invoice (`invoice.payments`, expanded on read). */
export interface InvoicePaymentView {
  id: string;
  amountPaid: number | null;
  amountRequested: number;
  status: string;
  paidAt: number | null;
}
const syncedAt = () => integer('synced_at', { mode: 'timestamp_ms' }).notNull();

export const products = sqliteTable('products', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
  active: integer('active', { mode: 'boolean' }).notNull(),
  metadata: text('metadata', { mode: 'json' }).$type<Record<string, string>>().notNull(),
  deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
  stripeCreated: stripeTime('stripe_created'),
  syncedAt: syncedAt(),
});

export const prices = sqliteTable(
  'prices',
  {
    id: text('id').primaryKey(),
    productId: text('product_id').notNull(),
    lookupKey: text('lookup_key'),
    active: integer('active', { mode: 'boolean' }).notNull(),
    currency: text('currency').notNull(),
    unitAmount: integer('unit_amount'),
    type: text('type', { enum: ['one_time', 'recurring'] }).notNull(),
    interval: text('interval'),
    intervalCount: integer('interval_count'),
    usageType: text('usage_type'),
    meterId: text('meter_id'),
    /** `tiers` of a tiered price (graduated metered prices: the included calls, then the per-call price). */
    tiers: text('tiers', { mode: 'json' }).$type<PriceTierView[] | null>(),
    deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
    stripeCreated: stripeTime('stripe_created'),
    syncedAt: syncedAt(),
  },
  (t) => [index('prices_lookup_key_idx').on(t.lookupKey), index('prices_product_idx').on(t.productId)],
);

export const customers = sqliteTable(
  'customers',
  {
    id: text('id').primaryKey(),
    /** Resolved from users.stripe_customer_id (or metadata.user_id) when the snapshot is written. */
    userId: text('user_id'),
    email: text('email'),
    name: text('name'),
    defaultPaymentMethodId: text('default_payment_method_id'),
    balance: integer('balance').notNull().default(0),
    currency: text('currency'),
    /** The billing address Stripe prints on invoices. */
    address: text('address', { mode: 'json' }).$type<PostalAddress | null>(),
    /** `customer.tax_ids` (expanded on read): printed on invoices finalized after they were added. */
    taxIds: text('tax_ids', { mode: 'json' }).$type<TaxIdView[]>().notNull().default([]),
    deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
    stripeCreated: stripeTime('stripe_created'),
    syncedAt: syncedAt(),
  },
  (t) => [index('customers_user_idx').on(t.userId)],
);

export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    userId: text('user_id'),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull(),
    /** The first licensed item's price (the plan); metered items are in subscription_items. */
    priceId: text('price_id'),
    priceLookupKey: text('price_lookup_key'),
    quantity: integer('quantity'),
    currency: text('currency').notNull(),
    collectionMethod: text('collection_method').notNull(),
    cancelAtPeriodEnd: integer('cancel_at_period_end', { mode: 'boolean' }).notNull(),
    cancelAt: stripeTime('cancel_at'),
    canceledAt: stripeTime('canceled_at'),
    endedAt: stripeTime('ended_at'),
    /** pause_collection: status stays `active`, so access logic must look here. */
    pauseBehavior: text('pause_behavior', { enum: ['keep_as_draft', 'mark_uncollectible', 'void'] }),
    pauseResumesAt: stripeTime('pause_resumes_at'),
    trialStart: stripeTime('trial_start'),
    trialEnd: stripeTime('trial_end'),
    /** From the items (API 2025+ keeps periods there): the earliest start and latest end. */
    currentPeriodStart: stripeTime('current_period_start'),
    currentPeriodEnd: stripeTime('current_period_end'),
    defaultPaymentMethodId: text('default_payment_method_id'),
    latestInvoiceId: text('latest_invoice_id'),
    scheduleId: text('schedule_id'),
    /** The next phase of the schedule when it changes the plan (a downgrade at period end). */
    pendingPriceId: text('pending_price_id'),
    pendingQuantity: integer('pending_quantity'),
    pendingChangeAt: stripeTime('pending_change_at'),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    stripeCreated: stripeTime('stripe_created').notNull(),
    syncedAt: syncedAt(),
  },
  (t) => [index('subscriptions_customer_idx').on(t.customerId, t.stripeCreated), index('subscriptions_user_idx').on(t.userId)],
);

export const subscriptionItems = sqliteTable(
  'subscription_items',
  {
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id').notNull(),
    priceId: text('price_id').notNull(),
    priceLookupKey: text('price_lookup_key'),
    usageType: text('usage_type'),
    quantity: integer('quantity'),
    currentPeriodStart: stripeTime('current_period_start'),
    currentPeriodEnd: stripeTime('current_period_end'),
    stripeCreated: stripeTime('stripe_created'),
  },
  (t) => [index('subscription_items_subscription_idx').on(t.subscriptionId)],
);

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

export const invoices = sqliteTable(
  'invoices',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    userId: text('user_id'),
    subscriptionId: text('subscription_id'),
    status: text('status', { enum: INVOICE_STATUSES }),
    number: text('number'),
    currency: text('currency').notNull(),
    amountDue: integer('amount_due').notNull(),
    amountPaid: integer('amount_paid').notNull(),
    amountRemaining: integer('amount_remaining').notNull(),
    subtotal: integer('subtotal').notNull(),
    total: integer('total').notNull(),
    billingReason: text('billing_reason'),
    collectionMethod: text('collection_method'),
    attemptCount: integer('attempt_count').notNull().default(0),
    nextPaymentAttempt: stripeTime('next_payment_attempt'),
    dueDate: stripeTime('due_date'),
    periodStart: stripeTime('period_start'),
    periodEnd: stripeTime('period_end'),
    hostedInvoiceUrl: text('hosted_invoice_url'),
    invoicePdf: text('invoice_pdf'),
    paymentIntentId: text('payment_intent_id'),
    description: text('description'),
    /** Σ total_discount_amounts and Σ total_taxes, in minor units. */
    discountTotal: integer('discount_total').notNull().default(0),
    /** Billing credits (credit grants) applied before tax: `total_pretax_credit_amounts` of type credit_balance_transaction. */
    pretaxCreditTotal: integer('pretax_credit_total').notNull().default(0),
    taxTotal: integer('tax_total').notNull().default(0),
    /** Customer balance before/after this invoice: negative is credit (applied = starting − ending). */
    startingBalance: integer('starting_balance').notNull().default(0),
    endingBalance: integer('ending_balance'),
    /** Credit notes issued after payment (refunds or credit to the balance). */
    postPaymentCreditNotesAmount: integer('post_payment_credit_notes_amount').notNull().default(0),
    prePaymentCreditNotesAmount: integer('pre_payment_credit_notes_amount').notNull().default(0),
    /** The billing details as printed on the invoice (frozen by Stripe at finalization). */
    customerName: text('customer_name'),
    customerEmail: text('customer_email'),
    customerAddress: text('customer_address', { mode: 'json' }).$type<PostalAddress | null>(),
    customerTaxIds: text('customer_tax_ids', { mode: 'json' }).$type<TaxIdView[]>().notNull().default([]),
    payments: text('payments', { mode: 'json' }).$type<InvoicePaymentView[]>().notNull().default([]),
    finalizedAt: stripeTime('finalized_at'),
    paidAt: stripeTime('paid_at'),
    deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
    stripeCreated: stripeTime('stripe_created').notNull(),
    syncedAt: syncedAt(),
  },
  (t) => [
    index('invoices_customer_idx').on(t.customerId, t.stripeCreated),
    // The history's keyset: (created, id) newest first, optionally by status.
    index('invoices_customer_page_idx').on(t.customerId, t.stripeCreated, t.id),
    index('invoices_subscription_idx').on(t.subscriptionId),
    index('invoices_user_idx').on(t.userId),
  ],
);

export const invoiceLines = sqliteTable(
  'invoice_lines',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id').notNull(),
    position: integer('position').notNull(),
    description: text('description'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    quantity: integer('quantity'),
    priceId: text('price_id'),
    subscriptionItemId: text('subscription_item_id'),
    proration: integer('proration', { mode: 'boolean' }).notNull().default(false),
    /** `pricing.unit_amount_decimal`: the unit price in minor units (a decimal string: usage is fractional). */
    unitAmountDecimal: text('unit_amount_decimal'),
    periodStart: stripeTime('period_start'),
    periodEnd: stripeTime('period_end'),
  },
  (t) => [index('invoice_lines_invoice_idx').on(t.invoiceId, t.position)],
);

export const paymentMethods = sqliteTable(
  'payment_methods',
  {
    id: text('id').primaryKey(),
    /** Null once detached (the row stays, marked `detached`). */
    customerId: text('customer_id'),
    type: text('type').notNull(),
    brand: text('brand'),
    last4: text('last4'),
    expMonth: integer('exp_month'),
    expYear: integer('exp_year'),
    fingerprint: text('fingerprint'),
    detached: integer('detached', { mode: 'boolean' }).notNull().default(false),
    stripeCreated: stripeTime('stripe_created'),
    syncedAt: syncedAt(),
  },
  (t) => [index('payment_methods_customer_idx').on(t.customerId), index('payment_methods_fingerprint_idx').on(t.fingerprint)],
);

/** One-time PaymentIntents (not those of subscription invoices). */
export const payments = sqliteTable(
  'payments',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id'),
    userId: text('user_id'),
    amount: integer('amount').notNull(),
    amountReceived: integer('amount_received').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull(),
    description: text('description'),
    /** metadata.kind, e.g. `credit_pack`. */
    kind: text('kind'),
    lastError: text('last_error'),
    /** From the latest charge (`latest_charge.amount_refunded`, expanded on read). */
    amountRefunded: integer('amount_refunded').notNull().default(0),
    receiptUrl: text('receipt_url'),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    stripeCreated: stripeTime('stripe_created').notNull(),
    syncedAt: syncedAt(),
  },
  (t) => [index('payments_customer_idx').on(t.customerId, t.stripeCreated), index('payments_user_idx').on(t.userId)],
);

/**
 * The next invoice of a customer's live subscription as Stripe previews it (`invoices.createPreview`):
 * one row per customer, refreshed when the subscription, its usage or the catalogue changes, so pages
 * show it without calling Stripe. `lines` are the preview's lines as the invoice page shows them.
 */
export const upcomingInvoices = sqliteTable('upcoming_invoices', {
  customerId: text('customer_id').primaryKey(),
  subscriptionId: text('subscription_id'),
  currency: text('currency').notNull(),
  subtotal: integer('subtotal').notNull(),
  total: integer('total').notNull(),
  amountDue: integer('amount_due').notNull(),
  /** When it will be billed (the subscription's next renewal). */
  billsAt: stripeTime('bills_at'),
  lines: text('lines', { mode: 'json' })
    .$type<
      {
        description: string | null;
        amount: number;
        quantity: number | null;
        priceId: string | null;
        proration: boolean;
        periodStart: number | null;
        periodEnd: number | null;
      }[]
    >()
    .notNull(),
  syncedAt: syncedAt(),
});

export type ProductRow = typeof products.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type SubscriptionItemRow = typeof subscriptionItems.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type UpcomingInvoiceRow = typeof upcomingInvoices.$inferSelect;
