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
import { applyCreditPackEffects } from '~/billing/payments.server';
import type { Snapshot, SyncKind, Tx } from '~/billing/sync.server';
import { outbox, users, webhookEffects } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';

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

/** Queues an email once per dedupe key (a later issue's sender delivers the outbox). */
function enqueueEmail(tx: Tx, email: { dedupeKey: string; template: string; userId: string | null; data: Record<string, unknown> }) {
  const to = email.userId ? (tx.select({ email: users.email }).from(users).where(eq(users.id, email.userId)).get()?.email ?? null) : null;
  tx.insert(outbox)
    .values({
      dedupeKey: email.dedupeKey,
      template: email.template,
      userId: email.userId,
      toEmail: to,
      data: email.data,
      createdAt: machineClock.nowMs(),
    })
    .onConflictDoNothing()
    .run();
}

/** An email effect: recorded once, queued once. */
function emailOnce(ctx: EffectContext, key: string, template: string, userId: string | null, data: Record<string, unknown>) {
  if (!recordEffect(ctx.tx, { key, kind: `email:${template}`, eventId: ctx.event.id, userId, data })) return;
  enqueueEmail(ctx.tx, { dedupeKey: key, template, userId, data });
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
  });
}

// --- the table --------------------------------------------------------------------------------------

const subscriptionEvent: Handler = { target: self('subscription'), effects: trialUsed };
const invoiceEvent: Handler = { target: self('invoice') };
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
  'customer.subscription.updated': subscriptionEvent,
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
        { subscription: sub.id },
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
      const invoice = invoiceOf(ctx);
      if (!invoice || invoice.status !== 'paid' || invoice.amount_paid <= 0) return;
      emailOnce(ctx, `email:invoice-paid:${invoice.id}`, 'invoice-paid', resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata), {
        invoice: invoice.id,
        amountPaid: invoice.amount_paid,
        currency: invoice.currency,
      });
    },
  },
  'invoice.payment_failed': {
    target: self('invoice'),
    effects(ctx) {
      const invoice = invoiceOf(ctx);
      if (!invoice) return;
      // One email per failed attempt: the attempt number is what happened, so it comes from the event.
      const attempt = typeof ctx.event.object.attempt_count === 'number' ? ctx.event.object.attempt_count : invoice.attempt_count;
      emailOnce(
        ctx,
        `email:payment-failed:${invoice.id}:${attempt}`,
        'payment-failed',
        resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata),
        {
          invoice: invoice.id,
          attempt,
          amountDue: invoice.amount_due,
          currency: invoice.currency,
          nextPaymentAttempt: invoice.next_payment_attempt,
        },
      );
    },
  },
  'invoice.payment_action_required': {
    target: self('invoice'),
    effects(ctx) {
      const invoice = invoiceOf(ctx);
      if (!invoice || invoice.status !== 'open') return;
      const attempt = typeof ctx.event.object.attempt_count === 'number' ? ctx.event.object.attempt_count : invoice.attempt_count;
      emailOnce(
        ctx,
        `email:payment-action-required:${invoice.id}:${attempt}`,
        'payment-action-required',
        resolveOwner(ctx.tx, str(invoice.customer), invoice.metadata),
        {
          invoice: invoice.id,
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
