/**
 * Billing domain functions against the emulator over HTTP and a real SQLite file: customer creation
 * races, owner scoping, the subscribe → confirm → manage path, one trial per card, and access.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { createApiKey } from '~/auth/api-keys.server';
import { ensureCatalog } from '~/billing/catalog.server';
import { ensureStripeCustomer } from '~/billing/customers.server';
import { entitlementOf } from '~/billing/entitlements.server';
import {
  cancelAbandonedIncomplete,
  cancelAtPeriodEnd,
  cancelNow,
  completeSubscription,
  previewCancelNow,
  reactivateSubscription,
  resumeSubscription,
  startSubscription,
} from '~/billing/subscriptions.server';
import { getBillingState, getInvoice } from '~/billing/queries.server';
import { db } from '~/db/client.server';
import { clock } from '~/lib/clock.server';
import { cancellationReasons, stripeEvents, trialFingerprints, users } from '~/db/schema';
import { action as billingAction } from '~/routes/billing._index';
import { action as signupAction } from '~/routes/signup';
import { loader as helloLoader } from '~/routes/api.v1.hello';
import { cookieFrom, formRequest, getRequest, settle } from '../helpers/requests';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  await ensureCatalog();
});
afterAll(async () => {
  await h?.close();
});

const newUser = (name = 'Buyer') => createUser({ name, email: `billing-${Date.now()}-${n++}@example.com`, password: 'billing-password-1' });
const nonce = () => `nonce-${Date.now()}-${n++}`;

/** What the browser does with the client secret: confirm with a test card. */
async function confirmInBrowser(step: { intentType: 'payment' | 'setup'; clientSecret: string }, paymentMethod = 'pm_card_visa') {
  const id = step.clientSecret.split('_secret_')[0]!;
  if (step.intentType === 'payment') return h.stripe.paymentIntents.confirm(id, { payment_method: paymentMethod });
  return h.stripe.setupIntents.confirm(id, { payment_method: paymentMethod });
}

async function subscribed(userId: string, plan: 'starter' | 'pro' | 'team' = 'starter') {
  const result = await startSubscription({ userId, planKey: plan, interval: 'month', nonce: nonce() });
  if (result.kind !== 'needs_payment') throw new Error('expected a payment step');
  await confirmInBrowser(result.step);
  await completeSubscription({ userId });
  return getBillingState({ userId }).subscription!;
}

describe('ensureStripeCustomer', () => {
  it('creates exactly one customer when called concurrently', async () => {
    const user = await newUser();
    const ids = await Promise.all(Array.from({ length: 5 }, () => ensureStripeCustomer({ userId: user.id })));
    expect(new Set(ids).size).toBe(1);
    const { data } = await h.stripe.customers.list({ email: user.email });
    expect(data.map((c) => c.id)).toEqual([ids[0]]);
    expect(data[0]!.metadata).toEqual({ userId: user.id });
    expect(db().select().from(users).where(eq(users.id, user.id)).get()!.stripeCustomerId).toBe(ids[0]);
    // and later calls reuse it without calling Stripe
    const mark = await h.mark();
    expect(await ensureStripeCustomer({ userId: user.id })).toBe(ids[0]);
    expect(await h.requestsSince(mark)).toEqual([]);
  });
});

