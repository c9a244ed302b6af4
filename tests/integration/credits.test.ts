/**
 * The credit pack against the emulator, its webhooks and the worker: the credits are granted exactly
 * once whichever comes first (the page's confirmation or the webhook), when the webhook is delivered
 * several times, shuffled, or late; a declined purchase grants nothing.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { ensureCatalog } from '~/billing/catalog.server';
import { completeCreditPackPurchase, creditsOverview, startCreditPackPurchase } from '~/billing/payments.server';
import { invoiceHistory } from '~/billing/invoices.server';
import { db } from '~/db/client.server';
import { stripeEvents, webhookEffects } from '~/db/schema';
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

const newUser = () =>
  createUser({ name: 'Credit Buyer', email: `credits-${Date.now()}-${n++}@example.com`, password: 'credits-password-1' });
const nonce = () => `credits-nonce-${Date.now()}-${n++}`;
const grantsFor = (pi: string) =>
  db()
    .select()
    .from(webhookEffects)
    .where(and(eq(webhookEffects.key, `credit-grant:${pi}`)))
    .all();

/** What Stripe.js does in the page: confirm the PaymentIntent with a card. */
const confirmInBrowser = (clientSecret: string, paymentMethod = 'pm_card_visa') =>
  h.stripe.paymentIntents.confirm(clientSecret.split('_secret_')[0]!, { payment_method: paymentMethod });

async function eventsOf(piId: string) {
  const { data } = await h.stripe.events.list({ limit: 100 });
  return data.filter(
    (e) =>
      (e.data.object as { id?: string; payment_intent?: string }).id === piId ||
      (e.data.object as { payment_intent?: string }).payment_intent === piId,
  );
}

async function allProcessed(ids: string[]) {
  await waitFor(
    () => {
      const rows = db()
        .select({ status: stripeEvents.status })
        .from(stripeEvents)
        .where(sql`${stripeEvents.id} in ${ids}`)
        .all();
      return rows.length === ids.length && rows.every((r) => r.status === 'processed' || r.status === 'ignored');
    },
    { what: 'events processed', timeoutMs: 30_000 },
  );
}

async function deliveriesDone() {
  await waitFor(async () => (await h.control<{ pending: number }>('GET', '/webhooks/deliveries')).pending === 0, {
    what: 'deliveries done',
    timeoutMs: 30_000,
  });
}

describe('the credit pack', () => {
  it('grants once when the page confirms first and the webhooks arrive late, twice and shuffled', async () => {
    const user = await newUser();
    await h.worker.stop(); // the webhooks wait in the inbox: "delayed"
    try {
      const step = await startCreditPackPurchase({ userId: user.id, nonce: nonce() });
      expect(step).toMatchObject({ intentType: 'payment', amountDue: 2500, currency: 'usd' });
      const pi = await confirmInBrowser(step.clientSecret);
      expect(pi.status).toBe('succeeded');
      const done = await completeCreditPackPurchase({ userId: user.id, clientSecret: step.clientSecret });
      expect(done).toEqual({ status: 'succeeded', credits: 5000 });
      // The page asked again (a double click): nothing more.
      expect((await completeCreditPackPurchase({ userId: user.id, clientSecret: step.clientSecret })).credits).toBe(5000);

      // Now the webhooks: every event of this payment delivered 3 more times, shuffled.
      const events = await eventsOf(pi.id);
      expect(events.map((e) => e.type)).toContain('payment_intent.succeeded');
      await h.control('POST', '/webhooks/redeliver', { events: events.map((e) => e.id), duplicate: 3, shuffle: true });
      await deliveriesDone();
    } finally {
      h.newWorker().start();
    }
    const ids = (await eventsOf(creditsOverview({ userId: user.id }).purchases[0]!.id)).map((e) => e.id);
    await allProcessed(ids);
    const overview = creditsOverview({ userId: user.id });
    expect(overview.credits).toBe(5000);
    expect(grantsFor(overview.purchases[0]!.id)).toHaveLength(1);
    expect(overview.purchases).toMatchObject([{ name: 'Credit pack', amount: 2500, badge: { label: 'Paid' } }]);
    // The receipt is in the history as "Credit pack".
    expect(invoiceHistory({ userId: user.id, status: null, cursor: null }).entries).toMatchObject([
      { kind: 'payment', description: 'Credit pack', amount: 2500, badge: { label: 'Paid' } },
    ]);
  });

  it('grants once when the webhook comes first, then the page confirms', async () => {
    const user = await newUser();
    const step = await startCreditPackPurchase({ userId: user.id, nonce: nonce() });
    const pi = await confirmInBrowser(step.clientSecret);
    await waitFor(() => grantsFor(pi.id).length === 1, { what: 'the webhook grant', timeoutMs: 30_000 });
    expect((await completeCreditPackPurchase({ userId: user.id, clientSecret: step.clientSecret })).credits).toBe(5000);
    // A second pack is a second grant.
    const again = await startCreditPackPurchase({ userId: user.id, nonce: nonce() });
    expect(again.clientSecret).not.toBe(step.clientSecret);
    await confirmInBrowser(again.clientSecret);
    expect((await completeCreditPackPurchase({ userId: user.id, clientSecret: again.clientSecret })).credits).toBe(10_000);
    await waitFor(() => grantsFor(again.clientSecret.split('_secret_')[0]!).length === 1, { what: 'second grant recorded' });
    expect(creditsOverview({ userId: user.id }).credits).toBe(10_000);
  });

  it('uses the idempotency key of the click: the same nonce is the same PaymentIntent', async () => {
    const user = await newUser();
    const key = nonce();
    const [a, b] = await Promise.all([
      startCreditPackPurchase({ userId: user.id, nonce: key }),
      startCreditPackPurchase({ userId: user.id, nonce: key }),
    ]);
    expect(a.clientSecret).toBe(b.clientSecret);
  });

  it('grants nothing for a declined purchase', async () => {
    const user = await newUser();
    const step = await startCreditPackPurchase({ userId: user.id, nonce: nonce() });
    await expect(confirmInBrowser(step.clientSecret, 'pm_card_chargeDeclined')).rejects.toMatchObject({ type: 'StripeCardError' });
    const done = await completeCreditPackPurchase({ userId: user.id, clientSecret: step.clientSecret });
    expect(done).toEqual({ status: 'requires_payment_method', credits: 0 });
    const piId = step.clientSecret.split('_secret_')[0]!;
    await waitFor(async () => (await eventsOf(piId)).some((e) => e.type === 'payment_intent.payment_failed'), {
      what: 'payment_failed emitted',
    });
    await deliveriesDone();
    await allProcessed((await eventsOf(piId)).map((e) => e.id));
    expect(grantsFor(piId)).toHaveLength(0);
    expect(creditsOverview({ userId: user.id })).toMatchObject({ credits: 0, purchases: [{ badge: { label: 'Not paid' } }] });
  });

  it('refuses to confirm a purchase that is not the user’s', async () => {
    const alice = await newUser();
    const eve = await newUser();
    const step = await startCreditPackPurchase({ userId: alice.id, nonce: nonce() });
    await confirmInBrowser(step.clientSecret);
    await expect(completeCreditPackPurchase({ userId: eve.id, clientSecret: step.clientSecret })).rejects.toMatchObject({ status: 404 });
    expect(creditsOverview({ userId: eve.id }).credits).toBe(0);
  });
});
