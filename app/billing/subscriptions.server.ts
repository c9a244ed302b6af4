// Over 500 lines: every subscription action (start, confirm, cancel, reactivate, pause, resume, portal, abandon) shares one lock and one sync path.
/**
 * Subscribing and managing a subscription, owner-scoped: every function takes the signed-in user's
 * id and finds the Stripe objects from it; no Stripe id ever comes from the browser. Each Stripe
 * write carries an idempotency key derived from the user's action (a nonce the form sends once per
 * attempt), and each action syncs what it changed before returning (docs/architecture.md, docs/billing.md).
 */
import type Stripe from 'stripe';
import { eq, sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { cancellationReasons, trialFingerprints, users, type CancellationReason } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { env } from '~/lib/env.server';
import { stripe } from '~/stripe/client.server';
import { ensureStripeCustomer } from './customers.server';
import { BillingError, fromStripeError } from './errors';
import { withUserLock } from './locks.server';
import { ownerMetadata } from './owner.server';
import { MAX_SEATS, PLANS, type Interval, type PlanKey } from './plans';
import { forgetPortalConfiguration, managedPortalConfiguration, priceByLookupKey } from './catalog.server';
import { getBillingState, priceById, type BillingState } from './queries.server';
import { codeRefusal, findPromotionCode } from './promotions.server';
import { syncCustomer } from './sync.server';

/** Subscriptions that hold the user's one subscription slot. */
const HOLDS_SLOT = new Set(['active', 'trialing', 'past_due', 'unpaid', 'paused']);

export interface PaymentStep {
  /** What Stripe.js must confirm: the first invoice's payment, or the trial's card setup. */
  intentType: 'payment' | 'setup';
  clientSecret: string;
  amountDue: number;
  currency: string;
  trialEnd: Date | null;
  /** True when an earlier, unfinished attempt was picked up instead of starting another. */
  resumed: boolean;
  planKey: PlanKey;
  interval: Interval;
}

export type StartResult = { kind: 'needs_payment'; step: PaymentStep } | { kind: 'done' };

function userRow(userId: string) {
  const user = db().select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw new BillingError('no_subscription', 'Your account was not found. Log in again.');
  return user;
}

function stepFrom(sub: Stripe.Subscription, planKey: PlanKey, interval: Interval, resumed: boolean): PaymentStep | null {
  const invoice = typeof sub.latest_invoice === 'object' ? sub.latest_invoice : null;
  const setup = typeof sub.pending_setup_intent === 'object' ? sub.pending_setup_intent : null;
  const trialEnd = sub.trial_end ? new Date(sub.trial_end * 1000) : null;
  if (setup?.client_secret && setup.status !== 'succeeded' && setup.status !== 'canceled') {
    return {
      intentType: 'setup',
      clientSecret: setup.client_secret,
      amountDue: 0,
      currency: sub.currency,
      trialEnd,
      resumed,
      planKey,
      interval,
    };
  }
  const secret = invoice?.confirmation_secret?.client_secret;
  if (invoice && invoice.status === 'open' && secret && invoice.amount_remaining > 0) {
    return {
      intentType: 'payment',
      clientSecret: secret,
      amountDue: invoice.amount_remaining,
      currency: invoice.currency,
      trialEnd,
      resumed,
      planKey,
      interval,
    };
  }
  return null;
}

const EXPAND = ['latest_invoice.confirmation_secret', 'pending_setup_intent'];

/**
 * Starts (or resumes) a subscription to `planKey`. Returns what the page must confirm with Stripe.js,
 * or `done` when nothing is due now (a trial that already has a card, a fully discounted invoice).
 */
export async function startSubscription(input: {
  userId: string;
  planKey: PlanKey;
  interval: Interval;
  seats?: number;
  /** A promotion code as the customer typed it (checked by Stripe when the subscription is created). */
  code?: string;
  nonce: string;
}): Promise<StartResult> {
  const plan = PLANS[input.planKey];
  if (!plan) throw new BillingError('invalid_plan', 'That plan does not exist. Choose one of the plans shown.');
  const quantity = plan.perSeat ? Math.max(1, Math.min(MAX_SEATS, Math.trunc(input.seats ?? 1))) : 1;
  return withUserLock(input.userId, async () => {
    const user = userRow(input.userId);
    const customerId = await ensureStripeCustomer({ userId: user.id });
    const s = stripe();
    try {
      // Decide from Stripe's present state, not from a mirror that may lag behind it (a payment
      // confirmed in a tab that closed before telling us, a subscription made in the portal).
      await syncCustomer(customerId);
      const state = getBillingState({ userId: user.id });
      const priceId = (await priceByLookupKey(plan.prices[input.interval].lookupKey)).id;
      const holding = state.subscriptions.find((sub) => HOLDS_SLOT.has(sub.status));
      if (holding) {
        // A trial started earlier whose card was never collected: pick it up again.
        if (
          holding.status === 'trialing' &&
          holding.priceId === priceId &&
          !holding.defaultPaymentMethodId &&
          !state.customer?.defaultPaymentMethodId
        ) {
          const sub = await s.subscriptions.retrieve(holding.id, { expand: EXPAND });
          const step = stepFrom(sub, input.planKey, input.interval, true);
          if (step) return { kind: 'needs_payment', step };
        }
        throw new BillingError('already_subscribed', 'You already have a subscription. Change your plan from the Billing page instead.');
      }
      for (const unfinished of state.subscriptions.filter((sub) => sub.status === 'incomplete')) {
        const sub = await s.subscriptions.retrieve(unfinished.id, { expand: EXPAND });
        if (HOLDS_SLOT.has(sub.status)) {
          // It was paid after all: never cancel it, never start another.
          await syncCustomer(customerId);
          throw new BillingError('already_subscribed', 'Your earlier payment went through: you are already subscribed.');
        }
        if (sub.status !== 'incomplete') continue;
        if (unfinished.priceId === priceId && (unfinished.quantity ?? 1) === quantity && !input.code) {
          const step = stepFrom(sub, input.planKey, input.interval, true);
          if (step) return { kind: 'needs_payment', step };
        } else {
          // The user changed their mind midway (another plan, or now with a code): drop the unpaid
          // attempt so only one remains.
          await s.subscriptions.cancel(unfinished.id, {}, { idempotencyKey: `sub-abandon:${unfinished.id}` });
        }
      }
      const trial = plan.trialDays > 0 && !user.hasHadTrial;
      const promo = input.code ? await findPromotionCode(input.code) : null;
      const params: Stripe.SubscriptionCreateParams = {
        customer: customerId,
        items: [{ price: priceId, quantity }],
        payment_behavior: 'default_incomplete',
        payment_settings: { save_default_payment_method: 'on_subscription' },
        expand: EXPAND,
        metadata: { ...ownerMetadata(user.id), planKey: plan.key },
        ...(promo ? { discounts: [{ promotion_code: promo.id }] } : {}),
        ...(trial ? { trial_period_days: plan.trialDays, trial_settings: { end_behavior: { missing_payment_method: 'cancel' } } } : {}),
      };
      const sub = await s.subscriptions
        .create(params, { idempotencyKey: `sub-create:${user.id}:${priceId}:${quantity}:${promo?.id ?? '-'}:${input.nonce}` })
        .catch((error: unknown) => {
          throw codeRefusal(error) ?? error;
        });
      if (trial) db().update(users).set({ hasHadTrial: true }).where(eq(users.id, user.id)).run();
      // The subscription exists now: a failed refresh must not hide its payment step (a retry would
      // create another). The webhook brings the mirror up to date.
      await syncCustomer(customerId).catch((e) =>
        console.warn(`sync after subscribe failed: ${e instanceof Error ? e.message : String(e)}`),
      );
      const step = stepFrom(sub, input.planKey, input.interval, false);
      return step ? { kind: 'needs_payment', step } : { kind: 'done' };
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}

/**
 * After Stripe.js confirmed the payment or the card setup: sync, then apply the one-trial-per-card
 * rule. Returns a notice for the page when the trial had to end.
 */
export async function completeSubscription({ userId }: { userId: string }): Promise<{ notice: string | null; status: string | null }> {
  return withUserLock(userId, async () => {
    const user = userRow(userId);
    if (!user.stripeCustomerId) throw new BillingError('no_subscription', 'There is no subscription to finish. Choose a plan first.');
    await syncCustomer(user.stripeCustomerId).catch((e) => {
      throw fromStripeError(e);
    });
    const notice = await applyOneTrialPerCard(userId, user.stripeCustomerId);
    return { notice, status: getBillingState({ userId }).subscription?.status ?? null };
  });
}

/**
 * The webhook worker's entry to the same rule, for a trial whose card arrived without the page
 * telling us (the tab closed after Stripe.js confirmed the card).
 */
export async function enforceOneTrialPerCard({ userId }: { userId: string }): Promise<string | null> {
  return withUserLock(userId, async () => {
    const user = userRow(userId);
    return user.stripeCustomerId ? applyOneTrialPerCard(userId, user.stripeCustomerId) : null;
  });
}

/** Call with the user's lock held and the mirror fresh. */
async function applyOneTrialPerCard(userId: string, customerId: string): Promise<string | null> {
  const state = getBillingState({ userId });
  const sub = state.subscription;
  if (!sub || sub.status !== 'trialing') return null;
  // Only the trial's own card counts (the subscription's default, else the customer's).
  const fingerprint = state.defaultPaymentMethod?.fingerprint ?? null;
  if (!fingerprint) return null;
  const inserted = db()
    .insert(trialFingerprints)
    .values({ fingerprint, userId, subscriptionId: sub.id, createdAt: clock.now() })
    .onConflictDoNothing()
    .run();
  if (inserted.changes > 0) return null;
  const owner = db().select().from(trialFingerprints).where(eq(trialFingerprints.fingerprint, fingerprint)).get();
  if (owner && owner.subscriptionId === sub.id) return null;
  // This card already had a free trial: the subscription starts now, billed to it.
  try {
    await stripe().subscriptions.update(
      sub.id,
      { trial_end: 'now', proration_behavior: 'none' },
      { idempotencyKey: `trial-end-card-reused:${sub.id}` },
    );
    await syncCustomer(customerId);
  } catch (error) {
    throw fromStripeError(error);
  }
  return 'This card has already been used for a free trial, so your subscription starts today.';
}

function requireCurrent(state: BillingState, allowed: string[], action: string) {
  const sub = state.subscription;
  if (!sub || !HOLDS_SLOT.has(sub.status)) throw new BillingError('no_subscription', 'You have no active subscription.');
  if (!allowed.includes(sub.status))
    throw new BillingError('not_allowed_in_state', `You cannot ${action} while the subscription is ${sub.status.replace('_', ' ')}.`);
  return sub;
}

export async function cancelAtPeriodEnd(input: {
  userId: string;
  nonce: string;
  reason?: CancellationReason | null;
  comment?: string | null;
}) {
  return withUserLock(input.userId, async () => {
    const state = getBillingState({ userId: input.userId });
    const sub = requireCurrent(state, ['active', 'trialing', 'past_due'], 'cancel');
    const idempotencyKey = `sub-cancel-at-period-end:${sub.id}:${input.nonce}`;
    const reasonRow = recordCancellationReason({ ...input, subscriptionId: sub.id, idempotencyKey });
    try {
      await stripe().subscriptions.update(
        sub.id,
        { cancel_at_period_end: true, cancellation_details: input.reason ? { feedback: feedbackFor(input.reason) } : undefined },
        { idempotencyKey },
      );
      await syncCustomer(sub.customerId);
    } catch (error) {
      throw forgetReasonIfRefused(fromStripeError(error), reasonRow);
    }
    return getBillingState({ userId: input.userId }).subscription;
  });
}

/**
 * Stores why the user cancels before the cancel is sent, keyed by the call's idempotency key: a crash
 * after Stripe applied the cancel keeps the reason; the same action sent again adds no second row.
 * Returns the key of a row this call wrote, or null.
 */
function recordCancellationReason(input: {
  userId: string;
  subscriptionId: string;
  idempotencyKey: string;
  reason?: CancellationReason | null;
  comment?: string | null;
}): string | null {
  if (!input.reason && !input.comment) return null;
  const written = db()
    .insert(cancellationReasons)
    .values({
      userId: input.userId,
      subscriptionId: input.subscriptionId,
      reason: input.reason ?? null,
      comment: input.comment?.slice(0, 500) ?? null,
      idempotencyKey: input.idempotencyKey,
      createdAt: clock.now(),
    })
    .onConflictDoNothing()
    .run();
  return written.changes > 0 ? input.idempotencyKey : null;
}

/** A cancel Stripe refused outright did not happen: its reason goes. One that may have happened stays. */
function forgetReasonIfRefused(error: BillingError, reasonKey: string | null): BillingError {
  if (reasonKey && error.code !== 'stripe_unavailable') {
    db().delete(cancellationReasons).where(eq(cancellationReasons.idempotencyKey, reasonKey)).run();
  }
  return error;
}

function feedbackFor(reason: CancellationReason): Stripe.SubscriptionUpdateParams.CancellationDetails.Feedback {
  switch (reason) {
    case 'too_expensive':
      return 'too_expensive';
    case 'missing_features':
      return 'missing_features';
    case 'switched_service':
      return 'switched_service';
    case 'unused':
      return 'unused';
    default:
      return 'other';
  }
}

export async function reactivateSubscription(input: { userId: string; nonce: string }) {
  return withUserLock(input.userId, async () => {
    const state = getBillingState({ userId: input.userId });
    const sub = requireCurrent(state, ['active', 'trialing', 'past_due'], 'reactivate');
    if (!sub.cancelAtPeriodEnd && !sub.cancelAt) throw new BillingError('not_allowed_in_state', 'Your subscription is not set to cancel.');
    try {
      await stripe().subscriptions.update(
        sub.id,
        { cancel_at_period_end: false, cancel_at: null as unknown as undefined },
        { idempotencyKey: `sub-reactivate:${sub.id}:${input.nonce}` },
      );
      await syncCustomer(sub.customerId);
    } catch (error) {
      throw fromStripeError(error);
    }
    return getBillingState({ userId: input.userId }).subscription;
  });
}

/**
 * What cancelling now gives back: Stripe's "Unused time" credit for the rest of the period, computed
 * from the mirror the same way (amount × quantity × remaining / period, rounded to the cent). Trials
 * and unpaid periods give nothing back.
 */
/** Only a paid, collected period has unused time to give back (not a trial, a pause or a debt). */
function creditsUnusedTime(state: BillingState): boolean {
  const sub = state.subscription;
  if (!sub || sub.status !== 'active' || sub.pauseBehavior) return false;
  const latest = state.invoices.find((i) => i.id === sub.latestInvoiceId);
  return latest?.status === 'paid';
}

/** `state`: the request's billing state when the page has read it already (with its newest 12 invoices, as read here). */
export function previewCancelNow({
  userId,
  state = getBillingState({ userId }),
}: {
  userId: string;
  state?: BillingState;
}): { credit: number; currency: string; periodEnd: Date | null } | null {
  const sub = state.subscription;
  if (!sub || !HOLDS_SLOT.has(sub.status)) return null;
  if (!creditsUnusedTime(state) || !sub.priceId || !sub.currentPeriodStart || !sub.currentPeriodEnd) {
    return { credit: 0, currency: sub.currency, periodEnd: sub.currentPeriodEnd };
  }
  const price = priceById(sub.priceId);
  const now = clock.nowSeconds();
  const start = Math.floor(sub.currentPeriodStart.getTime() / 1000);
  const end = Math.floor(sub.currentPeriodEnd.getTime() / 1000);
  if (!price?.unitAmount || end <= start || now >= end) return { credit: 0, currency: sub.currency, periodEnd: sub.currentPeriodEnd };
  const remaining = Math.max(0, end - Math.max(now, start));
  const credit = Math.round((price.unitAmount * (sub.quantity ?? 1) * remaining) / (end - start));
  return { credit, currency: sub.currency, periodEnd: sub.currentPeriodEnd };
}

export async function cancelNow(input: { userId: string; nonce: string; reason?: CancellationReason | null }) {
  return withUserLock(input.userId, async () => {
    const state = getBillingState({ userId: input.userId });
    const sub = requireCurrent(state, ['active', 'trialing', 'past_due', 'unpaid', 'paused'], 'cancel');
    const credit = creditsUnusedTime(state);
    const idempotencyKey = `sub-cancel-now:${sub.id}:${input.nonce}`;
    const reasonRow = recordCancellationReason({ ...input, comment: null, subscriptionId: sub.id, idempotencyKey });
    try {
      await stripe().subscriptions.cancel(sub.id, { prorate: credit, invoice_now: credit }, { idempotencyKey });
      await syncCustomer(sub.customerId);
    } catch (error) {
      throw forgetReasonIfRefused(fromStripeError(error), reasonRow);
    }
  });
}

/** How long a customer may pause payments from the page, in months. */
export const PAUSE_MONTHS = [1, 2, 3] as const;

/**
 * Pauses payment collection for `months` (`pause_collection: { behavior: 'void', resumes_at }`): the
 * invoices Stripe makes meanwhile are voided, nothing is charged, and the paid features are off until
 * it resumes (the rule in app/billing/entitlements.ts, docs/billing.md "Pause"). Stripe resumes by
 * itself at `resumes_at`; the customer can resume earlier.
 */
export async function pauseCollection(input: { userId: string; months: number; nonce: string }) {
  return withUserLock(input.userId, async () => {
    const state = getBillingState({ userId: input.userId });
    const sub = requireCurrent(state, ['active'], 'pause');
    if (sub.pauseBehavior) throw new BillingError('not_allowed_in_state', 'Your payments are already paused.');
    if (sub.cancelAtPeriodEnd || sub.cancelAt)
      throw new BillingError('not_allowed_in_state', 'Your subscription is set to cancel; keep it first, then pause.');
    if (!(PAUSE_MONTHS as readonly number[]).includes(input.months))
      throw new BillingError('invalid_details', 'Pause for 1, 2 or 3 months.');
    // The same day N months on (the 31st becomes the month's last day), by the billing clock.
    const now = clock.now();
    const [year, month] = [now.getUTCFullYear(), now.getUTCMonth() + input.months];
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const resumesAt = new Date(Date.UTC(year, month, Math.min(now.getUTCDate(), lastDay), now.getUTCHours(), now.getUTCMinutes()));
    try {
      await stripe().subscriptions.update(
        sub.id,
        { pause_collection: { behavior: 'void', resumes_at: Math.floor(resumesAt.getTime() / 1000) } },
        { idempotencyKey: `sub-pause:${sub.id}:${input.nonce}` },
      );
      await syncCustomer(sub.customerId);
    } catch (error) {
      throw fromStripeError(error);
    }
    return getBillingState({ userId: input.userId }).subscription;
  });
}

/**
 * "Choose another plan" from the card form: the unpaid attempt is cancelled in Stripe (an `incomplete`
 * subscription, or a trial whose card was never collected) and its unpaid first invoice voided, so
 * nothing is owed and the plans show again. A trial given up before any card gives the trial back.
 * Each call is keyed by the subscription it ends, so a repeat changes nothing.
 */
export async function abandonUnpaidAttempt({ userId }: { userId: string }) {
  return withUserLock(userId, async () => {
    const state = getBillingState({ userId });
    const customerId = state.customer?.id;
    if (!customerId) return;
    const candidates = state.subscriptions.filter(
      (sub) =>
        sub.status === 'incomplete' ||
        (sub.status === 'trialing' && !sub.defaultPaymentMethodId && !state.customer?.defaultPaymentMethodId),
    );
    try {
      for (const row of candidates) {
        // Decide from Stripe's present state: a payment confirmed a moment ago is never undone.
        const sub = await stripe().subscriptions.retrieve(row.id, { expand: ['latest_invoice'] });
        const trialWithoutCard = sub.status === 'trialing' && !sub.default_payment_method;
        if (sub.status !== 'incomplete' && !trialWithoutCard) continue;
        await stripe().subscriptions.cancel(sub.id, {}, { idempotencyKey: `sub-abandon:${sub.id}` });
        const invoice = typeof sub.latest_invoice === 'object' ? sub.latest_invoice : null;
        if (invoice?.id && invoice.status === 'open') {
          await stripe().invoices.voidInvoice(invoice.id, {}, { idempotencyKey: `invoice-void-abandoned:${invoice.id}` });
        }
        if (trialWithoutCard) db().update(users).set({ hasHadTrial: false }).where(eq(users.id, userId)).run();
      }
      await syncCustomer(customerId);
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}

/** Ends a pause of payment collection (`pause_collection`), so the subscription bills again. */
export async function resumeSubscription(input: { userId: string; nonce: string }) {
  return withUserLock(input.userId, async () => {
    const state = getBillingState({ userId: input.userId });
    const sub = requireCurrent(state, ['active'], 'resume');
    if (!sub.pauseBehavior) throw new BillingError('not_allowed_in_state', 'Your subscription is not paused.');
    try {
      await stripe().subscriptions.update(sub.id, { pause_collection: '' }, { idempotencyKey: `sub-resume:${sub.id}:${input.nonce}` });
      await syncCustomer(sub.customerId);
    } catch (error) {
      throw fromStripeError(error);
    }
    return getBillingState({ userId: input.userId }).subscription;
  });
}

/** A Stripe customer portal session for the user, returning to /billing. */
export async function createPortalSession(input: { userId: string; nonce: string }): Promise<string> {
  const customerId = await ensureStripeCustomer({ userId: input.userId });
  try {
    // The configuration stripe:setup made (plan changes, cancel reasons), not the account's default.
    const configuration = await managedPortalConfiguration();
    const session = await stripe().billingPortal.sessions.create(
      { customer: customerId, return_url: `${env().APP_URL}/billing`, ...(configuration ? { configuration } : {}) },
      { idempotencyKey: `portal-session:${input.userId}:${input.nonce}` },
    );
    return session.url;
  } catch (error) {
    if ((error as { param?: string }).param === 'configuration') forgetPortalConfiguration();
    throw fromStripeError(error);
  }
}

/**
 * Cancels subscriptions left `incomplete` for longer than a day (the user never paid). Stripe also
 * expires them after 23 hours; this sweep keeps the mirror and Stripe tidy either way.
 */
export async function cancelAbandonedIncomplete({ olderThanMs = 24 * 60 * 60 * 1000 } = {}): Promise<number> {
  const cutoff = new Date(clock.nowMs() - olderThanMs);
  const stale = db().all<{ id: string; customer_id: string }>(
    sql`select id, customer_id from subscriptions where status = 'incomplete' and stripe_created < ${Math.floor(cutoff.getTime() / 1000)}`,
  );
  let cancelled = 0;
  for (const row of stale) {
    // The mirror may lag: only what Stripe itself still calls incomplete is cancelled.
    const sub = await stripe().subscriptions.retrieve(row.id);
    if (sub.status === 'incomplete') {
      await stripe().subscriptions.cancel(row.id, {}, { idempotencyKey: `sub-abandon:${row.id}` });
      cancelled++;
    }
    await syncCustomer(row.customer_id);
  }
  return cancelled;
}
