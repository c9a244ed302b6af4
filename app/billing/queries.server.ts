/**
 * What pages read from the mirror, owner-scoped: every query takes the signed-in user's id and
 * filters by that user's customer inside, so a page never reads another user's rows. Reads only;
 * `sync.server.ts` is the mirror's one writer (docs/architecture.md).
 *
 *   getBillingState({ userId })       customer, current subscription (+ items, pending change), payment
 *                                     methods with the default marked, recent invoices, one-time payments.
 *   getInvoice({ userId, invoiceId }) one invoice with its lines, or null when it is not the user's.
 *   currentSubscription(subs)         the subscription a page should show (pure).
 *   getHistoryPage({ userId, … })     one page of the billing history (invoices and one-time payments), keyset.
 *   pricesByIds(ids)                  catalogue rows for invoice lines (plan names, metered or not).
 *   getCreditBalance({ userId })      credits granted by credit packs, less refunds and what Stripe spent.
 */
import { and, desc, eq, getTableName, inArray, isNull, ne, not, or, sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { preparedFor } from '~/db/prepared.server';
import {
  customers,
  invoiceLines,
  invoices,
  paymentMethods,
  payments,
  prices,
  subscriptionItems,
  webhookEffects,
  subscriptions,
  upcomingInvoices,
  users,
  type CustomerRow,
  type InvoiceLineRow,
  type InvoiceRow,
  type PaymentMethodRow,
  type PaymentRow,
  type PriceRow,
  type SubscriptionItemRow,
  type SubscriptionRow,
  type SubscriptionStatus,
  type UpcomingInvoiceRow,
} from '~/db/schema';

/** Statuses that still bill or may bill, in the order a page prefers to show them. */
const LIVE_STATUSES: SubscriptionStatus[] = ['active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete'];

/** The subscription a page should show: the newest live one, else the newest of any status. */
export function currentSubscription<T extends Pick<SubscriptionRow, 'status' | 'stripeCreated'>>(subs: T[]): T | null {
  const newest = [...subs].sort((a, b) => b.stripeCreated.getTime() - a.stripeCreated.getTime());
  for (const status of LIVE_STATUSES) {
    const found = newest.find((s) => s.status === status);
    if (found) return found;
  }
  return newest[0] ?? null;
}

type PaymentMethodView = PaymentMethodRow & { isDefault: boolean };
export interface BillingState {
  /** The user's Stripe customer id (set before the customer row is mirrored), or null. */
  customerId: string | null;
  customer: CustomerRow | null;
  subscription: (SubscriptionRow & { items: SubscriptionItemRow[] }) | null;
  subscriptions: SubscriptionRow[];
  paymentMethods: PaymentMethodView[];
  defaultPaymentMethod: PaymentMethodView | null;
  invoices: InvoiceSummary[];
  payments: PaymentRow[];
}

/**
 * A subscription's first invoice while nobody has tried to pay it: it is the checkout in progress, not
 * a debt, so the history leaves it out until it is paid, a payment fails, or it is voided.
 */
const unattemptedFirstInvoice = sql`(${invoices.status} = 'open' and ${invoices.billingReason} = 'subscription_create' and ${invoices.attemptCount} = 0)`;

/**
 * The columns the billing pages use from their newest invoices (an invoice row has about fifty, three
 * of them JSON: reading them all was most of the overview's SQL time, docs/performance.md).
 */
const INVOICE_SUMMARY = {
  id: invoices.id,
  number: invoices.number,
  status: invoices.status,
  total: invoices.total,
  amountPaid: invoices.amountPaid,
  currency: invoices.currency,
  stripeCreated: invoices.stripeCreated,
  hostedInvoiceUrl: invoices.hostedInvoiceUrl,
  invoicePdf: invoices.invoicePdf,
  billingReason: invoices.billingReason,
  subscriptionId: invoices.subscriptionId,
};
type InvoiceSummary = Pick<InvoiceRow, keyof typeof INVOICE_SUMMARY>;

/** The statements every billing page runs, compiled once per database handle (app/db/prepared.server.ts). */
const statements = preparedFor((d) => {
  const id = sql.placeholder('id');
  return {
    customerIdOf: d.select({ id: users.stripeCustomerId }).from(users).where(eq(users.id, id)).prepare(),
    customer: d.select().from(customers).where(eq(customers.id, id)).prepare(),
    subscriptions: d
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.customerId, id))
      .orderBy(desc(subscriptions.stripeCreated))
      .prepare(),
    items: d.select().from(subscriptionItems).where(eq(subscriptionItems.subscriptionId, id)).prepare(),
    paymentMethods: d
      .select()
      .from(paymentMethods)
      .where(and(eq(paymentMethods.customerId, id), eq(paymentMethods.detached, false)))
      .orderBy(desc(paymentMethods.stripeCreated))
      .prepare(),
    invoices: d
      .select(INVOICE_SUMMARY)
      .from(invoices)
      .where(
        and(
          eq(invoices.customerId, id),
          eq(invoices.deleted, false),
          or(isNull(invoices.status), ne(invoices.status, 'draft')),
          not(unattemptedFirstInvoice),
        ),
      )
      .orderBy(desc(invoices.stripeCreated))
      .limit(sql.placeholder('limit'))
      .prepare(),
    payments: d.select().from(payments).where(eq(payments.customerId, id)).orderBy(desc(payments.stripeCreated)).limit(50).prepare(),
    price: d.select().from(prices).where(eq(prices.id, id)).prepare(),
    syncedAt: d.select({ at: subscriptions.syncedAt }).from(subscriptions).where(eq(subscriptions.id, id)).prepare(),
    upcoming: d.select().from(upcomingInvoices).where(eq(upcomingInvoices.customerId, id)).prepare(),
    credits: d.$client.prepare(`
      select
        sum(case when kind in ('credit_grant', 'credit_unspend') then coalesce(json_extract(data, '$.credits'), 0) end) as added,
        sum(case when kind in ('credit_revoke', 'credit_spend') then coalesce(json_extract(data, '$.credits'), 0) end) as taken
      from ${getTableName(webhookEffects)} where user_id = ? and kind in ('credit_grant', 'credit_revoke', 'credit_spend', 'credit_unspend')`),
  };
});

