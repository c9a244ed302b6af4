/**
 * A refund of a credit pack made in Stripe (here: the emulator, through the SDK, as the dashboard
 * would): the `charge.refunded` webhook takes back the pack's unspent credits exactly once, also when
 * it is delivered again, and the receipt shows Refunded or Partially refunded on /billing/invoices.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUserByEmail } from '~/auth/users.server';
import { ensureCatalog } from '~/billing/catalog.server';
import { completeCreditPackPurchase, creditsOverview, startCreditPackPurchase } from '~/billing/payments.server';
import { db } from '~/db/client.server';
import { stripeEvents, webhookEffects } from '~/db/schema';
import { loader as historyLoader } from '~/routes/billing.invoices._index';
import { action as signupAction } from '~/routes/signup';
import { cookieFrom, formRequest, getRequest, settle } from '../helpers/requests';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness();
  await ensureCatalog();
});
afterAll(async () => {
  await h?.close();
});

async function signedUp() {
  const email = `refund-${Date.now()}-${n++}@example.com`;
  const signup = await settle(() =>
    signupAction({
      request: formRequest('/signup', { name: 'Refund Buyer', email, password: 'refund-password-1' }),
      params: {},
      context: {},
    }),
  );
  return { user: getUserByEmail(email)!, cookie: cookieFrom(signup.response!) };
}

/** Buys a pack as the page does (PaymentIntent confirmed with 4242, then the page's confirmation). */
async function buyPack(userId: string): Promise<string> {
  const step = await startCreditPackPurchase({ userId, nonce: `refund-nonce-${Date.now()}-${n++}` });
  const piId = step.clientSecret.split('_secret_')[0]!;
  await h.stripe.paymentIntents.confirm(piId, { payment_method: 'pm_card_visa' });
  await completeCreditPackPurchase({ userId, clientSecret: step.clientSecret });
  return piId;
}

const revokesOf = (piId: string) =>
  db()
    .select()
    .from(webhookEffects)
    .where(and(eq(webhookEffects.kind, 'credit_revoke'), sql`json_extract(${webhookEffects.data}, '$.paymentIntent') = ${piId}`))
    .all();

const revokedCredits = (piId: string) => revokesOf(piId).reduce((sum, r) => sum + Number((r.data as { credits: number }).credits), 0);

/** The history page as the browser gets it: the loader with the user's session. */
async function historyPage(cookie: string) {
  const out = await settle(() => historyLoader({ request: getRequest('/billing/invoices', { cookie }), params: {}, context: {} }));
  expect(out.response?.status ?? 200).toBe(200);
  return (out.data as { history: { entries: { id: string; kind: string; description: string; badge: { label: string } }[] } }).history
    .entries;
}

async function deliveriesDone() {
  await waitFor(async () => (await h.control<{ pending: number }>('GET', '/webhooks/deliveries')).pending === 0, {
    what: 'deliveries done',
    timeoutMs: 15_000,
  });
}

async function allProcessed(ids: string[]) {
  await waitFor(
    () => {
      const rows = db().select({ status: stripeEvents.status }).from(stripeEvents).where(inArray(stripeEvents.id, ids)).all();
      return rows.length === ids.length && rows.every((r) => r.status === 'processed' || r.status === 'ignored');
    },
    { what: 'events processed', timeoutMs: 15_000 },
  );
}

async function refundedEvents(piId: string) {
  const { data } = await h.stripe.events.list({ type: 'charge.refunded', limit: 100 });
  return data.filter((e) => (e.data.object as { payment_intent?: string }).payment_intent === piId);
}

describe('a refund made in Stripe', () => {
  it('takes back the refunded pack’s credits once, even when the webhook comes again, and shows it as Refunded', async () => {
    const { user, cookie } = await signedUp();
    const kept = await buyPack(user.id);
    const refunded = await buyPack(user.id);
    expect(creditsOverview({ userId: user.id }).credits).toBe(10_000);

    const refund = await h.stripe.refunds.create({ payment_intent: refunded, reason: 'requested_by_customer' });
    expect(refund).toMatchObject({ status: 'succeeded', amount: 2500 });
    await waitFor(() => revokesOf(refunded).length > 0, { what: 'the refund webhook handled', timeoutMs: 15_000 });

    // The same webhook, three more times: nothing more is taken.
    const events = await refundedEvents(refunded);
    expect(events).toHaveLength(1);
    await h.control('POST', '/webhooks/redeliver', { events: events.map((e) => e.id), duplicate: 3, shuffle: true });
    await deliveriesDone();
    await allProcessed(events.map((e) => e.id));

    expect(revokedCredits(refunded)).toBe(5000);
    expect(revokesOf(kept)).toHaveLength(0);
    const overview = creditsOverview({ userId: user.id });
    expect(overview.credits).toBe(5000);
    const badges = Object.fromEntries(overview.purchases.map((p) => [p.id, p.badge.label]));
    expect(badges).toEqual({ [kept]: 'Paid', [refunded]: 'Refunded' });

    // Both packs were bought in the same second: their order on the page is a tie, so compare them by id.
    const entries = await historyPage(cookie);
    const byId = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!);
    expect(entries.map((e) => [e.id, e.description, e.badge.label]).sort(byId)).toEqual(
      [
        [refunded, 'Credit pack', 'Refunded'],
        [kept, 'Credit pack', 'Paid'],
      ].sort(byId),
    );
  });

  it('takes back a share of the pack for a partial refund, and the rest with the rest of the money', async () => {
    const { user, cookie } = await signedUp();
    const pi = await buyPack(user.id);
    expect(creditsOverview({ userId: user.id }).credits).toBe(5000);

    await h.stripe.refunds.create({ payment_intent: pi, amount: 1000 }); // $10 of $25: 2,000 of 5,000 credits
    await waitFor(() => revokedCredits(pi) === 2000, { what: 'the partial refund handled', timeoutMs: 15_000 });
    expect(creditsOverview({ userId: user.id }).credits).toBe(3000);
    expect((await historyPage(cookie)).map((e) => e.badge.label)).toEqual(['Partially refunded']);

    await h.stripe.refunds.create({ payment_intent: pi });
    await waitFor(() => revokedCredits(pi) === 5000, { what: 'the second refund handled', timeoutMs: 15_000 });
    await deliveriesDone();
    const events = await refundedEvents(pi);
    expect(events).toHaveLength(2);
    // Both webhooks again, shuffled: the credits taken back stay at the pack's 5,000.
    await h.control('POST', '/webhooks/redeliver', { events: events.map((e) => e.id), duplicate: 2, shuffle: true });
    await deliveriesDone();
    await allProcessed(events.map((e) => e.id));
    expect(revokedCredits(pi)).toBe(5000);
    expect(creditsOverview({ userId: user.id }).credits).toBe(0);
    expect((await historyPage(cookie)).map((e) => e.badge.label)).toEqual(['Refunded']);
  });
});
