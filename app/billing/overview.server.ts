/** The billing overview's data, read from the mirror only (no Stripe calls). */
import type { InvoiceRow } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { cancelsAt, entitlementFor, type Entitlement } from './entitlements';
import { CURRENCY, planByLookupKey, type Interval, type PlanKey } from './plans';
import { describeStatus, type StatusView } from './status';
import { getBillingState, priceById, type BillingState } from './queries.server';

export interface BillingOverview {
  subscription: {
    planKey: PlanKey | null;
    planName: string;
    interval: Interval | null;
    quantity: number;
    status: string;
    view: StatusView;
    cancelAtPeriodEnd: boolean;
    cancelsAt: string | null;
    currentPeriodEnd: string | null;
    trialEnd: string | null;
    canCancel: boolean;
    canReactivate: boolean;
    canCancelNow: boolean;
    canResume: boolean;
    needsPayment: boolean;
    /** A plan change scheduled for the period end (a subscription schedule's next phase). */
    pendingChange: { planName: string; interval: Interval | null; quantity: number; at: string } | null;
    canChangePlan: boolean;
  } | null;
  paymentMethod: { brand: string; last4: string; expMonth: number | null; expYear: number | null; expired: boolean } | null;
  /** `credit`: the part of the account's credit balance this invoice uses. */
  nextInvoice: { amount: number; currency: string; date: string; credit: number } | null;
  /** The account's credit balance (Stripe's customer balance, when it is in the customer's favour). */
  credit: { amount: number; currency: string } | null;
  /** The newest unpaid invoice's hosted page, where a past-due customer can pay it now. */
  openInvoiceUrl: string | null;
  invoices: {
    id: string;
    number: string | null;
    status: string | null;
    total: number;
    currency: string;
    created: string;
    hostedInvoiceUrl: string | null;
    invoicePdf: string | null;
    /** The $0 invoice a trial starts with: shown as "Trial started", not as a payment. */
    trialStarted: boolean;
  }[];
  entitlement: Entitlement;
}

/** The $0 invoice Stripe makes when a trial starts: nothing was charged. */
export function isTrialStart(invoice: Pick<InvoiceRow, 'billingReason' | 'total'>): boolean {
  return invoice.billingReason === 'subscription_create' && invoice.total === 0;
}

const LIVE = new Set(['active', 'trialing', 'past_due', 'unpaid', 'paused']);

/** How many of the newest invoices the overview lists. */
const OVERVIEW_INVOICES = 6;

/**
 * `state`: the request's billing state when the page has read it already (the /billing loader reads
 * it once for the overview, the usage bar and the cancel-now preview); it must hold at least the
 * newest 6 invoices (getBillingState's default reads 12).
 */
