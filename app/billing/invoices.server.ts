// Over 500 lines: the invoices pages' one domain module (history, one invoice, its PDF, paying it), kept whole so its owner checks sit together.
/**
 * The invoices pages' domain, owner-scoped like everything in app/billing: the history (invoices and
 * one-time payments, from the mirror only), one invoice in full, its PDF (fetched from Stripe after
 * the owner check) and paying an open invoice in the page (docs/billing.md, "Invoices").
 *
 *   invoiceHistory({ userId, status, cursor })   a page of the history as the page shows it
 *   invoiceDetail({ userId, invoiceId })         one invoice, or null when it is not the user's
 *   fetchInvoicePdf({ userId, invoiceId })       Stripe's PDF as a stream, or null when not the user's
 *   startInvoicePayment / payInvoiceWithSavedCard / completeInvoicePayment   pay an open invoice
 */
import { clock } from '~/lib/clock.server';
import { formatMoney } from '~/lib/money';
import { stripe } from '~/stripe/client.server';
import type { InvoiceLineRow, InvoiceRow, PaymentRow, PostalAddress, PriceRow, TaxIdView } from '~/db/schema';
import { BillingError, fromStripeError } from './errors';
import { withUserLock } from './locks.server';
import { ONE_TIME, METERED, planByLookupKey } from './plans';
import {
  getBillingState,
  getHistoryPage,
  getInvoice,
  getUpcomingInvoice,
  pricesByIds,
  type BillingState,
  type HistoryCursor,
  type HistoryStatus,
  subscriptionSyncedAt,
} from './queries.server';
import { getBillingOverview, isTrialStart, type BillingOverview } from './overview.server';
import { syncCustomer, syncObject } from './sync.server';
import type { Tone } from './status';
import { meteredTerms, unitPriceWords, usageWords } from './usage-line';

export interface Badge {
  label: string;
  tone: Tone;
}

export interface HistoryEntry {
  id: string;
  kind: 'invoice' | 'payment';
  /** ISO date. */
  date: string;
  number: string | null;
  description: string;
  amount: number;
  currency: string;
  badge: Badge;
  /** In-app links (invoices), or Stripe's receipt (payments). */
  viewHref: string | null;
  pdfHref: string | null;
  receiptUrl: string | null;
}

export interface InvoiceHistory {
  entries: HistoryEntry[];
  next: string | null;
  prev: string | null;
}

// --- cursors -----------------------------------------------------------------------------------------

/** `a.<created>.<id>` (older than) or `b.<created>.<id>` (newer than): opaque to the page, checked here. */
export const CURSOR_PATTERN = /^[ab]\.\d{1,12}\.(in|pi)_[A-Za-z0-9]{1,128}$/;

function encodeCursor(cursor: HistoryCursor): string {
  return `${cursor.dir === 'after' ? 'a' : 'b'}.${cursor.created}.${cursor.id}`;
}

/** Parses a cursor from the query string; null when it is not one (routes answer 400). */
export function parseCursor(value: string): HistoryCursor | null {
  if (!CURSOR_PATTERN.test(value)) return null;
  const [dir, created, ...rest] = value.split('.');
  return { dir: dir === 'a' ? 'after' : 'before', created: Number(created), id: rest.join('.') };
}

// --- words ---------------------------------------------------------------------------------------------

// Made once (`toLocaleDateString` with options makes a new `Intl.DateTimeFormat` per call); an
// unreadable date reads "Invalid Date", as `toLocaleDateString` says it (`format` would throw).
const periodDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const shortDate = (d: Date) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : periodDate.format(d));

function periodWords(start: Date | null, end: Date | null): string | null {
  if (!start || !end) return null;
  if (start.getTime() === end.getTime()) return shortDate(start);
  return `${shortDate(start)} – ${shortDate(end)}`;
}

function planNameOf(price: PriceRow | undefined): string | null {
  if (!price?.lookupKey) return null;
  const resolved = planByLookupKey(price.lookupKey);
  if (!resolved) return null;
  return `${resolved.plan.name} (${resolved.interval === 'month' ? 'monthly' : 'yearly'})`;
}

const isUsage = (line: InvoiceLineRow, priceMap: Map<string, PriceRow>) =>
  !!line.priceId && priceMap.get(line.priceId)?.usageType === 'metered';

