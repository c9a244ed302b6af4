/**
 * Saved cards against the emulator: add with a SetupIntent, make default (customer and subscription),
 * remove — never the card that pays for an active subscription — and card ids of others refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { ensureCatalog } from '~/billing/catalog.server';
import { completeAddCard, listCards, makeDefaultCard, removeCard, startAddCard } from '~/billing/payment-methods.server';
import { getBillingState } from '~/billing/queries.server';
import { completeSubscription, startSubscription } from '~/billing/subscriptions.server';
import { clock } from '~/lib/clock.server';
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

const newUser = () => createUser({ name: 'Card Holder', email: `cards-${Date.now()}-${n++}@example.com`, password: 'cards-password-1' });
const nonce = () => `cards-nonce-${Date.now()}-${n++}`;

async function addCard(userId: string, pm: string) {
  const step = await startAddCard({ userId, nonce: nonce() });
  await h.stripe.setupIntents.confirm(step.clientSecret.split('_secret_')[0]!, { payment_method: pm });
  await completeAddCard({ userId });
}

describe('payment methods', () => {
  it('adds cards, makes the first the default, switches the default on customer and subscription, removes the old one', async () => {
    const user = await newUser();
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce() });
    if (started.kind !== 'needs_payment') throw new Error('expected a payment step');
    await h.stripe.paymentIntents.confirm(started.step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const [first] = listCards({ userId: user.id });
    expect(first).toMatchObject({ brand: 'visa', last4: '4242', isDefault: true, locked: true });

    // The only default card of an active paid subscription cannot go.
    await expect(removeCard({ userId: user.id, cardId: first!.id, nonce: nonce() })).rejects.toMatchObject({
      status: 409,
      message: 'This card pays for your subscription, so it cannot be removed. Add another card and make it the default first.',
    });

    await addCard(user.id, 'pm_card_mastercard');
    const cards = listCards({ userId: user.id });
    expect(cards).toHaveLength(2);
    const second = cards.find((c) => c.brand === 'mastercard')!;
    expect(second.isDefault).toBe(false);

    await makeDefaultCard({ userId: user.id, cardId: second.id, nonce: nonce() });
    const state = getBillingState({ userId: user.id });
    expect(state.customer?.defaultPaymentMethodId).toBe(second.id);
    expect(state.subscription?.defaultPaymentMethodId).toBe(second.id);
    const sub = await h.stripe.subscriptions.retrieve(state.subscription!.id);
    expect(sub.default_payment_method).toBe(second.id);

    await removeCard({ userId: user.id, cardId: first!.id, nonce: nonce() });
    expect(listCards({ userId: user.id }).map((c) => c.id)).toEqual([second.id]);
    expect((await h.stripe.paymentMethods.retrieve(first!.id)).customer).toBeNull();
  });

  it('makes a first card the default and marks cards that expire within 30 days', async () => {
    const user = await newUser();
    await addCard(user.id, 'pm_card_visa');
    const [card] = listCards({ userId: user.id });
    expect(card).toMatchObject({ isDefault: true, locked: false, expiresSoon: false });
    // Move the app's clock to 20 days before the end of the card's expiry month.
    const end = Date.UTC(card!.expYear!, card!.expMonth!, 1);
    const offset = end - 20 * 86_400_000 - clock.nowMs();
    clock.advance(offset);
    try {
      expect(listCards({ userId: user.id })[0]).toMatchObject({ expiresSoon: true, expired: false });
    } finally {
      clock.advance(-offset);
    }
  });

  it('refuses card ids that are not the user’s', async () => {
    const alice = await newUser();
    const eve = await newUser();
    await addCard(alice.id, 'pm_card_visa');
    const [aliceCard] = listCards({ userId: alice.id });
    await expect(makeDefaultCard({ userId: eve.id, cardId: aliceCard!.id, nonce: nonce() })).rejects.toMatchObject({ status: 404 });
    await expect(removeCard({ userId: eve.id, cardId: aliceCard!.id, nonce: nonce() })).rejects.toMatchObject({ status: 404 });
    expect(listCards({ userId: alice.id })).toHaveLength(1);
  });
});
