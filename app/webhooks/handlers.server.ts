/**
 * What each handled event type means to the app — and nothing else: which object to re-read (its
 * `target`) and which side effects it has. No handler maps Stripe fields to rows: that is
 * `sync.server.ts`, shared by every event and every action (docs/architecture.md: one writer of the
 * mirror, never a mapping per `case`). Side effects are idempotent by construction: each is recorded
 * in `webhook_effects` under a key that names what happened, inside the transaction that applies it.
 * Whom an effect concerns is `resolveOwner`'s answer, the same the mirror rows carry.
 */
import type Stripe from 'stripe';
import { eq } from 'drizzle-orm';
import { resolveOwner } from '~/billing/owner.server';
import { recordCreditSpend } from '~/billing/credit-grants.server';
import { applyCreditPackEffects } from '~/billing/payments.server';
import type { Snapshot, SyncKind, Tx } from '~/billing/sync.server';
import { users, webhookEffects } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { planByLookupKey } from '~/billing/plans';
import { priceLookupKey } from '~/billing/stripe-fields';
import { isFirstReceipt, queueMail } from '~/mail/outbox.server';
import type { MailKind } from '~/mail/templates';

export interface SyncTarget {
  kind: SyncKind;
  id: string;
}

/** The event as the worker sees it: only what the handlers may look at. */
export interface InboxEvent {
  id: string;
  type: string;
  created: number;
  object: Record<string, unknown> & { id?: string };
}

export interface EffectContext {
  tx: Tx;
  event: InboxEvent;
  /** The object freshly read from Stripe (state comes from here, never from the payload). */
  snapshot: Snapshot | null;
}

interface Handler {
  target(object: InboxEvent['object']): SyncTarget | null;
  effects?(ctx: EffectContext): void;
}

const str = (v: unknown): string | null =>
  typeof v === 'string' && v ? v : v && typeof v === 'object' && 'id' in v && typeof v.id === 'string' ? v.id : null;
const self =
  (kind: SyncKind) =>
  (o: InboxEvent['object']): SyncTarget | null =>
    o.id ? { kind, id: o.id } : null;

// --- effects ----------------------------------------------------------------------------------------

/** Records an effect once; returns false (and the caller does nothing) when it already happened. */
function recordEffect(
  tx: Tx,
  effect: { key: string; kind: string; eventId: string; userId: string | null; data?: Record<string, unknown> },
): boolean {
  const result = tx
    .insert(webhookEffects)
    .values({
      key: effect.key,
      kind: effect.kind,
      eventId: effect.eventId,
      userId: effect.userId,
      data: effect.data ?? null,
      createdAt: machineClock.nowMs(),
    })
    .onConflictDoNothing()
    .run();
  return result.changes > 0;
}

/**
 * An email effect: recorded once, queued once (app/mail/outbox.server.ts), in the transaction that
 * applies the event, so the message exists exactly when the event's processing committed.
 */
function emailOnce(ctx: EffectContext, key: string, kind: MailKind, userId: string | null, data: Record<string, unknown>) {
  if (!recordEffect(ctx.tx, { key, kind: `email:${kind}`, eventId: ctx.event.id, userId, data })) return;
  queueMail(ctx.tx, { dedupeKey: key, kind, userId, data });
}

/** The plan's name of a subscription (its licensed item's price), for the emails. */
function planNameOf(sub: Stripe.Subscription): string | null {
  const item = sub.items.data.find((i) => i.price?.recurring?.usage_type !== 'metered') ?? sub.items.data[0];
  const key = priceLookupKey(item?.price);
  return key ? (planByLookupKey(key)?.plan.name ?? null) : null;
}

/** The newest payment attempt's error of an invoice (its PaymentIntent is expanded on every read). */
function lastPaymentError(invoice: Stripe.Invoice): Stripe.PaymentIntent.LastPaymentError | null {
  const payments = [...(invoice.payments?.data ?? [])].sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
  for (const p of payments) {
    const pi = p.payment?.payment_intent;
    if (pi && typeof pi === 'object') return pi.last_payment_error ?? null;
  }
  return null;
}

function subscriptionOf(ctx: EffectContext): Stripe.Subscription | null {
  return ctx.snapshot?.kind === 'subscription' ? ctx.snapshot.object : null;
}
function invoiceOf(ctx: EffectContext): Stripe.Invoice | null {
  return ctx.snapshot?.kind === 'invoice' ? ctx.snapshot.object : null;
}

/** A subscription that has (or had) a trial uses up the account's one trial. */
function trialUsed(ctx: EffectContext) {
  const sub = subscriptionOf(ctx);
  if (!sub || sub.trial_start == null) return;
  const userId = resolveOwner(ctx.tx, str(sub.customer), sub.metadata);
  if (!userId) return;
  if (
    !recordEffect(ctx.tx, {
      key: `trial-used:${sub.id}`,
      kind: 'trial_used',
      eventId: ctx.event.id,
      userId,
      data: { subscription: sub.id },
    })
  )
    return;
  ctx.tx.update(users).set({ hasHadTrial: true }).where(eq(users.id, userId)).run();
}