/** What an invoice was for, in a few words: the plan and its period, a proration, usage, a one-off. */
function describeInvoice(invoice: InvoiceRow, lines: InvoiceLineRow[], priceMap: Map<string, PriceRow>): string {
  if (isTrialStart(invoice)) {
    const plan = lines.map((l) => planNameOf(l.priceId ? priceMap.get(l.priceId) : undefined)).find(Boolean);
    return plan ? `${plan.replace(/ \((monthly|yearly)\)$/, '')} · Trial started` : 'Trial started';
  }
  const prorations = lines.filter((l) => l.proration);
  if (prorations.length) {
    const gained = prorations.filter((l) => l.amount > 0).map((l) => planNameOf(l.priceId ? priceMap.get(l.priceId) : undefined))[0];
    if (gained) return `Proration for the change to ${gained.replace(/ \((monthly|yearly)\)$/, '')}`;
    return 'Proration for a plan change';
  }
  const usage = lines.filter((l) => isUsage(l, priceMap));
  const plan = lines.find((l) => !isUsage(l, priceMap) && l.priceId && planNameOf(priceMap.get(l.priceId)));
  if (plan) {
    const name = planNameOf(priceMap.get(plan.priceId!))!;
    const period = periodWords(plan.periodStart, plan.periodEnd);
    return [name, period, usage.some((l) => l.amount > 0) ? 'with usage' : null].filter(Boolean).join(' · ');
  }
  if (usage.length) return [`${METERED.name} usage`, periodWords(usage[0]!.periodStart, usage[0]!.periodEnd)].filter(Boolean).join(' · ');
  if (invoice.description) return invoice.description;
  const first = lines[0]?.description;
  if (first) return invoice.billingReason === 'manual' ? `One-time: ${first}` : first;
  return invoice.billingReason === 'manual' ? 'One-time invoice' : 'Invoice';
}

/** The status badge: Stripe's status, with Past due and refunds told apart. */
function invoiceBadge(
  invoice: Pick<InvoiceRow, 'status' | 'amountPaid' | 'postPaymentCreditNotesAmount' | 'dueDate' | 'attemptCount' | 'collectionMethod'>,
  now: Date,
): Badge {
  switch (invoice.status) {
    case 'paid': {
      const credited = invoice.postPaymentCreditNotesAmount;
      if (credited > 0 && credited >= invoice.amountPaid) return { label: 'Refunded', tone: 'gray' };
      if (credited > 0) return { label: 'Partially refunded', tone: 'amber' };
      return { label: 'Paid', tone: 'green' };
    }
    case 'open': {
      const overdue = invoice.dueDate ? invoice.dueDate <= now : invoice.attemptCount > 0 && invoice.collectionMethod !== 'send_invoice';
      return overdue ? { label: 'Past due', tone: 'red' } : { label: 'Open', tone: 'amber' };
    }
    case 'void':
      return { label: 'Void', tone: 'gray' };
    case 'uncollectible':
      return { label: 'Uncollectible', tone: 'red' };
    default:
      return { label: 'Draft', tone: 'gray' };
  }
}

export function paymentBadge(payment: Pick<PaymentRow, 'amountReceived' | 'amountRefunded' | 'status'>): Badge {
  if (payment.amountRefunded > 0 && payment.amountRefunded >= payment.amountReceived) return { label: 'Refunded', tone: 'gray' };
  if (payment.amountRefunded > 0) return { label: 'Partially refunded', tone: 'amber' };
  if (payment.status === 'succeeded') return { label: 'Paid', tone: 'green' };
  if (payment.status === 'canceled') return { label: 'Canceled', tone: 'gray' };
  if (payment.status === 'processing') return { label: 'Processing', tone: 'blue' };
  return { label: 'Not paid', tone: 'red' };
}

export function paymentName(payment: Pick<PaymentRow, 'kind' | 'description'>): string {
  if (payment.kind === ONE_TIME.credit_pack.key) return ONE_TIME.credit_pack.name;
  return payment.description ?? 'One-time payment';
}

// --- the history ----------------------------------------------------------------------------------------

/** A page of the history as the page shows it, from the mirror only. */
export function invoiceHistory({
  userId,
  status,
  cursor,
}: {
  userId: string;
  status: HistoryStatus | null;
  cursor: HistoryCursor | null;
}): InvoiceHistory {
  const page = getHistoryPage({ userId, status, cursor });
  const priceMap = pricesByIds(
    page.rows.flatMap((r) => (r.kind === 'invoice' ? r.lines.map((l) => l.priceId).filter((id): id is string => !!id) : [])),
  );
  const now = clock.now();
  const entries = page.rows.map((row): HistoryEntry => {
    if (row.kind === 'payment') {
      const p = row.payment;
      return {
        id: p.id,
        kind: 'payment',
        date: p.stripeCreated.toISOString(),
        number: null,
        description: paymentName(p),
        amount: p.amountReceived || p.amount,
        currency: p.currency,
        badge: paymentBadge(p),
        viewHref: null,
        pdfHref: null,
        receiptUrl: p.receiptUrl,
      };
    }
    const inv = row.invoice;
    return {
      id: inv.id,
      kind: 'invoice',
      date: inv.stripeCreated.toISOString(),
      number: inv.number,
      description: describeInvoice(inv, row.lines, priceMap),
      amount: inv.total,
      currency: inv.currency,
      badge: invoiceBadge(inv, now),
      viewHref: `/billing/invoices/${inv.id}`,
      pdfHref: inv.invoicePdf ? `/billing/invoices/${inv.id}/pdf` : null,
      receiptUrl: null,
    };
  });
  return { entries, next: page.next ? encodeCursor(page.next) : null, prev: page.prev ? encodeCursor(page.prev) : null };
}

