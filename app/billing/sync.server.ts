// One file over 500 lines: it is the mirror's one writer (docs/architecture.md, rule 4), every mirror write and its ordering rule in one place.
/**
 * The Stripe mirror's writer: the ONLY module that writes `customers`, `subscriptions`,
 * `subscription_items`, `invoices`, `invoice_lines`, `payment_methods`, `payments`, `products` and
 * `prices` (docs/architecture.md, docs/webhooks.md). Pages read the mirror through `queries.server.ts`.
 *
 * Writes — always from an object freshly read from Stripe, never from a webhook payload:
 *   syncCustomer(customerId)        re-read the customer and everything the billing pages show
 *                                   (subscriptions, payment methods, recent invoices, one-time payments).
 *                                   Call it at the end of every billing action (sync on write).
 *   syncObject(kind, id)            re-read one object and upsert it; `kind` is a SyncKind.
 *   fetchSnapshot / writeSnapshot   the two halves of syncObject, for the webhook worker, which reads
 *                                   each object once per batch and writes it in the same transaction
 *                                   as the events' side effects.
 *   mirrorCatalog(products, prices) products and prices just listed from Stripe (stripe:setup).
 * Every write is one transaction and carries the time its read *started*; an upsert only replaces a
 * row whose stored read started no later (docs/decisions/011-mirror-writes.md), so a slow, older
 * read can never overwrite a newer one, whatever order webhooks and actions finish in.
 *   syncUpcomingInvoice(customerId) the next invoice (Stripe's preview) into `upcoming_invoices`.
 */
import type Stripe from 'stripe';
import { and, desc, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { db, type Db } from '~/db/client.server';
import {
  customers,
  invoiceLines,
  invoices,
  paymentMethods,
  payments,
  prices,
  products,
  subscriptionItems,
  subscriptions,
  upcomingInvoices,
  type InvoiceRow,
  type SubscriptionRow,
  type SubscriptionStatus,
} from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { resolveOwner } from './owner.server';
import {
  customerBillingDetails,
  decimalString,
  idOf,
  invoiceDetails,
  invoicePaymentIntentId,
  pendingChange,
  priceLookupKey,
  toDate,
} from './stripe-fields';

export type SyncKind = 'customer' | 'subscription' | 'invoice' | 'payment_method' | 'payment_intent' | 'product' | 'price';

/** A transaction handle or the database itself: writers run inside a transaction they are given. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * One object as Stripe returned it. `object: null` means Stripe answered 404 (it is gone): the row is
 * marked deleted, never removed.
 */
export type Snapshot =
  | { kind: 'customer'; id: string; object: Stripe.Customer | Stripe.DeletedCustomer | null }
  | { kind: 'subscription'; id: string; object: Stripe.Subscription | null }
  | { kind: 'invoice'; id: string; object: Stripe.Invoice | null }
  | { kind: 'payment_method'; id: string; object: Stripe.PaymentMethod | null }
  | { kind: 'payment_intent'; id: string; object: Stripe.PaymentIntent | null }
  | { kind: 'product'; id: string; object: Stripe.Product | null }
  | { kind: 'price'; id: string; object: Stripe.Price | null };

/** What a subscription read expands: the schedule, for the pending plan change. */
const SUBSCRIPTION_EXPAND = ['schedule'];
/**
 * What an invoice read expands: its payments with their PaymentIntents, for the fix-payment page and
 * the decline reason in the "payment failed" email (`last_payment_error.message`).
 */
const INVOICE_EXPAND = ['payments', 'payments.data.payment.payment_intent'];
/** What a customer read expands: its tax IDs (billing details page, printed on invoices). */
const CUSTOMER_EXPAND = ['tax_ids'];
/** What a PaymentIntent read expands: its charge, for refunds of one-time purchases. */
const PAYMENT_INTENT_EXPAND = ['latest_charge'];

function isNotFound(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: string; type?: string } | null;
  return !!e && (e.statusCode === 404 || e.code === 'resource_missing');
}

async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * Reads one object from Stripe: exactly one API call (plus line-item pages for an invoice with more
 * than the first page of lines, which the pages need in full).
 */