describe('subscribe and manage', () => {
  it('starts incomplete, becomes active after the payment, and mirrors at once', async () => {
    const user = await newUser();
    const result = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    expect(result).toMatchObject({
      kind: 'needs_payment',
      step: { intentType: 'payment', amountDue: 1200, currency: 'usd', resumed: false },
    });
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('incomplete');
    if (result.kind !== 'needs_payment') return;
    await confirmInBrowser(result.step);
    await completeSubscription({ userId: user.id });
    const state = getBillingState({ userId: user.id });
    expect(state.subscription).toMatchObject({ status: 'active', priceLookupKey: 'starter_monthly', quantity: 1 });
    expect(state.defaultPaymentMethod).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(state.invoices[0]).toMatchObject({ status: 'paid', amountPaid: 1200 });
    expect(entitlementOf(user.id)).toMatchObject({ access: 'full', plan: 'starter', reason: 'active' });
  });

  it('refuses a second subscription and resumes an unfinished one', async () => {
    const user = await newUser();
    const first = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    const again = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    expect(again).toMatchObject({ kind: 'needs_payment', step: { resumed: true } });
    if (first.kind !== 'needs_payment' || again.kind !== 'needs_payment') throw new Error('expected steps');
    expect(again.step.clientSecret).toBe(first.step.clientSecret);
    // changing plan midway drops the unfinished attempt
    const other = await startSubscription({ userId: user.id, planKey: 'team', interval: 'year', seats: 3, nonce: nonce() });
    expect(other).toMatchObject({ kind: 'needs_payment', step: { amountDue: 45000, resumed: false } });
    const { data } = await h.stripe.subscriptions.list({ customer: getBillingState({ userId: user.id }).customer!.id, status: 'all' });
    expect(data.map((s) => s.status).sort()).toEqual(['canceled', 'incomplete']);
    if (other.kind !== 'needs_payment') return;
    await confirmInBrowser(other.step);
    await completeSubscription({ userId: user.id });
    await expect(startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() })).rejects.toMatchObject({
      code: 'already_subscribed',
      status: 409,
    });
  });

  it('cancels subscriptions left incomplete for more than a day', async () => {
    const user = await newUser();
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    expect(started.kind).toBe('needs_payment');
    const subId = getBillingState({ userId: user.id }).subscription!.id;
    expect(await cancelAbandonedIncomplete()).toBe(0); // not a day old yet
    clock.advance(24 * 3600 * 1000 + 60_000);
    try {
      expect(await cancelAbandonedIncomplete()).toBeGreaterThanOrEqual(1);
    } finally {
      clock.reset();
    }
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('canceled');
    expect(getBillingState({ userId: user.id }).subscriptions.find((s) => s.id === subId)?.status).toBe('canceled');
    // and the user can start afresh
    expect(await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() })).toMatchObject({
      kind: 'needs_payment',
      step: { resumed: false },
    });
  });

  it('never cancels or duplicates a subscription that was paid while the mirror lagged', async () => {
    const user = await newUser();
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    if (started.kind !== 'needs_payment') throw new Error('expected a step');
    // Paid in the browser, but the tab closed before telling us (no completeSubscription, no webhook).
    await confirmInBrowser(started.step);
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('incomplete');
    // Picking another plan, or "Finish payment" again, must neither cancel it nor start a second one.
    await expect(startSubscription({ userId: user.id, planKey: 'pro', interval: 'month', nonce: nonce() })).rejects.toMatchObject({
      code: 'already_subscribed',
    });
    await expect(startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() })).rejects.toMatchObject({
      code: 'already_subscribed',
    });
    const { data } = await h.stripe.subscriptions.list({ customer: getBillingState({ userId: user.id }).customer!.id, status: 'all' });
    expect(data.map((s) => s.status)).toEqual(['active']);
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('active');
  });

  it('the sweep leaves alone an old "incomplete" row that Stripe says is paid', async () => {
    const user = await newUser();
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    if (started.kind !== 'needs_payment') throw new Error('expected a step');
    await confirmInBrowser(started.step);
    const subId = getBillingState({ userId: user.id }).subscription!.id;
    clock.advance(24 * 3600 * 1000 + 60_000);
    try {
      await cancelAbandonedIncomplete();
    } finally {
      clock.reset();
    }
    expect((await h.stripe.subscriptions.retrieve(subId)).status).toBe('active');
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ id: subId, status: 'active' });
  });

  it('pausing collection: no credit for cancel-now, and resume brings billing back', async () => {
    const user = await newUser();
    const sub = await subscribed(user.id, 'starter');
    await h.stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    await completeSubscription({ userId: user.id }); // a sync, as the webhook would do
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ pauseBehavior: 'void' });
    expect(previewCancelNow({ userId: user.id })).toMatchObject({ credit: 0 });
    expect(entitlementOf(user.id)).toMatchObject({ access: 'none', reason: 'collection_paused' });
    await resumeSubscription({ userId: user.id, nonce: nonce() });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ pauseBehavior: null, status: 'active' });
    expect(entitlementOf(user.id)).toMatchObject({ access: 'full' });
    await expect(resumeSubscription({ userId: user.id, nonce: nonce() })).rejects.toMatchObject({ code: 'not_allowed_in_state' });
  });

  it('serialises concurrent subscribes of one user into one subscription', async () => {
    const user = await newUser();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() })),
    );
    const secrets = new Set(results.map((r) => (r.kind === 'needs_payment' ? r.step.clientSecret : 'none')));
    expect(secrets.size).toBe(1);
    const { data } = await h.stripe.subscriptions.list({ customer: getBillingState({ userId: user.id }).customer!.id, status: 'all' });
    expect(data).toHaveLength(1);
  });

  it('declines leave the subscription incomplete and a second card completes it', async () => {
    const user = await newUser();
    const result = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    if (result.kind !== 'needs_payment') throw new Error('expected a step');
    await expect(confirmInBrowser(result.step, 'pm_card_chargeDeclinedInsufficientFunds')).rejects.toMatchObject({
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
    await completeSubscription({ userId: user.id });
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('incomplete');
    expect(entitlementOf(user.id)).toMatchObject({ access: 'none', reason: 'incomplete' });
    await confirmInBrowser(result.step, 'pm_card_visa');
    await completeSubscription({ userId: user.id });
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('active');
  });

  it('cancels at period end with a reason, reactivates, then cancels now with the credit previewed', async () => {
    const user = await newUser();
    const sub = await subscribed(user.id, 'pro');
    // Pro has a trial for a new account: the trial has no paid time to credit.
    expect(sub.status).toBe('trialing');
    await cancelAtPeriodEnd({ userId: user.id, nonce: nonce(), reason: 'too_expensive' });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ cancelAtPeriodEnd: true, status: 'trialing' });
    expect(db().select().from(cancellationReasons).where(eq(cancellationReasons.userId, user.id)).all()).toMatchObject([
      { reason: 'too_expensive', subscriptionId: sub.id },
    ]);
    await reactivateSubscription({ userId: user.id, nonce: nonce() });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ cancelAtPeriodEnd: false });
    await expect(reactivateSubscription({ userId: user.id, nonce: nonce() })).rejects.toMatchObject({ code: 'not_allowed_in_state' });
    expect(previewCancelNow({ userId: user.id })).toMatchObject({ credit: 0 });
    await cancelNow({ userId: user.id, nonce: nonce() });
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('canceled');
    expect(entitlementOf(user.id)).toMatchObject({ access: 'none', reason: 'ended' });
  });

  it('previews the cancel-now credit as Stripe prorates it', async () => {
    const user = await newUser();
    await subscribed(user.id, 'starter');
    const preview = previewCancelNow({ userId: user.id })!;
    // Right after paying, almost the whole month is unused: within a cent or two of the full price.
    expect(preview.currency).toBe('usd');
    expect(preview.credit).toBeGreaterThan(1195);
    expect(preview.credit).toBeLessThanOrEqual(1200);
  });
});

