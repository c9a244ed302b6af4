/**
 * One-time purchases (the credit pack), owner-scoped: a PaymentIntent confirmed in the page with the
 * Payment Element (3D Secure in the page, declines beside the form), then the grant. The credits are
 * the `credit_grant` effect row keyed by the payment (`credit-grant:{paymentIntentId}`), written in
 * the same transaction as the mirror row by whichever comes first — the page's confirmation or the
 * `payment_intent.succeeded` webhook — so duplicated, reordered or late webhooks grant nothing twice
 * (docs/decisions/012-webhook-effects.md). A refund in Stripe takes back what is left of the pack.
 */
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { db } from '~/db/client.server';
import { webhookEffects } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { priceByLookupKey } from './catalog.server';
import { ensureStripeCustomer } from './customers.server';
import { BillingError, fromStripeError } from './errors';
import { resolveOwner, ownerMetadata } from './owner.server';
import { ONE_TIME } from './plans';
import { getCreditBalance, listPayments } from './queries.server';
import { fetchSnapshot, writeSnapshot, type Tx } from './sync.server';
import { idOf } from './stripe-fields';
import { paymentBadge, paymentName, type Badge } from './invoices.server';

const CREDITS_PER_PACK = ONE_TIME.credit_pack.credits;

export interface PurchaseStep {
  intentType: 'payment';
  clientSecret: string;
  amountDue: number;
  currency: string;
}

function recordOnce(
  tx: Tx,
  effect: { key: string; kind: string; eventId: string; userId: string | null; data: Record<string, unknown> },
): boolean {
  return (
    tx
      .insert(webhookEffects)
      .values({ ...effect, createdAt: machineClock.nowMs() })
      .onConflictDoNothing()
      .run().changes > 0
  );
}

/**
 * Grants a succeeded credit-pack payment's credits once, and takes back the unspent part once it is
 * refunded. `source` names what noticed it (an event id, or `confirm` for the page). Returns whether
 * credits were granted now.
 */
export function applyCreditPackEffects(tx: Tx, pi: Stripe.PaymentIntent, source: string): boolean {
  if (pi.metadata?.kind !== ONE_TIME.credit_pack.key) return false;
  const userId = resolveOwner(tx, idOf(pi.customer), pi.metadata);
  let granted = false;
  if (pi.status === 'succeeded') {
    const parsed = Number.parseInt(pi.metadata.credits ?? '', 10);
    const credits = Number.isFinite(parsed) ? parsed : null;
    granted = recordOnce(tx, {
      key: `credit-grant:${pi.id}`,
      kind: 'credit_grant',
      eventId: source,
      userId,
      data: { paymentIntent: pi.id, credits, amount: pi.amount_received, currency: pi.currency },
    });
    const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
    if (charge && charge.amount_refunded > 0 && userId && credits) {
      // A refund takes back the refunded share of the pack (all of it once fully refunded), never
      // more than is still unspent (the usage module spends credits from the balance). Keyed by the
      // refunded total: each refund is taken once, whatever order its webhooks come in. Read on the
      // same connection, inside this transaction (better-sqlite3 is synchronous).
      const share = charge.refunded ? credits : Math.floor((credits * charge.amount_refunded) / Math.max(1, charge.amount_captured));
      const taken = tx.get<{ taken: number | null }>(sql`
        select sum(coalesce(json_extract(data, '$.credits'), 0)) as taken from ${webhookEffects}
        where kind = 'credit_revoke' and json_extract(data, '$.paymentIntent') = ${pi.id}`);
      const due = Math.min(share - (taken?.taken ?? 0), getCreditBalance({ userId }));
      if (due > 0)
        recordOnce(tx, {
          key: `credit-revoke:${pi.id}:${charge.amount_refunded}`,
          kind: 'credit_revoke',
          eventId: source,
          userId,
          data: { paymentIntent: pi.id, credits: due, refunded: charge.amount_refunded },
        });
    }
  }
  return granted;
}

/** Starts a credit-pack purchase: a PaymentIntent for the pack's price, confirmed in the page. */
export async function startCreditPackPurchase({ userId, nonce }: { userId: string; nonce: string }): Promise<PurchaseStep> {
  const customerId = await ensureStripeCustomer({ userId });
  try {
    const price = await priceByLookupKey(ONE_TIME.credit_pack.lookupKey);
    if (price.unit_amount == null) throw new BillingError('invalid_plan', 'The credit pack is not for sale right now.');
    const pi = await stripe().paymentIntents.create(
      {
        amount: price.unit_amount,
        currency: price.currency,
        customer: customerId,
        description: ONE_TIME.credit_pack.name,
        metadata: { ...ownerMetadata(userId), kind: ONE_TIME.credit_pack.key, credits: String(CREDITS_PER_PACK), price: price.id },
      },
      { idempotencyKey: `credit-pack:${userId}:${nonce}` },
    );
    await syncPayment(pi.id, 'create');
    return { intentType: 'payment', clientSecret: pi.client_secret!, amountDue: pi.amount, currency: pi.currency };
  } catch (error) {
    throw fromStripeError(error);
  }
}

/** Re-reads a PaymentIntent and writes it with its effects in one transaction. */
async function syncPayment(paymentIntentId: string, source: string): Promise<Stripe.PaymentIntent | null> {
  const fetchedAt = machineClock.now();
  const snap = await fetchSnapshot('payment_intent', paymentIntentId);
  db().transaction((tx) => {
    writeSnapshot(tx, snap, fetchedAt);
    if (snap.kind === 'payment_intent' && snap.object) applyCreditPackEffects(tx, snap.object, source);
  });
  return snap.kind === 'payment_intent' ? snap.object : null;
}

/**
 * After Stripe.js confirmed the payment: sync it and grant the credits if the webhook has not yet.
 * The client secret is the browser's, so the PaymentIntent must be one of the user's.
 */
export async function completeCreditPackPurchase({
  userId,
  clientSecret,
}: {
  userId: string;
  clientSecret: string;
}): Promise<{ status: string; credits: number }> {
  const paymentIntentId = clientSecret.split('_secret_')[0] ?? '';
  if (!listPayments({ userId, kind: ONE_TIME.credit_pack.key, limit: 200 }).some((p) => p.id === paymentIntentId)) {
    throw new BillingError('no_subscription', 'That purchase was not found. Reload the page.');
  }
  try {
    const pi = await syncPayment(paymentIntentId, 'confirm');
    return { status: pi?.status ?? 'unknown', credits: getCreditBalance({ userId }) };
  } catch (error) {
    throw fromStripeError(error);
  }
}

export interface PurchaseView {
  id: string;
  date: string;
  name: string;
  amount: number;
  currency: string;
  badge: Badge;
  receiptUrl: string | null;
}

/** The credits page: the balance and the purchases, from the mirror only. */
export function creditsOverview({ userId }: { userId: string }): { credits: number; purchases: PurchaseView[] } {
  const purchases = listPayments({ userId, kind: ONE_TIME.credit_pack.key })
    // A purchase the user never finished (no card yet, or abandoned) is not history.
    .filter((p) => p.status !== 'requires_payment_method' || p.lastError)
    .map((p) => ({
      id: p.id,
      date: p.stripeCreated.toISOString(),
      name: paymentName(p),
      amount: p.amount,
      currency: p.currency,
      badge: paymentBadge(p),
      receiptUrl: p.receiptUrl,
    }));
  return { credits: getCreditBalance({ userId }), purchases };
}