export async function fetchSnapshot(kind: SyncKind, id: string): Promise<Snapshot> {
  const s = stripe();
  switch (kind) {
    case 'customer':
      return { kind, id, object: await orNull(s.customers.retrieve(id, { expand: CUSTOMER_EXPAND })) };
    case 'subscription':
      return { kind, id, object: await orNull(s.subscriptions.retrieve(id, { expand: SUBSCRIPTION_EXPAND })) };
    case 'invoice': {
      const invoice = await orNull(s.invoices.retrieve(id, { expand: INVOICE_EXPAND }));
      if (invoice?.lines?.has_more) {
        const all: Stripe.InvoiceLineItem[] = [];
        for await (const line of s.invoices.listLineItems(id, { limit: 100 })) all.push(line);
        invoice.lines = { ...invoice.lines, data: all, has_more: false };
      }
      return { kind, id, object: invoice };
    }
    case 'payment_method':
      return { kind, id, object: await orNull(s.paymentMethods.retrieve(id)) };
    case 'payment_intent':
      return { kind, id, object: await orNull(s.paymentIntents.retrieve(id, { expand: PAYMENT_INTENT_EXPAND })) };
    case 'product':
      return { kind, id, object: await orNull(s.products.retrieve(id)) };
    case 'price':
      return { kind, id, object: await orNull(s.prices.retrieve(id, { expand: ['tiers'] })) };
  }
}

// ---------------------------------------------------------------------------------------------------
// Writing

/**
 * `INSERT … ON CONFLICT(id) DO UPDATE SET <every column> = excluded.<column> WHERE the stored read
 * started no later than this one`. Returns whether the row was written.
 */
function upsertNewer<T extends SQLiteTable>(tx: Tx, table: T, row: T['$inferInsert']): boolean {
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  const set: Record<string, SQL> = {};
  for (const [key, column] of Object.entries(columns)) {
    if (key === 'id') continue;
    set[key] = sql.raw(`excluded."${column.name}"`);
  }
  const t = table as unknown as { id: never; syncedAt: never };
  const result = tx
    .insert(table)
    .values(row)
    .onConflictDoUpdate({ target: t.id, set: set as never, setWhere: sql`excluded."synced_at" >= ${t.syncedAt}` })
    .run();
  return result.changes > 0;
}

/** Marks a row deleted (404 from Stripe) if this read is not older than the stored one. */
function markGone(tx: Tx, kind: SyncKind, id: string, fetchedAt: Date) {
  const newer = (col: SQL | unknown) => sql`${col} <= ${fetchedAt.getTime()}`;
  switch (kind) {
    case 'customer':
      tx.update(customers)
        .set({ deleted: true, syncedAt: fetchedAt })
        .where(and(eq(customers.id, id), newer(customers.syncedAt)))
        .run();
      return;
    case 'invoice':
      tx.update(invoices)
        .set({ deleted: true, syncedAt: fetchedAt })
        .where(and(eq(invoices.id, id), newer(invoices.syncedAt)))
        .run();
      return;
    case 'payment_method':
      tx.update(paymentMethods)
        .set({ detached: true, customerId: null, syncedAt: fetchedAt })
        .where(and(eq(paymentMethods.id, id), newer(paymentMethods.syncedAt)))
        .run();
      return;
    case 'product':
      tx.update(products)
        .set({ deleted: true, active: false, syncedAt: fetchedAt })
        .where(and(eq(products.id, id), newer(products.syncedAt)))
        .run();
      return;
    case 'price':
      tx.update(prices)
        .set({ deleted: true, active: false, syncedAt: fetchedAt })
        .where(and(eq(prices.id, id), newer(prices.syncedAt)))
        .run();
      return;
    case 'subscription':
    case 'payment_intent':
      // Stripe keeps these (a canceled subscription is still readable); a 404 means another account
      // or mode. Nothing to mark.
      return;
  }
}