describe('trials', () => {
  // Every test here uses the same test card; start each with no card on record.
  beforeEach(() => {
    db().delete(trialFingerprints).run();
  });

  it('gives one trial per account', async () => {
    const user = await newUser();
    const trial = await startSubscription({ userId: user.id, planKey: 'pro', interval: 'month', nonce: nonce() });
    expect(trial).toMatchObject({ kind: 'needs_payment', step: { intentType: 'setup', amountDue: 0 } });
    if (trial.kind !== 'needs_payment') return;
    await confirmInBrowser(trial.step);
    await completeSubscription({ userId: user.id });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ status: 'trialing' });
    expect(db().select().from(users).where(eq(users.id, user.id)).get()!.hasHadTrial).toBe(true);
    await cancelNow({ userId: user.id, nonce: nonce() });
    const second = await startSubscription({ userId: user.id, planKey: 'pro', interval: 'month', nonce: nonce() });
    expect(second).toMatchObject({ kind: 'needs_payment', step: { intentType: 'payment', amountDue: 4900 } });
  });

  it('ends the trial at once when the card already had a trial on another account', async () => {
    const alice = await newUser('Alice');
    const mallory = await newUser('Mallory');
    for (const [user, expected] of [
      [alice, { notice: null, status: 'trialing' }],
      [mallory, { notice: 'This card has already been used for a free trial, so your subscription starts today.', status: 'active' }],
    ] as const) {
      const trial = await startSubscription({ userId: user.id, planKey: 'pro', interval: 'month', nonce: nonce() });
      if (trial.kind !== 'needs_payment') throw new Error('expected setup');
      await confirmInBrowser(trial.step, 'pm_card_visa');
      expect(await completeSubscription({ userId: user.id })).toEqual(expected);
    }
    expect(getBillingState({ userId: alice.id }).subscription?.status).toBe('trialing');
    const m = getBillingState({ userId: mallory.id });
    expect(m.subscription?.status).toBe('active');
    expect(m.invoices.find((i) => i.status === 'paid' && i.amountPaid === 4900)).toBeTruthy();
  });
});