/**
 * The credit pack: the grant (and a refund's take-back) is keyed by the payment, shared with the
 * page's own confirmation (app/billing/payments.server.ts), so whichever comes first grants once.
 */
function creditPackEffects(ctx: EffectContext) {
  const pi = ctx.snapshot?.kind === 'payment_intent' ? ctx.snapshot.object : null;
  if (!pi || pi.status !== 'succeeded' || pi.metadata?.kind !== 'credit_pack') return;
  applyCreditPackEffects(ctx.tx, pi, ctx.event.id);
  const userId = resolveOwner(ctx.tx, str(pi.customer), pi.metadata);
  emailOnce(ctx, `email:payment-receipt:${pi.id}`, 'payment-receipt', userId, {
    paymentIntent: pi.id,
    amount: pi.amount_received,
    currency: pi.currency,
    description: pi.description,
    paidAt: pi.created,
    welcome: isFirstReceipt(ctx.tx, userId),
  });
}

// --- the table --------------------------------------------------------------------------------------

/** A cancellation was scheduled (at period end or at a date): told once per scheduled date. */
function willCancel(ctx: EffectContext) {
  const sub = subscriptionOf(ctx);
  if (!sub || (sub.status !== 'active' && sub.status !== 'trialing')) return;
  const at = sub.cancel_at ?? (sub.cancel_at_period_end ? (sub.items.data[0]?.current_period_end ?? null) : null);
  if (at == null) return;
  emailOnce(
    ctx,
    `email:subscription-will-cancel:${sub.id}:${at}`,
    'subscription-will-cancel',
    resolveOwner(ctx.tx, str(sub.customer), sub.metadata),
    {
      subscription: sub.id,
      cancelAt: at,
    },
  );
}

const subscriptionEvent: Handler = { target: self('subscription'), effects: trialUsed };
const subscriptionUpdated: Handler = {
  target: self('subscription'),
  effects(ctx) {
    trialUsed(ctx);
    willCancel(ctx);
  },
};
/** Billing credits a finalized invoice spent (or a voided one gave back), once per invoice. */
function creditSpend(ctx: EffectContext) {
  const invoice = invoiceOf(ctx);
  if (invoice) recordCreditSpend(ctx.tx, invoice, resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata), ctx.event.id);
}

const invoiceEvent: Handler = { target: self('invoice'), effects: creditSpend };
const paymentMethodEvent: Handler = { target: self('payment_method') };
const paymentIntentEvent: Handler = { target: self('payment_intent') };
const scheduleEvent: Handler = {
  target: (o) => {
    const id = str(o.subscription) ?? str(o.released_subscription);
    return id ? { kind: 'subscription', id } : null;
  },
};
const checkoutEvent: Handler = {
  target: (o) => {
    const sub = str(o.subscription);
    if (sub) return { kind: 'subscription', id: sub };
    const pi = str(o.payment_intent);
    if (pi) return { kind: 'payment_intent', id: pi };
    const customer = str(o.customer);
    return customer ? { kind: 'customer', id: customer } : null;
  },
};