function writeCustomer(tx: Tx, c: Stripe.Customer | Stripe.DeletedCustomer, fetchedAt: Date) {
  if ('deleted' in c && c.deleted) {
    tx.update(customers)
      .set({ deleted: true, syncedAt: fetchedAt })
      .where(and(eq(customers.id, c.id), sql`${customers.syncedAt} <= ${fetchedAt.getTime()}`))
      .run();
    return;
  }
  const customer = c as Stripe.Customer;
  upsertNewer(tx, customers, {
    id: customer.id,
    userId: resolveOwner(tx, customer.id, customer.metadata),
    email: customer.email,
    name: customer.name ?? null,
    defaultPaymentMethodId: idOf(customer.invoice_settings?.default_payment_method ?? null),
    balance: customer.balance ?? 0,
    currency: customer.currency ?? null,
    ...customerBillingDetails(customer),
    deleted: false,
    stripeCreated: toDate(customer.created),
    syncedAt: fetchedAt,
  });
}

function writeSubscription(tx: Tx, sub: Stripe.Subscription, fetchedAt: Date) {
  const items = sub.items?.data ?? [];
  const plan = items.find((i) => i.price?.recurring?.usage_type !== 'metered') ?? items[0];
  const starts = items.map((i) => i.current_period_start).filter((n): n is number => typeof n === 'number');
  const ends = items.map((i) => i.current_period_end).filter((n): n is number => typeof n === 'number');
  const customerId = idOf(sub.customer)!;
  const pending = pendingChange(sub);
  const written = upsertNewer(tx, subscriptions, {
    id: sub.id,
    customerId,
    userId: resolveOwner(tx, customerId, sub.metadata),
    status: sub.status as SubscriptionStatus,
    priceId: plan?.price?.id ?? null,
    priceLookupKey: priceLookupKey(plan?.price),
    quantity: plan?.quantity ?? null,
    currency: sub.currency,
    collectionMethod: sub.collection_method,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    cancelAt: toDate(sub.cancel_at),
    canceledAt: toDate(sub.canceled_at),
    endedAt: toDate(sub.ended_at),
    pauseBehavior: (sub.pause_collection?.behavior ?? null) as SubscriptionRow['pauseBehavior'],
    pauseResumesAt: toDate(sub.pause_collection?.resumes_at ?? null),
    trialStart: toDate(sub.trial_start),
    trialEnd: toDate(sub.trial_end),
    currentPeriodStart: starts.length ? toDate(Math.min(...starts)) : null,
    currentPeriodEnd: ends.length ? toDate(Math.max(...ends)) : null,
    defaultPaymentMethodId: idOf(sub.default_payment_method),
    latestInvoiceId: idOf(sub.latest_invoice),
    scheduleId: idOf(sub.schedule),
    pendingPriceId: pending.priceId,
    pendingQuantity: pending.quantity,
    pendingChangeAt: toDate(pending.at),
    metadata: sub.metadata ?? {},
    stripeCreated: toDate(sub.created)!,
    syncedAt: fetchedAt,
  });
  if (!written) return;
  // Items are part of the subscription's current state: replace them with what Stripe has now.
  tx.delete(subscriptionItems).where(eq(subscriptionItems.subscriptionId, sub.id)).run();
  if (items.length) {
    tx.insert(subscriptionItems)
      .values(
        items.map((i) => ({
          id: i.id,
          subscriptionId: sub.id,
          priceId: i.price.id,
          priceLookupKey: priceLookupKey(i.price),
          usageType: i.price.recurring?.usage_type ?? null,
          quantity: i.quantity ?? null,
          currentPeriodStart: toDate(i.current_period_start),
          currentPeriodEnd: toDate(i.current_period_end),
          stripeCreated: toDate(i.created),
        })),
      )
      .onConflictDoNothing()
      .run();
  }
}