function customerIdOf(userId: string): string | null {
  return statements().customerIdOf.get({ id: userId })?.id ?? null;
}

/** Everything the billing overview shows, from the mirror only. */
export function getBillingState({ userId, invoiceLimit = 12 }: { userId: string; invoiceLimit?: number }): BillingState {
  const customerId = customerIdOf(userId);
  const empty: BillingState = {
    customerId: null,
    customer: null,
    subscription: null,
    subscriptions: [],
    paymentMethods: [],
    defaultPaymentMethod: null,
    invoices: [],
    payments: [],
  };
  if (!customerId) return empty;
  const q = statements();
  const customer = q.customer.get({ id: customerId }) ?? null;
  const subs = q.subscriptions.all({ id: customerId });
  const current = currentSubscription(subs);
  const items = current ? q.items.all({ id: current.id }) : [];
  const defaultId = current?.defaultPaymentMethodId ?? customer?.defaultPaymentMethodId ?? null;
  const pms = q.paymentMethods.all({ id: customerId }).map((pm) => ({ ...pm, isDefault: pm.id === defaultId }));
  return {
    customerId,
    customer,
    subscription: current ? { ...current, items } : null,
    subscriptions: subs,
    paymentMethods: pms,
    defaultPaymentMethod: pms.find((p) => p.isDefault) ?? null,
    // The customer's invoices, newest first (drafts hidden: they are not final yet; nor unattempted first invoices).
    invoices: invoiceLimit > 0 ? q.invoices.all({ id: customerId, limit: invoiceLimit }) : [],
    payments: q.payments.all({ id: customerId }),
  };
}

/** One catalogue row by id (the plan a subscription or a scheduled change bills), or undefined. */
export function priceById(id: string): PriceRow | undefined {
  return statements().price.get({ id });
}