const HANDLERS: Record<string, Handler> = {
  'customer.created': { target: self('customer') },
  'customer.updated': { target: self('customer') },
  'customer.deleted': { target: self('customer') },
  'customer.tax_id.created': { target: (o) => (str(o.customer) ? { kind: 'customer', id: str(o.customer)! } : null) },
  'customer.tax_id.updated': { target: (o) => (str(o.customer) ? { kind: 'customer', id: str(o.customer)! } : null) },
  'customer.tax_id.deleted': { target: (o) => (str(o.customer) ? { kind: 'customer', id: str(o.customer)! } : null) },

  'customer.subscription.created': subscriptionEvent,
  'customer.subscription.updated': subscriptionUpdated,
  'customer.subscription.paused': subscriptionEvent,
  'customer.subscription.resumed': subscriptionEvent,
  'customer.subscription.pending_update_applied': subscriptionEvent,
  'customer.subscription.pending_update_expired': subscriptionEvent,
  'customer.subscription.deleted': {
    target: self('subscription'),
    effects(ctx) {
      const sub = subscriptionOf(ctx);
      if (!sub) return;
      emailOnce(
        ctx,
        `email:subscription-canceled:${sub.id}`,
        'subscription-canceled',
        resolveOwner(ctx.tx, str(sub.customer), sub.metadata),
        {
          subscription: sub.id,
          plan: planNameOf(sub),
          endedAt: sub.ended_at ?? sub.canceled_at,
          reason: sub.cancellation_details?.reason ?? null,
        },
      );
    },
  },
  'customer.subscription.trial_will_end': {
    target: self('subscription'),
    effects(ctx) {
      const sub = subscriptionOf(ctx);
      if (!sub || sub.status !== 'trialing' || sub.trial_end == null) return;
      emailOnce(
        ctx,
        `email:trial-will-end:${sub.id}:${sub.trial_end}`,
        'trial-will-end',
        resolveOwner(ctx.tx, str(sub.customer), sub.metadata),
        {
          subscription: sub.id,
          trialEnd: sub.trial_end,
          planName: planNameOf(sub),
          hasCard: !!sub.default_payment_method,
        },
      );
    },
  },

  'subscription_schedule.created': scheduleEvent,
  'subscription_schedule.updated': scheduleEvent,
  'subscription_schedule.released': scheduleEvent,
  'subscription_schedule.canceled': scheduleEvent,
  'subscription_schedule.completed': scheduleEvent,
  'subscription_schedule.aborted': scheduleEvent,

  'invoice.created': invoiceEvent,
  'invoice.finalized': invoiceEvent,
  'invoice.updated': invoiceEvent,
  'invoice.voided': invoiceEvent,
  'invoice.marked_uncollectible': invoiceEvent,
  'invoice.deleted': invoiceEvent,
  'invoice.overdue': invoiceEvent,
  'invoice.finalization_failed': invoiceEvent,
  'invoice.payment_succeeded': invoiceEvent,
  'invoice.paid': {
    target: self('invoice'),
    effects(ctx) {
      creditSpend(ctx);
      const invoice = invoiceOf(ctx);
      if (!invoice || invoice.status !== 'paid' || invoice.amount_paid <= 0) return;
      const userId = resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata);
      emailOnce(ctx, `email:invoice-paid:${invoice.id}`, 'invoice-paid', userId, {
        invoice: invoice.id,
        number: invoice.number,
        amountPaid: invoice.amount_paid,
        currency: invoice.currency,
        description: invoice.lines?.data[0]?.description ?? null,
        paidAt: invoice.status_transitions?.paid_at ?? null,
        welcome: isFirstReceipt(ctx.tx, userId),
      });
    },
  },
  'invoice.payment_failed': {
    target: self('invoice'),
    effects(ctx) {
      creditSpend(ctx);
      const invoice = invoiceOf(ctx);
      // The first invoice is paid in the page, where the customer sees the decline: no email then.
      if (!invoice || invoice.status !== 'open' || invoice.billing_reason === 'subscription_create') return;
      // The bank wants the customer to authenticate: invoice.payment_action_required sends that email instead.
      const error = lastPaymentError(invoice);
      if (error?.code === 'authentication_required') return;
      // One email per failed invoice, not per retry: the customer is told once and the banner does the rest.
      emailOnce(
        ctx,
        `email:payment-failed:${invoice.id}`,
        'payment-failed',
        resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata),
        {
          invoice: invoice.id,
          attempt: invoice.attempt_count,
          amountDue: invoice.amount_due,
          currency: invoice.currency,
          failedAt: ctx.event.created,
          reason: error?.message ?? null,
          nextPaymentAttempt: invoice.next_payment_attempt,
        },
      );
    },
  },
  'invoice.payment_action_required': {
    target: self('invoice'),
    effects(ctx) {
      const invoice = invoiceOf(ctx);
      if (!invoice || invoice.status !== 'open' || invoice.billing_reason === 'subscription_create') return;
      emailOnce(
        ctx,
        `email:payment-action-required:${invoice.id}`,
        'payment-action-required',
        resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata),
        {
          invoice: invoice.id,
          amountDue: invoice.amount_due,
          currency: invoice.currency,
        },
      );
    },
  },
  'invoice_payment.paid': { target: (o) => (str(o.invoice) ? { kind: 'invoice', id: str(o.invoice)! } : null) },

  'payment_method.attached': paymentMethodEvent,
  'payment_method.detached': paymentMethodEvent,
  'payment_method.updated': paymentMethodEvent,
  'payment_method.automatically_updated': paymentMethodEvent,
  'setup_intent.succeeded': { target: (o) => (str(o.payment_method) ? { kind: 'payment_method', id: str(o.payment_method)! } : null) },

  'payment_intent.created': paymentIntentEvent,
  'payment_intent.processing': paymentIntentEvent,
  'payment_intent.requires_action': paymentIntentEvent,
  'payment_intent.payment_failed': paymentIntentEvent,
  'payment_intent.canceled': paymentIntentEvent,
  'payment_intent.succeeded': { target: self('payment_intent'), effects: creditPackEffects },
  // A refund made in Stripe: the PaymentIntent (with its charge) is re-read; unspent credits go back.
  'charge.refunded': {
    target: (o) => (str(o.payment_intent) ? { kind: 'payment_intent', id: str(o.payment_intent)! } : null),
    effects: creditPackEffects,
  },

  'checkout.session.completed': checkoutEvent,
  'checkout.session.async_payment_succeeded': checkoutEvent,
  'checkout.session.async_payment_failed': checkoutEvent,

  'product.created': { target: self('product') },
  'product.updated': { target: self('product') },
  'product.deleted': { target: self('product') },
  'price.created': { target: self('price') },
  'price.updated': { target: self('price') },
  'price.deleted': { target: self('price') },
};

export function isHandled(type: string): boolean {
  return Object.hasOwn(HANDLERS, type);
}

export function targetOf(event: InboxEvent): SyncTarget | null {
  return HANDLERS[event.type]?.target(event.object) ?? null;
}

export function runEffects(ctx: EffectContext): void {
  HANDLERS[ctx.event.type]?.effects?.(ctx);
}