function writeInvoice(tx: Tx, invoice: Stripe.Invoice, fetchedAt: Date) {
  const customerId = idOf(invoice.customer);
  if (!customerId) return;
  const written = upsertNewer(tx, invoices, {
    id: invoice.id,
    customerId,
    userId: resolveOwner(tx, customerId, invoice.metadata),
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription ?? null),
    status: invoice.status as InvoiceRow['status'],
    number: invoice.number,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    amountRemaining: invoice.amount_remaining,
    subtotal: invoice.subtotal,
    total: invoice.total,
    billingReason: invoice.billing_reason,
    collectionMethod: invoice.collection_method,
    attemptCount: invoice.attempt_count ?? 0,
    nextPaymentAttempt: toDate(invoice.next_payment_attempt),
    dueDate: toDate(invoice.due_date),
    periodStart: toDate(invoice.period_start),
    periodEnd: toDate(invoice.period_end),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    paymentIntentId: invoicePaymentIntentId(invoice),
    ...invoiceDetails(invoice),
    finalizedAt: toDate(invoice.status_transitions?.finalized_at),
    paidAt: toDate(invoice.status_transitions?.paid_at),
    deleted: false,
    stripeCreated: toDate(invoice.created)!,
    syncedAt: fetchedAt,
  });
  if (!written) return;
  tx.delete(invoiceLines).where(eq(invoiceLines.invoiceId, invoice.id)).run();
  const lines = invoice.lines?.data ?? [];
  if (lines.length) {
    tx.insert(invoiceLines)
      .values(
        lines.map((line, position) => {
          const details = line.parent?.subscription_item_details ?? null;
          return {
            id: line.id,
            invoiceId: invoice.id,
            position,
            description: line.description,
            amount: line.amount,
            currency: line.currency,
            quantity: line.quantity ?? null,
            priceId: idOf(line.pricing?.price_details?.price ?? null),
            subscriptionItemId: details?.subscription_item ?? null,
            proration: details?.proration ?? line.parent?.invoice_item_details?.proration ?? false,
            unitAmountDecimal: decimalString(line.pricing?.unit_amount_decimal),
            periodStart: toDate(line.period?.start),
            periodEnd: toDate(line.period?.end),
          };
        }),
      )
      .onConflictDoNothing()
      .run();
  }
}

function writePaymentMethod(tx: Tx, pm: Stripe.PaymentMethod, fetchedAt: Date) {
  const customerId = idOf(pm.customer);
  upsertNewer(tx, paymentMethods, {
    id: pm.id,
    customerId,
    type: pm.type,
    brand: pm.card?.brand ?? null,
    last4: pm.card?.last4 ?? null,
    expMonth: pm.card?.exp_month ?? null,
    expYear: pm.card?.exp_year ?? null,
    fingerprint: pm.card?.fingerprint ?? null,
    detached: customerId === null,
    stripeCreated: toDate(pm.created),
    syncedAt: fetchedAt,
  });
}

/**
 * One-time payments only: PaymentIntents the app created with `metadata.kind` (e.g. `credit_pack`).
 * Subscription invoices' PaymentIntents are reached through `invoices.payment_intent_id` instead.
 */
function isOneTimePayment(pi: Stripe.PaymentIntent): boolean {
  return !!pi.metadata?.kind;
}

function writePaymentIntent(tx: Tx, pi: Stripe.PaymentIntent, fetchedAt: Date) {
  if (!isOneTimePayment(pi)) return;
  const customerId = idOf(pi.customer);
  upsertNewer(tx, payments, {
    id: pi.id,
    customerId,
    userId: resolveOwner(tx, customerId, pi.metadata),
    amount: pi.amount,
    amountReceived: pi.amount_received,
    currency: pi.currency,
    status: pi.status,
    description: pi.description,
    kind: pi.metadata.kind ?? null,
    lastError: pi.last_payment_error?.message ?? null,
    amountRefunded: typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge.amount_refunded : 0,
    receiptUrl: typeof pi.latest_charge === 'object' && pi.latest_charge ? (pi.latest_charge.receipt_url ?? null) : null,
    metadata: pi.metadata,
    stripeCreated: toDate(pi.created)!,
    syncedAt: fetchedAt,
  });
}

function writeProduct(tx: Tx, product: Stripe.Product, fetchedAt: Date) {
  upsertNewer(tx, products, {
    id: product.id,
    name: product.name,
    description: product.description ?? null,
    active: product.active,
    metadata: product.metadata ?? {},
    deleted: false,
    stripeCreated: toDate(product.created),
    syncedAt: fetchedAt,
  });
}