/** One of the user's invoices with its lines; null when it is not theirs (pages answer 404). */
export function getInvoice({
  userId,
  invoiceId,
}: {
  userId: string;
  invoiceId: string;
}): (InvoiceRow & { lines: InvoiceLineRow[] }) | null {
  const customerId = customerIdOf(userId);
  if (!customerId) return null;
  const invoice = db()
    .select()
    .from(invoices)
    .where(and(eq(invoices.id, invoiceId), eq(invoices.customerId, customerId)))
    .get();
  if (!invoice) return null;
  const lines = db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, invoiceId)).orderBy(invoiceLines.position).all();
  return { ...invoice, lines };
}

// ---------------------------------------------------------------------------------------------------
// The billing history: invoices (never drafts) and one-time payments, newest first, by keyset.

/** Where a page starts: strictly older than (created, id) (`after`), or strictly newer (`before`). */
export interface HistoryCursor {
  dir: 'after' | 'before';
  /** Unix seconds. */
  created: number;
  id: string;
}
/** The history's filters; `paid` also lists succeeded one-time payments, the others invoices only. */
export const HISTORY_STATUSES = ['paid', 'open', 'void', 'uncollectible'] as const;
export type HistoryStatus = (typeof HISTORY_STATUSES)[number];

type HistoryRow = { kind: 'invoice'; invoice: InvoiceRow; lines: InvoiceLineRow[] } | { kind: 'payment'; payment: PaymentRow };

export interface HistoryPage {
  rows: HistoryRow[];
  /** Cursors of the neighbouring pages, or null at either end. */
  next: HistoryCursor | null;
  prev: HistoryCursor | null;
}

/**
 * One page of the history by keyset on (created, id): stable while new invoices arrive (they are
 * newer than every cursor, so no row moves between pages, none is skipped or shown twice). One
 * indexed query for the page's keys, one for its invoices, one for their lines, one for payments.
 */
