/**
 * Saved cards, owner-scoped: list them from the mirror, add one with a SetupIntent confirmed by the
 * Payment Element (3D Secure in the page), make one the default (the customer's
 * `invoice_settings.default_payment_method` and the live subscription's `default_payment_method`, so
 * both invoices and renewals use it), and remove one — never the card that pays for an active paid
 * subscription (docs/billing.md, "Payment methods"). Card ids from the browser are only accepted when
 * the mirror says the card is the user's.
 */
import { clock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { ensureStripeCustomer } from './customers.server';
import { BillingError, fromStripeError } from './errors';
import { withUserLock } from './locks.server';
import { ownerMetadata } from './owner.server';
import { getBillingState, type BillingState } from './queries.server';
import { syncCustomer } from './sync.server';

export interface CardView {
  id: string;
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  isDefault: boolean;
  expired: boolean;
  /** Expires within 30 days. */
  expiresSoon: boolean;
  /** The default card of an active paid subscription: it cannot be removed. */
  locked: boolean;
}

export interface SetupStep {
  intentType: 'setup';
  clientSecret: string;
  amountDue: 0;
  currency: string;
}

const PAID_LIVE = new Set(['active', 'past_due', 'unpaid', 'trialing']);
const DAY = 86_400_000;

/** Whether the subscription would charge `cardId` (its own default, else the customer's). */
function paysForSubscription(state: BillingState, cardId: string): boolean {
  const sub = state.subscription;
  if (!sub || !PAID_LIVE.has(sub.status)) return false;
  return (sub.defaultPaymentMethodId ?? state.customer?.defaultPaymentMethodId ?? null) === cardId;
}

export function listCards({ userId }: { userId: string }): CardView[] {
  const state = getBillingState({ userId });
  const now = clock.now().getTime();
  return state.paymentMethods.map((pm) => {
    // A card is good through the last day of its expiry month.
    const expiresAt = pm.expYear && pm.expMonth ? Date.UTC(pm.expYear, pm.expMonth, 1) : null;
    return {
      id: pm.id,
      brand: pm.brand ?? pm.type,
      last4: pm.last4 ?? '····',
      expMonth: pm.expMonth,
      expYear: pm.expYear,
      isDefault: pm.isDefault,
      expired: expiresAt !== null && expiresAt <= now,
      expiresSoon: expiresAt !== null && expiresAt > now && expiresAt - now <= 30 * DAY,
      locked: paysForSubscription(state, pm.id),
    };
  });
}

/** A SetupIntent for a new card; the Payment Element confirms it in the page. */
export async function startAddCard({ userId, nonce }: { userId: string; nonce: string }): Promise<SetupStep> {
  const customerId = await ensureStripeCustomer({ userId });
  try {
    const intent = await stripe().setupIntents.create(
      { customer: customerId, usage: 'off_session', metadata: ownerMetadata(userId) },
      { idempotencyKey: `setup-intent:${userId}:${nonce}` },
    );
    return { intentType: 'setup', clientSecret: intent.client_secret!, amountDue: 0, currency: 'usd' };
  } catch (error) {
    throw fromStripeError(error);
  }
}

/** After Stripe.js confirmed the card: mirror it; a first card becomes the default. */
export async function completeAddCard({ userId }: { userId: string }): Promise<void> {
  await withUserLock(userId, async () => {
    const customerId = await ensureStripeCustomer({ userId });
    try {
      await syncCustomer(customerId);
      const state = getBillingState({ userId });
      const newest = state.paymentMethods[0];
      if (newest && !state.defaultPaymentMethod) {
        await setDefault(state, newest.id, `card-default-first:${newest.id}`);
        await syncCustomer(customerId);
      }
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}

function requireCard(state: BillingState, cardId: string) {
  const card = state.paymentMethods.find((pm) => pm.id === cardId);
  if (!card) throw new BillingError('no_subscription', 'That card is not on your account any more. Reload the page.');
  return card;
}

async function setDefault(state: BillingState, cardId: string, key: string) {
  const s = stripe();
  await s.customers.update(
    state.customer!.id,
    { invoice_settings: { default_payment_method: cardId } },
    { idempotencyKey: `${key}:customer` },
  );
  const sub = state.subscription;
  if (sub && PAID_LIVE.has(sub.status) && sub.defaultPaymentMethodId !== cardId) {
    await s.subscriptions.update(sub.id, { default_payment_method: cardId }, { idempotencyKey: `${key}:subscription` });
  }
}

export async function makeDefaultCard({ userId, cardId, nonce }: { userId: string; cardId: string; nonce: string }): Promise<void> {
  await withUserLock(userId, async () => {
    const state = getBillingState({ userId });
    requireCard(state, cardId);
    try {
      await setDefault(state, cardId, `card-default:${cardId}:${nonce}`);
      await syncCustomer(state.customer!.id);
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}

export async function removeCard({ userId, cardId, nonce }: { userId: string; cardId: string; nonce: string }): Promise<void> {
  await withUserLock(userId, async () => {
    const state = getBillingState({ userId });
    requireCard(state, cardId);
    if (paysForSubscription(state, cardId)) {
      throw new BillingError(
        'not_allowed_in_state',
        'This card pays for your subscription, so it cannot be removed. Add another card and make it the default first.',
      );
    }
    try {
      await stripe().paymentMethods.detach(cardId, {}, { idempotencyKey: `card-remove:${cardId}:${nonce}` });
      await syncCustomer(state.customer!.id);
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}