function writePrice(tx: Tx, price: Stripe.Price, fetchedAt: Date) {
  upsertNewer(tx, prices, {
    id: price.id,
    productId: idOf(price.product as string | { id: string })!,
    lookupKey: price.lookup_key,
    active: price.active,
    currency: price.currency,
    unitAmount: price.unit_amount,
    type: price.type as 'one_time' | 'recurring',
    interval: price.recurring?.interval ?? null,
    intervalCount: price.recurring?.interval_count ?? null,
    usageType: price.recurring?.usage_type ?? null,
    meterId: price.recurring?.meter ?? null,
    tiers:
      price.tiers?.map((t) => ({
        upTo: t.up_to,
        unitAmount: t.unit_amount,
        unitAmountDecimal: decimalString(t.unit_amount_decimal),
        flatAmount: t.flat_amount,
      })) ?? null,
    deleted: false,
    stripeCreated: toDate(price.created),
    syncedAt: fetchedAt,
  });
}

/** Writes a snapshot inside the caller's transaction. `fetchedAt` is when its read started. */
export function writeSnapshot(tx: Tx, snap: Snapshot, fetchedAt: Date): void {
  if (snap.object === null) return markGone(tx, snap.kind, snap.id, fetchedAt);
  switch (snap.kind) {
    case 'customer':
      return writeCustomer(tx, snap.object!, fetchedAt);
    case 'subscription':
      return writeSubscription(tx, snap.object!, fetchedAt);
    case 'invoice':
      return writeInvoice(tx, snap.object!, fetchedAt);
    case 'payment_method':
      return writePaymentMethod(tx, snap.object!, fetchedAt);
    case 'payment_intent':
      return writePaymentIntent(tx, snap.object!, fetchedAt);
    case 'product':
      return writeProduct(tx, snap.object!, fetchedAt);
    case 'price':
      return writePrice(tx, snap.object!, fetchedAt);
  }
}

/** Writes products and prices just listed from Stripe (stripe:setup, the price cache). */
export function mirrorCatalog(productList: Stripe.Product[], priceList: Stripe.Price[], fetchedAt: Date) {
  db().transaction((tx) => {
    for (const product of productList) writeProduct(tx, product, fetchedAt);
    for (const price of priceList) writePrice(tx, price, fetchedAt);
  });
}

/** Re-reads one object from Stripe and upserts it (one transaction). */
export async function syncObject(kind: SyncKind, id: string): Promise<Snapshot> {
  const fetchedAt = machineClock.now();
  const snap = await fetchSnapshot(kind, id);
  db().transaction((tx) => writeSnapshot(tx, snap, fetchedAt));
  return snap;
}

/** How many recent invoices syncCustomer keeps fresh (older ones stay as last mirrored). */
const CUSTOMER_INVOICE_WINDOW = 24;

/**
 * Re-reads a customer and everything the billing pages show, then writes it all in one transaction.
 * The one function both the actions (sync on write) and the backfill call.
 */