// --- one invoice ----------------------------------------------------------------------------------------

interface InvoiceLineView {
  id: string;
  description: string;
  /** "12,345 calls × $0.01 beyond 10,000 included" for usage (app/billing/usage-line.ts), "2 × $15.00" for seats, null for a single unit. */
  quantityWords: string | null;
  period: string | null;
  amount: number;
  proration: boolean;
  usage: boolean;
}

export interface InvoiceDetail {
  id: string;
  number: string | null;
  description: string;
  badge: Badge;
  status: string | null;
  currency: string;
  created: string;
  dueDate: string | null;
  paidAt: string | null;
  period: string | null;
  lines: InvoiceLineView[];
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  /** Billing credits (credit packs, as Stripe credit grants) applied before tax. */
  billingCredits: number;
  /** Customer credit balance used to pay part of it. */
  creditApplied: number;
  amountDue: number;
  amountPaid: number;
  amountRemaining: number;
  /** Credit notes after payment (refunds or credit to the balance). */
  credited: number;
  payments: { id: string; amount: number; status: string; date: string | null }[];
  billedTo: { name: string | null; email: string | null; address: PostalAddress | null; taxIds: TaxIdView[] };
  hostedInvoiceUrl: string | null;
  pdfHref: string | null;
  canPay: boolean;
}

function lineView(line: InvoiceLineRow, invoice: InvoiceRow, priceMap: Map<string, PriceRow>): InvoiceLineView {
  const price = line.priceId ? priceMap.get(line.priceId) : undefined;
  const usage = price?.usageType === 'metered';
  const qty = line.quantity ?? null;
  const plan = planNameOf(price);
  if (usage) {
    // Stripe's own description of a tiered usage line is terse ("API calls: 22,345 × tiers"): the words say it.
    return {
      id: line.id,
      description: METERED.name,
      quantityWords: usageWords({
        calls: qty ?? 0,
        amount: line.amount,
        terms: meteredTerms(price.tiers),
        unit: METERED.price.per,
        currency: invoice.currency,
      }),
      period: periodWords(line.periodStart, line.periodEnd),
      amount: line.amount,
      proration: line.proration,
      usage,
    };
  }
  const unit =
    unitPriceWords(line.unitAmountDecimal, invoice.currency) ??
    (price?.unitAmount != null ? formatMoney(price.unitAmount, invoice.currency) : null);
  const quantityWords = qty !== null && qty !== 1 && unit && !line.proration ? `${qty.toLocaleString('en-US')} × ${unit}` : null;
  const fallback = line.proration ? `${line.amount < 0 ? 'Unused time on' : 'Remaining time on'} ${plan ?? 'your plan'}` : (plan ?? 'Item');
  return {
    id: line.id,
    description: line.description ?? fallback,
    quantityWords,
    period: periodWords(line.periodStart, line.periodEnd),
    amount: line.amount,
    proration: line.proration,
    usage,
  };
}

