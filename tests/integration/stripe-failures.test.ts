/**
 * Stripe failing on an action's path (issue: hardening): whatever call fails, the action answers with
 * the "payment provider is not answering" message, never the error page; and why a user cancels is
 * written before the cancel is sent, keyed by its idempotency key.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { ensureCatalog } from '~/billing/catalog.server';
import { cancelAtPeriodEnd, completeSubscription, startSubscription } from '~/billing/subscriptions.server';
import { getBillingState } from '~/billing/queries.server';
import { db } from '~/db/client.server';
import { cancellationReasons } from '~/db/schema';
import { action as billingAction } from '~/routes/billing._index';
import { action as signupAction } from '~/routes/signup';
import { cookieFrom, formRequest, settle } from '../helpers/requests';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;
const nonce = () => `nonce-failures-${Date.now()}-${n++}`;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  await ensureCatalog();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.control('DELETE', '/faults');
});

async function signedUp() {
  const signup = await settle(() =>
    signupAction({
      request: formRequest('/signup', {
        name: 'First Timer',
        email: `failures-${Date.now()}-${n++}@example.com`,
        password: 'first-timer-pw-1',
      }),
      params: {},
      context: {},
    }),
  );
  return cookieFrom(signup.response!);
}

const UNAVAILABLE = /payment provider is not answering/;

describe('a Stripe read failing right after the customer is created', () => {
  for (const intent of ['subscribe', 'portal'] as const) {
    it(`answers the first ${intent} with the provider message, not a 500`, async () => {
      const cookie = await signedUp();
      // Creating the customer works; every read after it fails (more times than the SDK retries).
      await h.control('POST', '/faults', { method: 'GET', path: '/v1/*', status: 500, times: 50 });
      const fields: Record<string, string> =
        intent === 'subscribe' ? { intent, plan: 'starter', interval: 'month', nonce: nonce() } : { intent, nonce: nonce() };
      const out = await settle(() =>
        billingAction({ request: formRequest('/billing?index', fields, { cookie }), params: {}, context: {} }),
      );
      expect(out.response?.status).toBe(503);
      expect(out.data).toMatchObject({ ok: false, error: expect.stringMatching(UNAVAILABLE) });
    });
  }
});

describe('the cancellation reason', () => {
  async function subscribedUser() {
    const user = await createUser({ name: 'Leaver', email: `leaver-${Date.now()}-${n++}@example.com`, password: 'leaver-password-1' });
    const start = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    if (start.kind !== 'needs_payment') throw new Error('expected a payment step');
    await h.stripe.paymentIntents.confirm(start.step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    return user;
  }
  const reasonsOf = (userId: string) => db().select().from(cancellationReasons).where(eq(cancellationReasons.userId, userId)).all();

  it('is stored once per action, keyed by the idempotency key, also when the action is sent again', async () => {
    const user = await subscribedUser();
    const action = { userId: user.id, nonce: nonce(), reason: 'too_expensive' as const, comment: 'Too much for us' };
    await cancelAtPeriodEnd(action);
    await cancelAtPeriodEnd(action).catch(() => undefined); // the same action again (a retry after a timeout)
    const rows = reasonsOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason: 'too_expensive', comment: 'Too much for us' });
    expect(rows[0]!.idempotencyKey).toMatch(/^sub-cancel-at-period-end:sub_/);
    expect(getBillingState({ userId: user.id }).subscription?.cancelAtPeriodEnd).toBe(true);
  });

  it('stays when Stripe may have applied the cancel (no answer), and goes when Stripe refused it', async () => {
    const user = await subscribedUser();
    await h.control('POST', '/faults', { method: 'POST', path: '/v1/subscriptions/*', status: 500, times: 50 });
    await expect(cancelAtPeriodEnd({ userId: user.id, nonce: nonce(), reason: 'unused' })).rejects.toMatchObject({
      code: 'stripe_unavailable',
    });
    expect(reasonsOf(user.id).map((r) => r.reason)).toEqual(['unused']);

    await h.control('DELETE', '/faults');
    await h.control('POST', '/faults', { method: 'POST', path: '/v1/subscriptions/*', status: 400, times: 5 });
    await expect(cancelAtPeriodEnd({ userId: user.id, nonce: nonce(), reason: 'other' })).rejects.toMatchObject({
      code: 'not_allowed_in_state',
    });
    expect(reasonsOf(user.id).map((r) => r.reason)).toEqual(['unused']);
  });
});