export function getBillingOverview({
  userId,
  state = getBillingState({ userId, invoiceLimit: OVERVIEW_INVOICES }),
}: {
  userId: string;
  state?: BillingState;
}): BillingOverview {
  const now = clock.now();
  const sub = state.subscription;
  const entitlement = entitlementFor((sub && LIVE.has(sub.status)) || sub?.status === 'incomplete' ? sub : null, now);
  const invoices = state.invoices.slice(0, OVERVIEW_INVOICES).map((i) => ({
    id: i.id,
    number: i.number,
    status: i.status,
    total: i.total,
    currency: i.currency,
    created: i.stripeCreated.toISOString(),
    hostedInvoiceUrl: i.hostedInvoiceUrl,
    invoicePdf: i.invoicePdf,
    trialStarted: isTrialStart(i),
  }));
  const balance = state.customer?.balance ?? 0;
  const credit = balance < 0 ? { amount: -balance, currency: state.customer?.currency ?? CURRENCY } : null;
  const pm = state.defaultPaymentMethod ?? null;
  const paymentMethod = pm
    ? {
        brand: pm.brand ?? pm.type,
        last4: pm.last4 ?? '····',
        expMonth: pm.expMonth,
        expYear: pm.expYear,
        expired: pm.expYear !== null && pm.expMonth !== null && new Date(Date.UTC(pm.expYear, pm.expMonth, 1)) <= now,
      }
    : null;
  // Ended subscriptions are history; the page then shows the plans again.
  if (!sub || !(LIVE.has(sub.status) || sub.status === 'incomplete')) {
    return { subscription: null, paymentMethod, nextInvoice: null, credit, openInvoiceUrl: null, invoices, entitlement };
  }
  const resolved = sub.priceLookupKey ? planByLookupKey(sub.priceLookupKey) : null;
  const quantity = sub.quantity ?? 1;
  const cancelDate = cancelsAt(sub);
  // The next charge: the price in force at the next renewal (a scheduled change takes over then),
  // less any credit on the customer's balance; none if it is set to cancel before then.
  const renewal = sub.status === 'trialing' ? (sub.trialEnd ?? sub.currentPeriodEnd) : sub.currentPeriodEnd;
  const changeApplies = sub.pendingPriceId && sub.pendingChangeAt && renewal && sub.pendingChangeAt <= renewal;
  const nextPriceId = changeApplies ? sub.pendingPriceId : sub.priceId;
  const nextQuantity = changeApplies ? (sub.pendingQuantity ?? quantity) : quantity;
  const price = nextPriceId ? priceById(nextPriceId) : undefined;
  const gross = price?.unitAmount != null ? price.unitAmount * nextQuantity : 0;
  const applied = Math.min(gross, credit?.amount ?? 0);
  const nextInvoice =
    price?.unitAmount != null && renewal && !cancelDate && (sub.status === 'active' || sub.status === 'trialing') && !sub.pauseBehavior
      ? { amount: gross - applied, currency: price.currency, date: renewal.toISOString(), credit: applied }
      : null;
  const view = describeStatus(sub, now, nextInvoice ? { amount: nextInvoice.amount, currency: nextInvoice.currency } : null);
  const ongoing = sub.status === 'active' || sub.status === 'trialing' || sub.status === 'past_due';
  const pendingPrice = sub.pendingPriceId ? priceById(sub.pendingPriceId) : undefined;
  const pendingPlan = pendingPrice?.lookupKey ? planByLookupKey(pendingPrice.lookupKey) : null;
  return {
    subscription: {
      planKey: resolved?.plan.key ?? null,
      planName: resolved?.plan.name ?? 'Legacy plan',
      interval: resolved?.interval ?? null,
      quantity,
      status: sub.status,
      view,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
      cancelsAt: cancelDate?.toISOString() ?? null,
      currentPeriodEnd: sub.currentPeriodEnd?.toISOString() ?? null,
      trialEnd: sub.trialEnd?.toISOString() ?? null,
      canCancel: ongoing && !cancelDate,
      canReactivate: ongoing && cancelDate !== null && cancelDate > now,
      canCancelNow: LIVE.has(sub.status),
      canResume: sub.status === 'active' && sub.pauseBehavior !== null,
      needsPayment: sub.status === 'incomplete',
      pendingChange:
        sub.pendingPriceId && sub.pendingChangeAt
          ? {
              planName: pendingPlan?.plan.name ?? 'another plan',
              interval: pendingPlan?.interval ?? null,
              quantity: sub.pendingQuantity ?? 1,
              at: sub.pendingChangeAt.toISOString(),
            }
          : null,
      canChangePlan:
        resolved !== null && (sub.status === 'active' || sub.status === 'trialing' || sub.status === 'past_due' || sub.status === 'unpaid'),
    },
    paymentMethod,
    nextInvoice,
    credit,
    openInvoiceUrl:
      sub.status === 'past_due' || sub.status === 'unpaid'
        ? (state.invoices.find((i) => i.status === 'open' && i.subscriptionId === sub.id)?.hostedInvoiceUrl ?? null)
        : null,
    invoices,
    entitlement,
  };
}