describe('trials by webhook', () => {
  it('applies the one-trial-per-card rule when the card arrives by webhook only (tab closed)', async () => {
    db().delete(trialFingerprints).run();
    // This file ran without a worker so far: leave the earlier tests' events out of this one.
    db().update(stripeEvents).set({ status: 'ignored' }).where(eq(stripeEvents.status, 'pending')).run();
    const worker = h.newWorker();
    worker.start();
    try {
      const alice = await newUser('Alice');
      const mallory = await newUser('Mallory');
      for (const user of [alice, mallory]) {
        const trial = await startSubscription({ userId: user.id, planKey: 'pro', interval: 'month', nonce: nonce() });
        if (trial.kind !== 'needs_payment') throw new Error('expected setup');
        await confirmInBrowser(trial.step, 'pm_card_mastercard');
        // no completeSubscription: only the webhooks tell the app
        await waitFor(() => getBillingState({ userId: user.id }).subscription?.defaultPaymentMethodId, {
          what: 'card mirrored by webhook',
        });
        if (user === alice) await waitFor(() => db().select().from(trialFingerprints).all().length === 1, { what: 'fingerprint recorded' });
      }
      await waitFor(() => getBillingState({ userId: mallory.id }).subscription?.status === 'active', {
        what: 'mallory trial ended',
        timeoutMs: 20_000,
      });
      expect(getBillingState({ userId: alice.id }).subscription?.status).toBe('trialing');
    } finally {
      await worker.stop();
    }
  });
});

describe('owner scoping', () => {
  it('a user can neither see nor act on another user’s billing objects', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const aliceSub = await subscribed(alice.id, 'starter');
    const aliceInvoice = getBillingState({ userId: alice.id }).invoices[0]!;
    expect(getInvoice({ userId: bob.id, invoiceId: aliceInvoice.id })).toBeNull();
    expect(getBillingState({ userId: bob.id }).subscription).toBeNull();
    await expect(cancelAtPeriodEnd({ userId: bob.id, nonce: nonce() })).rejects.toMatchObject({ code: 'no_subscription' });
    await expect(cancelNow({ userId: bob.id, nonce: nonce() })).rejects.toMatchObject({ code: 'no_subscription' });
    expect(getBillingState({ userId: alice.id }).subscription).toMatchObject({
      id: aliceSub.id,
      status: 'active',
      cancelAtPeriodEnd: false,
    });
  });

  it('ignores Stripe ids sent by the browser', async () => {
    const alice = await newUser('Alice');
    const aliceSub = await subscribed(alice.id, 'starter');
    const signup = await settle(() =>
      signupAction({
        request: formRequest('/signup', { name: 'Eve', email: `eve-${Date.now()}@example.com`, password: 'eve-password-1' }),
        params: {},
        context: {},
      }),
    );
    const eve = cookieFrom(signup.response!);
    const forged = await settle(() =>
      billingAction({
        request: formRequest(
          '/billing?index',
          { intent: 'cancel_now', nonce: nonce(), subscription: aliceSub.id, customer: aliceSub.customerId },
          { cookie: eve },
        ),
        params: {},
        context: {},
      }),
    );
    expect(forged.response?.status).toBe(404);
    expect(forged.data).toMatchObject({ ok: false, error: 'You have no active subscription.' });
    expect((await h.stripe.subscriptions.retrieve(aliceSub.id)).status).toBe('active');
  });

  it('answers bad billing input with 400 and a message', async () => {
    const signup = await settle(() =>
      signupAction({
        request: formRequest('/signup', { name: 'Val', email: `val-${Date.now()}@example.com`, password: 'val-password-1' }),
        params: {},
        context: {},
      }),
    );
    const cookie = cookieFrom(signup.response!);
    for (const [fields, message] of [
      [{ intent: 'subscribe', plan: 'enterprise', interval: 'month', nonce: nonce() }, 'Choose one of the plans shown.'],
      [{ intent: 'subscribe', plan: 'team', interval: 'month', seats: '0', nonce: nonce() }, 'At least 1 seat.'],
      [{ intent: 'subscribe', plan: 'team', interval: 'month', seats: 'many', nonce: nonce() }, 'Enter a number of seats.'],
      [{ intent: 'subscribe', plan: 'starter', interval: 'month', nonce: '<script>' }, 'Reload the page and try again.'],
      [{ intent: 'launch-missiles' }, expect.any(String)],
    ] as const) {
      const out = await settle(() =>
        billingAction({ request: formRequest('/billing?index', fields as Record<string, string>, { cookie }), params: {}, context: {} }),
      );
      expect(out.response?.status).toBe(400);
      expect(out.data).toMatchObject({ ok: false, error: message });
    }
  });
});

describe('the demo API follows the subscription', () => {
  it('answers 402 without access and 200 with it', async () => {
    const user = await newUser('Api User');
    const { key } = createApiKey({ userId: user.id, name: 'k' });
    const call = () =>
      helloLoader({ request: getRequest('/api/v1/hello', { headers: { Authorization: `Bearer ${key}` } }), params: {}, context: {} });
    const denied = await call();
    expect(denied.status).toBe(402);
    expect(await denied.json()).toEqual({
      error: { type: 'payment_required', code: 'no_subscription', message: 'You have no subscription. Choose a plan on the Billing page.' },
    });
    await subscribed(user.id, 'starter');
    const ok = await call();
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ plan: 'starter', access: 'full' });
  });
});
