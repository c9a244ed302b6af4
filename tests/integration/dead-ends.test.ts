/**
 * No dead ends (issue 15), against the emulator over HTTP: leaving the card form cancels the unpaid
 * attempt in Stripe; a first invoice nobody tried to pay stays out of the history; a trial's $0 invoice
 * reads "Trial started"; the account credit shows on the overview and the next invoice; the portal
 * session names the configuration stripe:setup made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { ensureCatalog } from '~/billing/catalog.server';
import { invoiceHistory } from '~/billing/invoices.server';
import { getBillingOverview } from '~/billing/overview.server';
import { getBillingState } from '~/billing/queries.server';
import { abandonUnpaidAttempt, completeSubscription, createPortalSession, startSubscription } from '~/billing/subscriptions.server';
import { syncCustomer } from '~/billing/sync.server';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  await ensureCatalog();
});
afterAll(async () => {
  await h?.close();
});

const newUser = (name = 'Dead End') =>
  createUser({ name, email: `dead-end-${Date.now()}-${n++}@example.com`, password: 'dead-end-password-1' });
const nonce = () => `nonce-dead-end-${Date.now()}-${n++}`;

async function paymentStep(userId: string, planKey: 'starter' | 'pro' = 'starter') {
  const result = await startSubscription({ userId, planKey, interval: 'month', nonce: nonce() });
  if (result.kind !== 'needs_payment') throw new Error('expected a payment step');
  return result.step;
}

describe('the way back from the card form', () => {
  it('hides the unpaid first invoice until a payment is tried, then cancels the attempt and voids its invoice', async () => {
    const user = await newUser();
    const step = await paymentStep(user.id);
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('incomplete');
    expect(getBillingOverview({ userId: user.id }).invoices).toEqual([]);
    expect(invoiceHistory({ userId: user.id, status: null, cursor: null }).entries).toEqual([]);

    // A declined card: the invoice has had a payment attempt, so it is shown.
    const intentId = step.clientSecret.split('_secret_')[0]!;
    await expect(
      h.stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }),
    ).rejects.toThrow();
    const customerId = getBillingState({ userId: user.id }).customer!.id;
    await syncCustomer(customerId);
    expect(getBillingOverview({ userId: user.id }).invoices.map((i) => i.status)).toEqual(['open']);

    await abandonUnpaidAttempt({ userId: user.id });
    const { data } = await h.stripe.subscriptions.list({ customer: customerId, status: 'all' });
    expect(data.map((s) => s.status)).toEqual(['canceled']);
    const invoices = await h.stripe.invoices.list({ customer: customerId });
    expect(invoices.data.map((i) => i.status)).toEqual(['void']);
    expect(getBillingOverview({ userId: user.id }).subscription).toBeNull();
    // Again (a double click): nothing left to cancel, no error.
    await abandonUnpaidAttempt({ userId: user.id });
    // And a new plan can be chosen.
    expect((await paymentStep(user.id)).resumed).toBe(false);
  });

  it('gives the trial back when its card form is left before any card', async () => {
    const user = await newUser();
    const step = await paymentStep(user.id, 'pro');
    expect(step.intentType).toBe('setup');
    await abandonUnpaidAttempt({ userId: user.id });
    expect(getBillingOverview({ userId: user.id }).subscription).toBeNull();
    const again = await paymentStep(user.id, 'pro');
    expect(again.intentType).toBe('setup');
  });
});

describe('what the overview and the history say', () => {
  it('describes a trial’s $0 invoice as "Trial started"', async () => {
    const user = await newUser();
    const step = await paymentStep(user.id, 'pro');
    await h.stripe.setupIntents.confirm(step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const [entry] = invoiceHistory({ userId: user.id, status: null, cursor: null }).entries;
    expect(entry).toMatchObject({ amount: 0, description: 'Pro · Trial started' });
    expect(getBillingOverview({ userId: user.id }).invoices[0]).toMatchObject({ total: 0, trialStarted: true });
  });

  it('shows the account credit and what the next invoice takes from it', async () => {
    const user = await newUser();
    const step = await paymentStep(user.id);
    await h.stripe.paymentIntents.confirm(step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const customerId = getBillingState({ userId: user.id }).customer!.id;
    await h.stripe.customers.update(customerId, { balance: -500 });
    await syncCustomer(customerId);
    const overview = getBillingOverview({ userId: user.id });
    expect(overview.credit).toEqual({ amount: 500, currency: 'usd' });
    expect(overview.nextInvoice).toMatchObject({ amount: 700, credit: 500 });
  });
});

describe('the customer portal', () => {
  it('opens with the configuration stripe:setup manages, looked up once', async () => {
    const user = await newUser();
    const step = await paymentStep(user.id);
    await h.stripe.paymentIntents.confirm(step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const url = await createPortalSession({ userId: user.id, nonce: nonce() });
    const page = await (await fetch(url)).text();
    // Plan changes are on in the managed configuration (off in the account's default one).
    expect(page).toContain('Update plan');
    const mark = await h.mark();
    await createPortalSession({ userId: user.id, nonce: nonce() });
    const calls = await h.requestsSince(mark);
    expect(calls.filter((c) => c.path.startsWith('/v1/billing_portal/configurations'))).toEqual([]);
    expect(calls.filter((c) => c.path === '/v1/billing_portal/sessions')).toHaveLength(1);
  });
});
