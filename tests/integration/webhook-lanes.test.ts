/**
 * The running worker does not wait for a batch's slowest object: while one read is slow (at Stripe,
 * or a read the SDK retries after a fault), the other lanes claim the next batches and apply them.
 * An object whose read is in flight keeps its newer events until that read is applied, so it is never
 * read twice at once.
 */
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '~/db/client.server';
import { customers, stripeEvents } from '~/db/schema';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;

describe('webhook worker lanes', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('apply later batches while an earlier batch’s read is slow, and never read one object twice at once', async () => {
    // Two events per batch, two lanes. A first batch teaches the worker Stripe's time (until then it
    // reads one object at a time).
    const worker = h.newWorker({ batchSize: 2, concurrency: 2 });
    const first = await h.stripe.customers.create({ email: 'lanes-first@example.com' }, { idempotencyKey: 'test:lanes:first' });
    await waitFor(() => db().select().from(stripeEvents).where(eq(stripeEvents.objectId, first.id)).get(), {
      what: 'the first event stored',
    });
    expect((await worker.runOnce()).claimed).toBe(1);

    const slow = await h.stripe.customers.create({ email: 'lanes-slow@example.com', name: 'Slow' }, { idempotencyKey: 'test:lanes:slow' });
    const others: { id: string }[] = [];
    for (let i = 0; i < 6; i++)
      others.push(
        await h.stripe.customers.create({ email: `lanes-${i}@example.com`, name: `Other ${i}` }, { idempotencyKey: `test:lanes:${i}` }),
      );
    // A change to the slow customer, its event the newest of all.
    await h.stripe.customers.update(slow.id, { name: 'Slow 2' }, { idempotencyKey: 'test:lanes:slow:u' });
    const ids = [slow.id, ...others.map((c) => c.id)];
    const events = () => db().select().from(stripeEvents).where(inArray(stripeEvents.objectId, ids)).all();
    await waitFor(() => events().length === 8, { what: 'the eight events stored' });
    const [created, updated] = events()
      .filter((e) => e.objectId === slow.id)
      .sort((a, b) => (a.type === 'customer.created' ? -1 : b.type === 'customer.created' ? 1 : 0));
    // The slow customer's first read takes 1.5 s at "Stripe".
    await h.control('POST', '/faults', { method: 'GET', path: `/v1/customers/${slow.id}`, delayMs: 1_500, times: 1 });
    const mark = await h.mark();
    // The slow customer's creation is the oldest event left: it is in the next batch.
    const row = (id: string) => db().select().from(stripeEvents).where(eq(stripeEvents.id, id)).get()!;
    const mirrored = (id: string) => db().select({ name: customers.name }).from(customers).where(eq(customers.id, id)).get()?.name;
    try {
      worker.start();
      await waitFor(() => others.every((c) => mirrored(c.id)), { what: 'the six other customers mirrored', timeoutMs: 10_000 });
      // Applied while the slow read was still in flight: the lanes did not wait for it.
      expect(row(created!.id).status).toBe('processing');
      expect(mirrored(slow.id)).toBeUndefined();

      await waitFor(() => row(created!.id).status === 'processed' && row(updated!.id).status === 'processed', {
        what: 'both of the slow customer’s events processed',
        timeoutMs: 10_000,
      });
      // The change was claimed while the slow read was in flight and waited for it (a second read at
      // the same time would have applied it first); that read, sent after the change, stood in for it.
      expect(row(updated!.id).processedAt!).toBeGreaterThanOrEqual(row(created!.id).processedAt!);
      const reads = (await h.requestsSince(mark)).filter((r) => r.method === 'GET' && r.path === `/v1/customers/${slow.id}`);
      expect(reads.length).toBe(1);
      expect(mirrored(slow.id)).toBe('Slow 2');
    } finally {
      await worker.stop();
      await h.control('DELETE', '/faults');
    }
  });
});