export function getHistoryPage({
  userId,
  status,
  cursor,
  limit = 25,
}: {
  userId: string;
  status?: HistoryStatus | null;
  cursor?: HistoryCursor | null;
  limit?: number;
}): HistoryPage {
  const customerId = customerIdOf(userId);
  if (!customerId) return { rows: [], next: null, prev: null };
  const older = !cursor || cursor.dir === 'after';
  const keyset = cursor
    ? older
      ? sql`and (created < ${cursor.created} or (created = ${cursor.created} and id < ${cursor.id}))`
      : sql`and (created > ${cursor.created} or (created = ${cursor.created} and id > ${cursor.id}))`
    : sql``;
  const invoiceStatus = status ? sql`and status = ${status}` : sql`and (status is null or status <> 'draft')`;
  const withPayments = !status || status === 'paid';
  const order = older ? sql`order by created desc, id desc` : sql`order by created asc, id asc`;
  // Each source walks its own (customer, created, id) index to at most limit + 1 keys; the merge
  // keeps the page's order. (A UNION with one ORDER BY would sort every row of the customer.)
  const invoiceKeys = db().all<{ kind: 'invoice'; id: string; created: number }>(sql`
    select 'invoice' as kind, id, stripe_created as created from ${invoices}
    where customer_id = ${customerId} and deleted = 0 ${invoiceStatus} and not ${unattemptedFirstInvoice} ${keyset} ${order} limit ${limit + 1}`);
  const paymentKeys = withPayments
    ? db().all<{ kind: 'payment'; id: string; created: number }>(sql`
    select 'payment' as kind, id, stripe_created as created from ${payments}
    where customer_id = ${customerId} and status = 'succeeded' ${keyset} ${order} limit ${limit + 1}`)
    : [];
  const sign = older ? -1 : 1;
  const keys = [...invoiceKeys, ...paymentKeys]
    .sort((a, b) => sign * (a.created - b.created) || sign * (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit + 1);
  const more = keys.length > limit;
  const page = keys.slice(0, limit);
  if (!older) page.reverse();
  const invoiceIds = page.filter((k) => k.kind === 'invoice').map((k) => k.id);
  const paymentIds = page.filter((k) => k.kind === 'payment').map((k) => k.id);
  const d = db();
  const invoiceRows = invoiceIds.length ? d.select().from(invoices).where(inArray(invoices.id, invoiceIds)).all() : [];
  const lineRows = invoiceIds.length
    ? d
        .select()
        .from(invoiceLines)
        .where(inArray(invoiceLines.invoiceId, invoiceIds))
        .orderBy(invoiceLines.invoiceId, invoiceLines.position)
        .all()
    : [];
  const paymentRows = paymentIds.length ? d.select().from(payments).where(inArray(payments.id, paymentIds)).all() : [];
  const invoiceById = new Map(invoiceRows.map((i) => [i.id, i]));
  const paymentById = new Map(paymentRows.map((p) => [p.id, p]));
  const linesOf = new Map<string, InvoiceLineRow[]>();
  for (const line of lineRows) linesOf.set(line.invoiceId, [...(linesOf.get(line.invoiceId) ?? []), line]);
  const rows: HistoryRow[] = page.map((k) =>
    k.kind === 'invoice'
      ? { kind: 'invoice', invoice: invoiceById.get(k.id)!, lines: linesOf.get(k.id) ?? [] }
      : { kind: 'payment', payment: paymentById.get(k.id)! },
  );
  const first = page[0];
  const last = page.at(-1);
  const hasOlder = older ? more : cursor !== null && cursor !== undefined;
  const hasNewer = older ? cursor !== null && cursor !== undefined : more;
  return {
    rows,
    next: hasOlder && last ? { dir: 'after', created: last.created, id: last.id } : null,
    prev: hasNewer && first ? { dir: 'before', created: first.created, id: first.id } : null,
  };
}

/** Catalogue rows by id (invoice lines name their price; the page names the plan from it). */
export function pricesByIds(ids: string[]): Map<string, PriceRow> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  return new Map(
    db()
      .select()
      .from(prices)
      .where(inArray(prices.id, unique))
      .all()
      .map((p) => [p.id, p]),
  );
}

/** The user's one-time payments, newest first (the credits page's purchases). */
export function listPayments({ userId, kind, limit = 50 }: { userId: string; kind?: string; limit?: number }): PaymentRow[] {
  const customerId = customerIdOf(userId);
  if (!customerId) return [];
  return db()
    .select()
    .from(payments)
    .where(and(eq(payments.customerId, customerId), kind ? eq(payments.kind, kind) : undefined))
    .orderBy(desc(payments.stripeCreated))
    .limit(limit)
    .all();
}

/**
 * The user's credits: Σ `credit_grant` effects less Σ `credit_revoke` effects (a refund takes back
 * what was not spent), less what Stripe spent on finalized invoices (`credit_spend`), plus what
 * voided invoices gave back (`credit_unspend`). Each effect is recorded once, whichever path got
 * there first (app/billing/credit-grants.server.ts).
 */
export function getCreditBalance({ userId }: { userId: string }): number {
  const row = statements().credits.get(userId) as { added: number | null; taken: number | null } | undefined;
  return Math.max(0, (row?.added ?? 0) - (row?.taken ?? 0));
}

/** When a subscription's mirror row was last written (null when there is none). */
export function subscriptionSyncedAt(subscriptionId: string): Date | null {
  return statements().syncedAt.get({ id: subscriptionId })?.at ?? null;
}

/**
 * The next invoice as last previewed from Stripe (`upcoming_invoices`), or null. `state`: the
 * request's billing state when the caller has read it already (its customer id is the user's).
 */
export function getUpcomingInvoice({ userId, state }: { userId: string; state?: BillingState }): UpcomingInvoiceRow | null {
  const customerId = state ? state.customerId : customerIdOf(userId);
  if (!customerId) return null;
  return statements().upcoming.get({ id: customerId }) ?? null;
}
