/**
 * Webhooks end to end against the emulator over HTTP: Stripe → signed POST → intake (the server's
 * node route) → stripe_events → worker → one read per object → mirror + effects.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { db } from '~/db/client.server';
import { customers, outbox, stripeEvents, subscriptionItems, subscriptions, users, webhookEffects } from '~/db/schema';
import { requeueEvent } from '~/webhooks/worker.server';
import { signatureFor } from '../helpers/stripe-events';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';
import { allowConsoleError } from '../helpers/setup';

let h: Harness;
const event = (id: string) => db().select().from(stripeEvents).where(eq(stripeEvents.id, id)).get();
const eventsOf = (objectId: string) => db().select().from(stripeEvents).where(eq(stripeEvents.objectId, objectId)).all();

async function waitProcessed(ids: string[], what = 'events processed') {
  await waitFor(() => ids.length > 0 && ids.every((id) => event(id)?.status === 'processed'), { what });
}

/** The mirror row of a subscription compared with the emulator's object, field by field. */
async function expectSubscriptionMirrored(id: string) {
  const sub = await h.stripe.subscriptions.retrieve(id);
  const row = db().select().from(subscriptions).where(eq(subscriptions.id, id)).get();
  const items = db().select().from(subscriptionItems).where(eq(subscriptionItems.subscriptionId, id)).all();
  expect(row).toBeDefined();
  expect({
    status: row!.status,
    cancelAtPeriodEnd: row!.cancelAtPeriodEnd,
    cancelAt: row!.cancelAt?.getTime() ?? null,
    quantity: row!.quantity,
    priceId: row!.priceId,
    latestInvoiceId: row!.latestInvoiceId,
    metadata: row!.metadata,
    items: items.map((i) => [i.id, i.priceId, i.quantity, i.currentPeriodEnd?.getTime()]).sort(),
  }).toEqual({
    status: sub.status,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    cancelAt: sub.cancel_at ? sub.cancel_at * 1000 : null,
    quantity: sub.items.data[0]!.quantity,
    priceId: sub.items.data[0]!.price.id,
    latestInvoiceId: typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null),
    metadata: sub.metadata,
    items: sub.items.data.map((i) => [i.id, i.price.id, i.quantity, i.current_period_end * 1000]).sort(),
  });
}

async function eventIdsFor(objectId: string, types?: string[]): Promise<Stripe.Event[]> {
  const all: Stripe.Event[] = [];
  for await (const e of h.stripe.events.list({ limit: 100 })) {
    if ((e.data.object as { id?: string }).id === objectId && (!types || types.includes(e.type))) all.push(e);
  }
  return all;
}

async function postSigned(payload: string) {
  return fetch(`${h.appUrl}/webhooks/stripe`, {
    method: 'POST',
    body: payload,
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signatureFor(payload, h.secret) },
  });
}