export async function syncCustomer(
  customerId: string,
): Promise<{ subscriptions: number; invoices: number; paymentMethods: number; payments: number }> {
  const s = stripe();
  const fetchedAt = machineClock.now();
  const customer = await orNull(s.customers.retrieve(customerId, { expand: CUSTOMER_EXPAND }));
  const subs: Stripe.Subscription[] = [];
  const pms: Stripe.PaymentMethod[] = [];
  const invs: Stripe.Invoice[] = [];
  const pis: Stripe.PaymentIntent[] = [];
  if (customer && !('deleted' in customer && customer.deleted)) {
    const [subList, pmList, invList, piList] = await Promise.all([
      s.subscriptions.list({ customer: customerId, status: 'all', limit: 100, expand: ['data.schedule'] }),
      s.customers.listPaymentMethods(customerId, { limit: 100 }),
      s.invoices.list({ customer: customerId, limit: CUSTOMER_INVOICE_WINDOW, expand: ['data.payments'] }),
      s.paymentIntents.list({ customer: customerId, limit: 100, expand: ['data.latest_charge'] }),
    ]);
    subs.push(...subList.data);
    pms.push(...pmList.data);
    invs.push(...invList.data);
    pis.push(...piList.data);
    // An invoice list page carries at most 10 lines per invoice; read the rest where needed.
    for (const invoice of invs) {
      if (invoice.lines?.has_more) {
        const all: Stripe.InvoiceLineItem[] = [];
        for await (const line of s.invoices.listLineItems(invoice.id, { limit: 100 })) all.push(line);
        invoice.lines = { ...invoice.lines, data: all, has_more: false };
      }
    }
  }
  db().transaction((tx) => {
    if (!customer) markGone(tx, 'customer', customerId, fetchedAt);
    else writeCustomer(tx, customer, fetchedAt);
    for (const sub of subs) writeSubscription(tx, sub, fetchedAt);
    for (const pm of pms) writePaymentMethod(tx, pm, fetchedAt);
    // Payment methods we mirrored for this customer that Stripe no longer lists were detached.
    const listed = pms.map((p) => p.id);
    tx.update(paymentMethods)
      .set({ detached: true, customerId: null, syncedAt: fetchedAt })
      .where(
        and(
          eq(paymentMethods.customerId, customerId),
          listed.length ? sql`${paymentMethods.id} not in ${listed}` : undefined,
          sql`${paymentMethods.syncedAt} <= ${fetchedAt.getTime()}`,
        ),
      )
      .run();
    for (const invoice of invs) writeInvoice(tx, invoice, fetchedAt);
    for (const pi of pis) writePaymentIntent(tx, pi, fetchedAt);
  });
  // The next invoice follows what just changed; a failed preview must not fail the action that synced.
  await syncUpcomingInvoice(customerId).catch((e) =>
    console.warn(`next invoice of ${customerId} not refreshed: ${e instanceof Error ? e.message : String(e)}`),
  );
  return { subscriptions: subs.length, invoices: invs.length, paymentMethods: pms.length, payments: pis.filter(isOneTimePayment).length };
}

/**
 * The next invoice of the customer's live subscription, as Stripe previews it
 * (`invoices.createPreview`), kept in `upcoming_invoices` so pages show it without calling Stripe.
 * No live subscription, or one set to end or paused: no row. Called after syncCustomer (sync on
 * write) and by the webhook worker after a subscription or invoice changed.
 */
export async function syncUpcomingInvoice(customerId: string): Promise<void> {
  const fetchedAt = machineClock.now();
  const live = db()
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.customerId, customerId), inArray(subscriptions.status, ['active', 'trialing', 'past_due'])))
    .orderBy(desc(subscriptions.stripeCreated))
    .get();
  let preview: Stripe.Invoice | null = null;
  if (live && !live.cancelAtPeriodEnd && !live.cancelAt && !live.pauseBehavior) {
    try {
      preview = await stripe().invoices.createPreview({ customer: customerId, subscription: live.id });
    } catch (error) {
      // Stripe says there is nothing to invoice (invoice_upcoming_none): no row.
      if ((error as { code?: string }).code !== 'invoice_upcoming_none' && !isNotFound(error)) throw error;
    }
  }
  db().transaction((tx) => {
    const stored = tx
      .select({ syncedAt: upcomingInvoices.syncedAt })
      .from(upcomingInvoices)
      .where(eq(upcomingInvoices.customerId, customerId))
      .get();
    if (stored && stored.syncedAt > fetchedAt) return; // a newer read already wrote it
    if (!preview) {
      tx.delete(upcomingInvoices).where(eq(upcomingInvoices.customerId, customerId)).run();
      return;
    }
    const row = {
      customerId,
      subscriptionId: live!.id,
      currency: preview.currency,
      subtotal: preview.subtotal,
      total: preview.total,
      amountDue: preview.amount_due,
      billsAt: toDate(preview.next_payment_attempt ?? preview.created),
      lines: (preview.lines?.data ?? []).map((line) => ({
        description: line.description,
        amount: line.amount,
        quantity: line.quantity ?? null,
        priceId: idOf(line.pricing?.price_details?.price ?? null),
        proration: line.parent?.subscription_item_details?.proration ?? line.parent?.invoice_item_details?.proration ?? false,
        periodStart: line.period?.start ?? null,
        periodEnd: line.period?.end ?? null,
      })),
      syncedAt: fetchedAt,
    };
    tx.insert(upcomingInvoices).values(row).onConflictDoUpdate({ target: upcomingInvoices.customerId, set: row }).run();
  });
}