/** One of the user's invoices in full; null when it is not theirs (or a draft): pages answer 404. */
export function invoiceDetail({ userId, invoiceId }: { userId: string; invoiceId: string }): InvoiceDetail | null {
  const invoice = getInvoice({ userId, invoiceId });
  if (!invoice || invoice.deleted || invoice.status === 'draft') return null;
  const priceMap = pricesByIds(invoice.lines.map((l) => l.priceId).filter((id): id is string => !!id));
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: invoice.id,
    number: invoice.number,
    description: describeInvoice(invoice, invoice.lines, priceMap),
    badge: invoiceBadge(invoice, clock.now()),
    status: invoice.status,
    currency: invoice.currency,
    created: invoice.stripeCreated.toISOString(),
    dueDate: iso(invoice.dueDate),
    paidAt: iso(invoice.paidAt),
    period: periodWords(invoice.periodStart, invoice.periodEnd),
    lines: invoice.lines.map((l) => lineView(l, invoice, priceMap)),
    subtotal: invoice.subtotal,
    discount: invoice.discountTotal,
    tax: invoice.taxTotal,
    total: invoice.total,
    billingCredits: invoice.pretaxCreditTotal,
    creditApplied: Math.max(0, invoice.total - invoice.amountDue),
    amountDue: invoice.amountDue,
    amountPaid: invoice.amountPaid,
    amountRemaining: invoice.amountRemaining,
    credited: invoice.postPaymentCreditNotesAmount,
    payments: invoice.payments.map((p) => ({
      id: p.id,
      amount: p.amountPaid ?? p.amountRequested,
      status: p.status,
      date: p.paidAt ? new Date(p.paidAt * 1000).toISOString() : null,
    })),
    billedTo: {
      name: invoice.customerName,
      email: invoice.customerEmail,
      address: invoice.customerAddress,
      taxIds: invoice.customerTaxIds,
    },
    hostedInvoiceUrl: invoice.hostedInvoiceUrl,
    pdfHref: invoice.invoicePdf ? `/billing/invoices/${invoice.id}/pdf` : null,
    canPay: invoice.status === 'open' && invoice.amountRemaining > 0,
  };
}

// --- the PDF ----------------------------------------------------------------------------------------------

/**
 * Stripe's PDF of one of the user's invoices, streamed through: the owner check is the mirror's, and
 * the URL is the one Stripe gave (`invoice_pdf`), never one from the browser. Null when the invoice is
 * not the user's or has no PDF yet (a draft).
 */