describe('webhooks against the emulator', () => {
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await h.control('DELETE', '/faults');
  });

  it('stores a valid event once and processes it: the mirror equals Stripe’s object', async () => {
    db().insert(users).values({ id: 'usr_valid', email: 'valid@example.com', name: 'V', passwordHash: 'x' }).run();
    const customer = await h.stripe.customers.create(
      { email: 'valid@example.com', name: 'Valid', metadata: { user_id: 'usr_valid' } },
      { idempotencyKey: 'test:valid:customer' },
    );
    await waitFor(() => eventsOf(customer.id).some((e) => e.status === 'processed'), { what: 'customer.created processed' });
    const stored = eventsOf(customer.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ type: 'customer.created', status: 'processed', attempts: 1, lastError: null });
    expect(db().select().from(customers).where(eq(customers.id, customer.id)).get()).toMatchObject({
      email: 'valid@example.com',
      name: 'Valid',
      userId: 'usr_valid',
      deleted: false,
    });
  });

  it('processes an event delivered 5 times concurrently once, and its side effect happens once', async () => {
    await h.worker.stop();
    try {
      db().insert(users).values({ id: 'usr_credits', email: 'credits@example.com', name: 'C', passwordHash: 'x' }).run();
      const customer = await h.stripe.customers.create(
        { email: 'credits@example.com', metadata: { user_id: 'usr_credits' } },
        { idempotencyKey: 'test:dup:customer' },
      );
      db().update(users).set({ stripeCustomerId: customer.id }).where(eq(users.id, 'usr_credits')).run();
      const pi = await h.stripe.paymentIntents.create(
        {
          amount: 2500,
          currency: 'usd',
          customer: customer.id,
          payment_method: 'pm_card_visa',
          confirm: true,
          metadata: { kind: 'credit_pack', credits: '5000' },
        },
        { idempotencyKey: 'test:dup:credit-pack' },
      );
      expect(pi.status).toBe('succeeded');
      const [succeeded] = await eventIdsFor(pi.id, ['payment_intent.succeeded']);
      expect(succeeded).toBeDefined();
      await waitFor(() => event(succeeded!.id), { what: 'first delivery stored' });
      const { deliveries } = await h.control<{ deliveries: number }>('POST', '/webhooks/redeliver', {
        events: [succeeded!.id],
        duplicate: 5,
      });
      expect(deliveries).toBe(5);
      await waitFor(async () => (await h.control<{ pending: number }>('GET', '/webhooks/deliveries')).pending === 0, {
        what: 'deliveries done',
      });
      const attempts = (await h.control<{ data: { event: string; status: number }[] }>('GET', '/webhooks/deliveries')).data.filter(
        (d) => d.event === succeeded!.id,
      );
      expect(attempts.length).toBeGreaterThanOrEqual(6);
      expect(attempts.every((a) => a.status === 200)).toBe(true);
      expect(db().select().from(stripeEvents).where(eq(stripeEvents.id, succeeded!.id)).all()).toHaveLength(1);

      h.newWorker().start();
      await waitProcessed([succeeded!.id]);
      // Replay it (as an operator would) and run it again: the effect is already recorded.
      expect(requeueEvent(succeeded!.id)).toBe(true);
      await waitProcessed([succeeded!.id]);
      const effects = db()
        .select()
        .from(webhookEffects)
        .where(eq(webhookEffects.key, `credit-grant:${pi.id}`))
        .all();
      expect(effects).toHaveLength(1);
      expect(effects[0]).toMatchObject({
        kind: 'credit_grant',
        userId: 'usr_credits',
        data: { credits: 5000, amount: 2500, currency: 'usd' },
      });
      expect(
        db()
          .select()
          .from(outbox)
          .where(eq(outbox.dedupeKey, `email:payment-receipt:${pi.id}`))
          .all(),
      ).toHaveLength(1);
    } finally {
      if (!(h.worker as unknown as { running: boolean }).running) h.newWorker().start();
    }
  });

  it('leaves the mirror equal to the emulator’s subscription when its events arrive in reverse order', async () => {
    await h.worker.stop();
    const customer = await h.stripe.customers.create({ email: 'reverse@example.com' }, { idempotencyKey: 'test:reverse:customer' });
    const product = await h.stripe.products.create({ name: 'Reverse plan' }, { idempotencyKey: 'test:reverse:product' });
    const [p1, p2] = await Promise.all(
      [1000, 2000].map((amount) =>
        h.stripe.prices.create(
          { product: product.id, currency: 'usd', unit_amount: amount, recurring: { interval: 'month' } },
          { idempotencyKey: `test:reverse:price:${amount}` },
        ),
      ),
    );
    const sub = await h.stripe.subscriptions.create(
      {
        customer: customer.id,
        items: [{ price: p1!.id }],
        default_payment_method: (await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })).id,
      },
      { idempotencyKey: 'test:reverse:sub' },
    );
    await h.stripe.subscriptions.update(sub.id, { metadata: { step: '1' } }, { idempotencyKey: 'test:reverse:u1' });
    await h.stripe.subscriptions.update(
      sub.id,
      { items: [{ id: sub.items.data[0]!.id, price: p2!.id, quantity: 3 }], proration_behavior: 'none' },
      { idempotencyKey: 'test:reverse:u2' },
    );
    await h.stripe.subscriptions.update(
      sub.id,
      { cancel_at_period_end: true, metadata: { step: '3' } },
      { idempotencyKey: 'test:reverse:u3' },
    );
    const events = (await eventIdsFor(sub.id)).filter((e) => e.type.startsWith('customer.subscription.'));
    expect(events.length).toBeGreaterThanOrEqual(4);
    // Forget what the emulator delivered, then deliver newest first, processing each on its own.
    await waitFor(async () => (await h.control<{ pending: number }>('GET', '/webhooks/deliveries')).pending === 0, {
      what: 'deliveries done',
    });
    db()
      .delete(stripeEvents)
      .where(
        inArray(
          stripeEvents.id,
          events.map((e) => e.id),
        ),
      )
      .run();
    const worker = h.newWorker();
    const newestFirst = [...events].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    for (const e of newestFirst) {
      const res = await postSigned(JSON.stringify(e));
      expect(res.status).toBe(200);
      await worker.drain();
      expect(event(e.id)?.status).toBe('processed');
    }
    await expectSubscriptionMirrored(sub.id);
    expect(db().select().from(subscriptions).where(eq(subscriptions.id, sub.id)).get()).toMatchObject({
      quantity: 3,
      cancelAtPeriodEnd: true,
      metadata: { step: '3' },
    });
    worker.start();
  });

  it('retries a Stripe 500 and a 429 during processing, and succeeds later', async () => {
    const customer = await h.stripe.customers.create({ email: 'faults@example.com' }, { idempotencyKey: 'test:faults:customer' });
    await waitFor(() => eventsOf(customer.id).every((e) => e.status === 'processed') && eventsOf(customer.id).length > 0, {
      what: 'created',
    });
    // Three 500s exhaust the SDK's own retries (maxNetworkRetries 2), so the worker must retry.
    await h.control('POST', '/faults', { method: 'GET', path: `/v1/customers/${customer.id}`, status: 500, times: 3 });
    const mark = await h.mark();
    await h.stripe.customers.update(customer.id, { name: 'After 500' }, { idempotencyKey: 'test:faults:u1' });
    const updated = await waitFor(() => eventsOf(customer.id).find((e) => e.type === 'customer.updated'), {
      what: 'customer.updated stored',
    });
    const retried = await waitFor(() => (event(updated.id)?.lastError ? event(updated.id) : null), { what: 'a failed attempt recorded' });
    expect(retried!.lastError).toMatch(/500/);
    await waitProcessed([updated.id]);
    expect(event(updated.id)!.attempts).toBe(2);
    expect(db().select().from(customers).where(eq(customers.id, customer.id)).get()!.name).toBe('After 500');
    const reads = (await h.requestsSince(mark)).filter((r) => r.method === 'GET' && r.path === `/v1/customers/${customer.id}`);
    expect(reads.map((r) => r.status)).toEqual([500, 500, 500, 200]);

    await h.control('POST', '/faults', { method: 'GET', path: `/v1/customers/${customer.id}`, status: 429, times: 1 });
    await h.stripe.customers.update(customer.id, { name: 'After 429' }, { idempotencyKey: 'test:faults:u2' });
    const second = await waitFor(() => eventsOf(customer.id).find((e) => e.type === 'customer.updated' && e.id !== updated.id), {
      what: 'second update stored',
    });
    await waitProcessed([second.id]);
    expect(event(second.id)!.attempts).toBe(2);
    expect(db().select().from(customers).where(eq(customers.id, customer.id)).get()!.name).toBe('After 429');
  });

  it('marks an event failed after maxAttempts and keeps the error visible', async () => {
    await h.worker.stop();
    try {
      const worker = h.newWorker({ maxAttempts: 2, backoffMs: () => 0 });
      const customer = await h.stripe.customers.create({ email: 'dead@example.com' }, { idempotencyKey: 'test:dead:customer' });
      const created = await waitFor(() => eventsOf(customer.id)[0], { what: 'stored' });
      await h.control('POST', '/faults', { method: 'GET', path: `/v1/customers/${customer.id}`, status: 500 });
      allowConsoleError();
      await worker.drain();
      await worker.drain();
      expect(event(created.id)).toMatchObject({ status: 'failed', attempts: 2 });
      expect(event(created.id)!.lastError).toMatch(/500/);
    } finally {
      await h.control('DELETE', '/faults');
      h.newWorker().start();
    }
  });

  it('lets intake go first during a flood, and processes within maxYieldMs anyway', async () => {
    await h.worker.stop();
    const worker = h.newWorker({ yieldAboveRate: 20, maxYieldMs: 1_500 });
    worker.start();
    const customer = await h.stripe.customers.create({ email: 'flood@example.com' }, { idempotencyKey: 'test:flood' });
    const base = JSON.parse(JSON.stringify((await eventIdsFor(customer.id))[0]!)) as Stripe.Event;
    const ids: string[] = [];
    const started = Date.now();
    // Well above the yield rate (20/s): 60 deliveries at once, as a storm of retries arrives, so the
    // rate does not depend on how fast one request is answered on a busy machine.
    for (let i = 0; i < 60; i++) ids.push(`evt_flood_${i}_${started}`);
    const answers = await Promise.all(ids.map((id) => postSigned(JSON.stringify({ ...base, id }))));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    const floodEnded = Date.now();
    const processedDuringFlood = ids.filter((id) => event(id)?.status === 'processed').length;
    expect(floodEnded - started, 'the flood must outpace the yield rate').toBeLessThan(60 * 50);
    expect(processedDuringFlood).toBeLessThanOrEqual(10);
    await waitProcessed(ids, 'flood processed');
    // Processed once the flood stopped: the yield lasts at most maxYieldMs, then the 60 are worked off.
    expect(Date.now() - floodEnded).toBeLessThan(1_500 + 5_000);
  });

  it('resumes on start an event left between intake and processing by a killed process', async () => {
    await h.worker.stop();
    const a = await h.stripe.customers.create({ email: 'crash-a@example.com' }, { idempotencyKey: 'test:crash:a' });
    const b = await h.stripe.customers.create({ email: 'crash-b@example.com' }, { idempotencyKey: 'test:crash:b' });
    const ea = await waitFor(() => eventsOf(a.id)[0], { what: 'a stored' });
    const eb = await waitFor(() => eventsOf(b.id)[0], { what: 'b stored' });
    // a: stored, never claimed (killed right after the 200). b: claimed, killed mid-batch.
    db().update(stripeEvents).set({ status: 'processing', lockedAt: Date.now(), attempts: 1 }).where(eq(stripeEvents.id, eb.id)).run();
    expect(event(ea.id)!.status).toBe('pending');
    expect(
      db()
        .select()
        .from(customers)
        .where(inArray(customers.id, [a.id, b.id]))
        .all(),
    ).toHaveLength(0);
    h.newWorker().start();
    await waitProcessed([ea.id, eb.id]);
    expect(
      db()
        .select()
        .from(customers)
        .where(inArray(customers.id, [a.id, b.id]))
        .all(),
    ).toHaveLength(2);
  });

  it('answers the node route like the Remix route: 400 stores nothing, 413 above 1 MiB, 405, ignored types', async () => {
    const before = db().select().from(stripeEvents).all().length;
    const forged = await fetch(`${h.appUrl}/webhooks/stripe`, {
      method: 'POST',
      body: '{"id":"evt_x"}',
      headers: { 'Stripe-Signature': signatureFor('{"id":"evt_x"}', 'whsec_wrong') },
    });
    expect(forged.status).toBe(400);
    const big = await fetch(`${h.appUrl}/webhooks/stripe`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024 + 1),
      headers: { 'Stripe-Signature': 't=1,v1=00' },
    });
    expect(big.status).toBe(413);
    expect((await fetch(`${h.appUrl}/webhooks/stripe`)).status).toBe(405);
    const unknown = JSON.stringify({
      id: 'evt_unknown_type_1',
      object: 'event',
      type: 'issuing_card.created',
      created: 1,
      data: { object: { id: 'ic_1' } },
    });
    const res = await postSigned(unknown);
    expect(res.status).toBe(200);
    expect(event('evt_unknown_type_1')).toMatchObject({ status: 'ignored' });
    expect(db().select().from(stripeEvents).all().length).toBe(before + 1);
    expect(
      db()
        .select()
        .from(stripeEvents)
        .where(and(eq(stripeEvents.id, 'evt_x')))
        .all(),
    ).toHaveLength(0);
  });
});
