/**
 * What pages read from the mirror, owner-scoped: every query takes the signed-in user's id and
 * filters by that user's customer inside, so a page never reads another user's rows. Reads only;
 * `sync.server.ts` is the mirror's one writer (docs/architecture.md).
 *
 *   getBillingState({ userId })       customer, current subscription (+ items, pending change), payment
 *                                     methods with the default marked, recent invoices, one-time payments.
 *   getInvoice({ userId, invoiceId }) one invoice with its lines, or null when it is not the user's.
 *   currentSubscription(subs)         the subscription a page should show (pure).
 */
import { and, desc, eq, isNull, ne, or } from 'drizzle-orm';
import { db } from '~/db/client.server';
import {
  customers,
  invoiceLines,
  invoices,
  paymentMethods,
  payments,
  subscriptionItems,
  subscriptions,
  users,
  type CustomerRow,
  type InvoiceLineRow,
  type InvoiceRow,
  type PaymentMethodRow,
  type PaymentRow,
  type SubscriptionItemRow,
  type SubscriptionRow,
  type SubscriptionStatus,
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
  customer: CustomerRow | null;
  subscription: (SubscriptionRow & { items: SubscriptionItemRow[] }) | null;
  subscriptions: SubscriptionRow[];
  paymentMethods: PaymentMethodView[];
  defaultPaymentMethod: PaymentMethodView | null;
  invoices: InvoiceRow[];
  payments: PaymentRow[];
}

function customerIdOf(userId: string): string | null {
  return db().select({ id: users.stripeCustomerId }).from(users).where(eq(users.id, userId)).get()?.id ?? null;
}

/** Everything the billing overview shows, from the mirror only. */
export function getBillingState({ userId, invoiceLimit = 12 }: { userId: string; invoiceLimit?: number }): BillingState {
  const customerId = customerIdOf(userId);
  const empty: BillingState = { customer: null, subscription: null, subscriptions: [], paymentMethods: [], defaultPaymentMethod: null, invoices: [], payments: [] };
  if (!customerId) return empty;
  const d = db();
  const customer = d.select().from(customers).where(eq(customers.id, customerId)).get() ?? null;
  const subs = d.select().from(subscriptions).where(eq(subscriptions.customerId, customerId)).orderBy(desc(subscriptions.stripeCreated)).all();
  const current = currentSubscription(subs);
  const items = current ? d.select().from(subscriptionItems).where(eq(subscriptionItems.subscriptionId, current.id)).all() : [];
  const defaultId = current?.defaultPaymentMethodId ?? customer?.defaultPaymentMethodId ?? null;
  const pms = d
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.customerId, customerId), eq(paymentMethods.detached, false)))
    .orderBy(desc(paymentMethods.stripeCreated))
    .all()
    .map((pm) => ({ ...pm, isDefault: pm.id === defaultId }));
  return {
    customer,
    subscription: current ? { ...current, items } : null,
    subscriptions: subs,
    paymentMethods: pms,
    defaultPaymentMethod: pms.find((p) => p.isDefault) ?? null,
    invoices: listInvoicesFor(customerId, invoiceLimit),
    payments: d.select().from(payments).where(eq(payments.customerId, customerId)).orderBy(desc(payments.stripeCreated)).limit(50).all(),
  };
}

/** The customer's invoices, newest first (drafts hidden: they are not final yet). */
function listInvoicesFor(customerId: string, limit: number): InvoiceRow[] {
  return db()
    .select()
    .from(invoices)
    .where(and(eq(invoices.customerId, customerId), eq(invoices.deleted, false), or(isNull(invoices.status), ne(invoices.status, 'draft'))))
    .orderBy(desc(invoices.stripeCreated))
    .limit(limit)
    .all();
}

/** One of the user's invoices with its lines; null when it is not theirs (pages answer 404). */
export function getInvoice({ userId, invoiceId }: { userId: string; invoiceId: string }): (InvoiceRow & { lines: InvoiceLineRow[] }) | null {
  const customerId = customerIdOf(userId);
  if (!customerId) return null;
  const invoice = db().select().from(invoices).where(and(eq(invoices.id, invoiceId), eq(invoices.customerId, customerId))).get();
  if (!invoice) return null;
  const lines = db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, invoiceId)).orderBy(invoiceLines.position).all();
  return { ...invoice, lines };
}
