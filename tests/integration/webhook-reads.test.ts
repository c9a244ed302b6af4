/**
 * The worker reads an object from Stripe again only for an event that may be newer than its last
 * read: an event created before the last read began (by Stripe's clock, the `Date` of its
 * responses), stored here before that read was sent, creating the object the read returned, or
 * carrying the very state the read holds, is applied from that read: the mirror is then as it would
 * be after a new read. Kept reads are deflated, so a read
 * larger than the memory allowed for them is still kept.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '~/db/client.server';
import { customers, stripeEvents } from '~/db/schema';
import { requeueEvent, type WebhookWorker } from '~/webhooks/worker.server';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let worker: WebhookWorker;
const eventsOf = (objectId: string) =>
  db().select().from(stripeEvents).where(eq(stripeEvents.objectId, objectId)).orderBy(stripeEvents.created).all();
const status = (id: string) => db().select({ status: stripeEvents.status }).from(stripeEvents).where(eq(stripeEvents.id, id)).get()?.status;
const mirroredName = (id: string) => db().select({ name: customers.name }).from(customers).where(eq(customers.id, id)).get()?.name;

async function readsOf(customerId: string, mark: string | null): Promise<number> {
  const requests = await h.requestsSince(mark);
  return requests.filter((r) => r.method === 'GET' && r.path === `/v1/customers/${customerId}` && r.status === 200).length;
}

/**
 * A customer created under `names[0]` and renamed to each later name, with its events (creation
 * first) once all are stored. `key` makes the idempotency keys.
 */
async function renamedCustomer(key: string, email: string, names: string[], metadata?: Record<string, string>) {
  const customer = await h.stripe.customers.create({ email, name: names[0], metadata }, { idempotencyKey: `test:reads:${key}:c` });
  for (const [i, name] of names.slice(1).entries())
    await h.stripe.customers.update(customer.id, { name }, { idempotencyKey: `test:reads:${key}:u${i}` });
  const events = await waitFor(() => (eventsOf(customer.id).length === names.length ? eventsOf(customer.id) : null), {
    what: `the ${names.length} events of ${email} stored`,
  });
  return { customer, events };
}