export async function fetchInvoicePdf({
  userId,
  invoiceId,
}: {
  userId: string;
  invoiceId: string;
}): Promise<{ body: ReadableStream<Uint8Array>; filename: string; length: string | null } | null> {
  const invoice = getInvoice({ userId, invoiceId });
  if (!invoice || invoice.deleted || !invoice.invoicePdf) return null;
  let res: Response;
  try {
    res = await fetch(invoice.invoicePdf, { redirect: 'follow', signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    throw new BillingError(
      'stripe_unavailable',
      'The invoice PDF could not be fetched from our payment provider. Please try again in a minute.',
      { cause: error },
    );
  }
  if (!res.ok || !res.body) {
    throw new BillingError(
      'stripe_unavailable',
      `The invoice PDF could not be fetched from our payment provider (status ${res.status}). Please try again in a minute.`,
    );
  }
  return {
    body: res.body,
    filename: `Invoice-${(invoice.number ?? invoice.id).replace(/[^A-Za-z0-9_-]/g, '')}.pdf`,
    length: res.headers.get('content-length'),
  };
}

// --- paying an open invoice ------------------------------------------------------------------------------

export interface InvoicePaymentStep {
  intentType: 'payment';
  clientSecret: string;
  amountDue: number;
  currency: string;
  invoiceId: string;
}

function requireOpen(userId: string, invoiceId: string): InvoiceRow {
  const invoice = getInvoice({ userId, invoiceId });
  if (!invoice || invoice.deleted || invoice.status === 'draft') throw new BillingError('no_subscription', 'That invoice was not found.');
  if (invoice.status !== 'open' || invoice.amountRemaining <= 0)
    throw new BillingError('not_allowed_in_state', `This invoice is ${invoice.status ?? 'not open'}: there is nothing to pay.`);
  return invoice;
}

/** The client secret of the invoice's payment, for the Payment Element (a new card, 3DS in the page). */
export async function startInvoicePayment({ userId, invoiceId }: { userId: string; invoiceId: string }): Promise<InvoicePaymentStep> {
  const invoice = requireOpen(userId, invoiceId);
  try {
    const fresh = await stripe().invoices.retrieve(invoice.id, { expand: ['confirmation_secret'] });
    const secret = fresh.confirmation_secret?.client_secret;
    if (fresh.status !== 'open' || !secret || fresh.amount_remaining <= 0) {
      await syncObject('invoice', invoice.id);
      throw new BillingError('not_allowed_in_state', 'This invoice can no longer be paid here. Reload the page to see where it stands.');
    }
    return {
      intentType: 'payment',
      clientSecret: secret,
      amountDue: fresh.amount_remaining,
      currency: fresh.currency,
      invoiceId: fresh.id,
    };
  } catch (error) {
    throw fromStripeError(error);
  }
}

/** Pays an open invoice with a saved card (`invoices.pay`); a card that needs 3DS is sent to the card form. */
export async function payInvoiceWithSavedCard({
  userId,
  invoiceId,
  paymentMethodId,
  nonce,
}: {
  userId: string;
  invoiceId: string;
  paymentMethodId: string;
  nonce: string;
}): Promise<void> {
  await withUserLock(userId, async () => {
    const invoice = requireOpen(userId, invoiceId);
    const state = getBillingState({ userId });
    if (!state.paymentMethods.some((pm) => pm.id === paymentMethodId))
      throw new BillingError('not_allowed_in_state', 'That card is not one of your saved cards. Reload the page and choose again.');
    try {
      await stripe().invoices.pay(
        invoice.id,
        { payment_method: paymentMethodId, off_session: false },
        { idempotencyKey: `invoice-pay:${invoice.id}:${nonce}` },
      );
    } catch (error) {
      const e = error as { code?: string };
      await syncCustomer(invoice.customerId).catch(() => undefined);
      if (e?.code === 'invoice_payment_intent_requires_action') {
        throw new BillingError(
          'card_error',
          'Your bank asks you to confirm this payment. Pay with the card form below to complete the check.',
          { cause: error },
        );
      }
      throw fromStripeError(error);
    }
    await syncCustomer(invoice.customerId).catch((e) => {
      throw fromStripeError(e);
    });
  });
}

/** After Stripe.js confirmed the invoice's payment: bring the invoice and the subscription into the mirror. */
export async function completeInvoicePayment({
  userId,
  invoiceId,
}: {
  userId: string;
  invoiceId: string;
}): Promise<{ status: string | null }> {
  const invoice = getInvoice({ userId, invoiceId });
  if (!invoice) throw new BillingError('no_subscription', 'That invoice was not found.');
  try {
    await syncObject('invoice', invoice.id);
    await syncCustomer(invoice.customerId);
  } catch (error) {
    throw fromStripeError(error);
  }
  return { status: getInvoice({ userId, invoiceId })?.status ?? null };
}

// --- the next invoice ----------------------------------------------------------------------------------

export interface NextInvoice {
  amount: number;
  currency: string;
  /** ISO date it will be billed. */
  date: string;
  /** The account credit it uses (already taken off `amount`). */
  credit: number;
  /** Its lines as Stripe previewed them (usage so far in words); empty when only the amount is known. */
  lines: { description: string; quantityWords: string | null; amount: number; period: string | null }[];
}

/**
 * The next invoice from the mirror: Stripe's preview when the worker or an action has stored one
 * (plan, scheduled changes, credit, usage so far) since the subscription last changed, else the
 * overview's estimate from the plan's price (a preview older than the subscription row is stale: the
 * worker refreshes it when the change's webhook is processed).
 */
export function nextInvoice({
  userId,
  state,
  overview = getBillingOverview({ userId, state }),
}: {
  userId: string;
  /** The request's billing state when the page has read it already (the overview's). */
  state?: BillingState;
  overview?: BillingOverview;
}): NextInvoice | null {
  const estimate = overview.nextInvoice;
  const stored = getUpcomingInvoice({ userId, state });
  // The subscription's row is in the state when the page read it (every subscription of the customer).
  const mirrored = stored?.subscriptionId ? state?.subscriptions.find((s) => s.id === stored.subscriptionId) : undefined;
  const subSynced = mirrored ? mirrored.syncedAt : stored?.subscriptionId ? subscriptionSyncedAt(stored.subscriptionId) : null;
  const fresh = !!stored && (!subSynced || stored.syncedAt >= subSynced);
  if (stored && fresh && stored.billsAt && stored.billsAt > clock.now() && overview.subscription) {
    const priceMap = pricesByIds(stored.lines.map((l) => l.priceId).filter((id): id is string => !!id));
    return {
      amount: stored.amountDue,
      credit: Math.max(0, stored.total - stored.amountDue),
      currency: stored.currency,
      date: stored.billsAt.toISOString(),
      lines: stored.lines.map((l) => {
        const price = l.priceId ? priceMap.get(l.priceId) : undefined;
        const usage = price?.usageType === 'metered';
        return {
          description: usage ? `${METERED.name} so far` : (l.description ?? planNameOf(price) ?? 'Item'),
          quantityWords: usage
            ? usageWords({
                calls: l.quantity ?? 0,
                amount: l.amount,
                terms: meteredTerms(price.tiers),
                unit: METERED.price.per,
                currency: stored.currency,
              })
            : null,
          amount: l.amount,
          period: periodWords(l.periodStart ? new Date(l.periodStart * 1000) : null, l.periodEnd ? new Date(l.periodEnd * 1000) : null),
        };
      }),
    };
  }
  return estimate ? { ...estimate, lines: [] } : null;
}