describe('webhook worker: reads vs events older than the last read', () => {
  beforeAll(async () => {
    // No running worker: each batch below is one event (batchSize 1), run by hand.
    h = await startHarness({ worker: false });
    worker = h.newWorker({ batchSize: 1 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('applies an older or replayed event from the last read, and reads again for a newer one', async () => {
    const first = await h.stripe.customers.create({ email: 'reads-first@example.com' }, { idempotencyKey: 'test:reads:first' });
    const {
      customer,
      events: [created, updated],
    } = await renamedCustomer('c', 'reads@example.com', ['Before', 'After']);
    expect([created!.type, updated!.type]).toEqual(['customer.created', 'customer.updated']);
    await waitFor(() => eventsOf(first.id).length === 1, { what: 'the first customer stored' });
    // A day passes on Stripe's clock before the worker runs: its reads are all after both events.
    const now = (await h.control<{ now: number }>('GET', '/clock')).now;
    await h.control('POST', '/clock/advance', { to: now + 86_400 });
    const mark = await h.mark();

    // Batch 1 (the first customer): the worker's first read tells it Stripe's time.
    expect((await worker.runOnce()).claimed).toBe(1);
    expect(status(eventsOf(first.id)[0]!.id)).toBe('processed');
    // Batch 2 (customer.created) reads the customer: its state already has the update.
    expect((await worker.runOnce()).claimed).toBe(1);
    expect(status(created!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(mirroredName(customer.id)).toBe('After');

    // Batch 3 (customer.updated, created before that read): applied without a read.
    const reusedBefore = worker.stats.reused;
    expect((await worker.runOnce()).claimed).toBe(1);
    expect(status(updated!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(worker.stats.reused).toBe(reusedBefore + 1);
    expect(mirroredName(customer.id)).toBe('After');

    // A replay of the oldest event (a late duplicate): no read either.
    expect(requeueEvent(created!.id)).toBe(true);
    expect((await worker.runOnce()).claimed).toBe(1);
    expect(status(created!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);

    // A change after the read: its event is newer than the read, so the customer is read again.
    await h.stripe.customers.update(customer.id, { name: 'Later' }, { idempotencyKey: 'test:reads:u2' });
    const later = await waitFor(() => eventsOf(customer.id).find((e) => e.id !== created!.id && e.id !== updated!.id), {
      what: 'the later update stored',
    });
    expect((await worker.runOnce()).claimed).toBe(1);
    expect(status(later.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(2);
    expect(mirroredName(customer.id)).toBe('Later');
  });

  it('applies an event stored before the read was sent from that read, even in the same second by Stripe’s clock', async () => {
    // A fresh worker knows no Stripe time yet: its first read has nothing to compare `created` with
    // (`after` is 0), so only the order of arrival here can tell the read is newer than the event.
    const fresh = h.newWorker({ batchSize: 1 });
    const {
      customer,
      events: [created, updated],
    } = await renamedCustomer('o', 'reads-order@example.com', ['One', 'Two']);
    // Only these two are pending: the first test's worker processed everything else.
    const mark = await h.mark();
    const unanchored = fresh.stats.unanchored;
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(created!.id)).toBe('processed');
    expect(fresh.stats.unanchored).toBe(unanchored + 1);
    expect(await readsOf(customer.id, mark)).toBe(1);

    const reused = fresh.stats.reused;
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(updated!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(fresh.stats.reused).toBe(reused + 1);
    expect(mirroredName(customer.id)).toBe('Two');
  });

  /** Holds an event back, as a late (shuffled) delivery would be: not claimable until `deliverLate`. */
  const holdBack = (id: string) =>
    db().update(stripeEvents).set({ status: 'processed', processedAt: Date.now() }).where(eq(stripeEvents.id, id)).run();
  /** Stores the held-back event again as arriving now, after every read so far was sent. */
  const deliverLate = (id: string) =>
    db()
      .update(stripeEvents)
      .set({ status: 'pending', nextAttemptAt: 0, processedAt: null, receivedAt: Date.now() + 1 })
      .where(eq(stripeEvents.id, id))
      .run();

  it('applies an object’s creation event that arrives after a read of that object from the read', async () => {
    // A fresh worker (no Stripe time known, `after` 0) and a late `customer.created`: neither Stripe's
    // clock nor the order of arrival shows the read is newer; that the read returned the customer does.
    const fresh = h.newWorker({ batchSize: 1 });
    const {
      customer,
      events: [created, updated],
    } = await renamedCustomer('l', 'reads-late@example.com', ['One', 'Two']);
    holdBack(created!.id);
    const mark = await h.mark();
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(updated!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);

    deliverLate(created!.id);
    const reused = fresh.stats.reused;
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(created!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(fresh.stats.reused).toBe(reused + 1);
    expect(mirroredName(customer.id)).toBe('Two');
  });

  it('applies a late event whose object is the state the read holds from the read, and reads again for one that is not', async () => {
    const fresh = h.newWorker({ batchSize: 1 });
    const {
      customer,
      events: [created, toB, toC],
    } = await renamedCustomer('s', 'reads-state@example.com', ['A', 'B', 'C']);
    holdBack(toB!.id);
    holdBack(toC!.id);
    const mark = await h.mark();
    // customer.created: the read holds the customer as it is now, named C.
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(created!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(mirroredName(customer.id)).toBe('C');

    // The rename to C arrives late, in the same second: its object is what the read holds.
    deliverLate(toC!.id);
    const reused = fresh.stats.reused;
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(toC!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(fresh.stats.reused).toBe(reused + 1);

    // The rename to B arrives later still: its object (named B) is not what the read holds, so nothing
    // shows the read is newer; read again (and the mirror keeps Stripe's C).
    deliverLate(toB!.id);
    expect((await fresh.runOnce()).claimed).toBe(1);
    expect(status(toB!.id)).toBe('processed');
    expect(await readsOf(customer.id, mark)).toBe(2);
    expect(mirroredName(customer.id)).toBe('C');
  });

  it('keeps a read whose JSON is larger than the memory allowed for kept reads (they are deflated)', async () => {
    const {
      customer,
      events: [, updated],
    } = await renamedCustomer('p', 'reads-packed@example.com', ['Packed', 'Packed 2'], { note: 'x'.repeat(400) });
    // Less than the customer's JSON alone, so the snapshot's JSON could not be kept as it is.
    const cap = JSON.stringify(await h.stripe.customers.retrieve(customer.id)).length - 100;
    const small = h.newWorker({ batchSize: 1, lastReadBytes: cap });
    const mark = await h.mark();
    expect((await small.runOnce()).claimed).toBe(1);
    expect(await readsOf(customer.id, mark)).toBe(1);

    const reused = small.stats.reused;
    expect(requeueEvent(updated!.id)).toBe(true);
    expect((await small.runOnce()).claimed).toBe(1);
    expect(await readsOf(customer.id, mark)).toBe(1);
    expect(small.stats.reused).toBe(reused + 1);
    expect(mirroredName(customer.id)).toBe('Packed 2');
  });
});
