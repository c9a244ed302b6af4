/**
 * The console's drift report, resync, replay and audit against the emulator over HTTP: a change made
 * in Stripe behind the app's back (the SDK straight to the emulator; the webhook worker is off, so no
 * event reaches the mirror) is found field by field, for one customer and by the background job over
 * everyone; an event lost on the way is found missing from the inbox; "Resync from Stripe" clears it;
 * every action leaves an audit row.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAdminActions } from '~/admin/audit.server';
import { catalogueState } from '~/admin/catalog.server';
import { getAdminCustomer, resyncCustomer, searchCustomers } from '~/admin/customers.server';
import { customerDrift, driftJobDone, latestDriftJob, reconcileEvents, startDriftAll, type DriftAllResult } from '~/admin/drift.server';
import { replayEvent } from '~/admin/webhooks.server';
import { syncCustomer } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { stripeEvents, users, type User } from '~/db/schema';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let operator: User;
let customerId: string;
let subscriptionId: string;

describe('drift report, resync and audit against the emulator', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    db().insert(users).values({ id: 'usr_ops', email: 'ops@example.com', name: 'Ops', passwordHash: 'x' }).run();
    operator = db().select().from(users).where(eq(users.id, 'usr_ops')).get()!;
    const customer = await h.stripe.customers.create(
      { email: 'drift@example.com', name: 'Drift Customer', metadata: { user_id: 'usr_drift' } },
      { idempotencyKey: 'test:drift:customer' },
    );
    customerId = customer.id;
    db()
      .insert(users)
      .values({ id: 'usr_drift', email: 'drift@example.com', name: 'Drift Customer', passwordHash: 'x', stripeCustomerId: customerId })
      .run();
    const visa = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customerId }, { idempotencyKey: 'test:drift:pm' });
    const product = await h.stripe.products.create({ name: 'Drift plan' }, { idempotencyKey: 'test:drift:product' });
    const price = await h.stripe.prices.create(
      { product: product.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' }, lookup_key: 'drift_monthly' },
      { idempotencyKey: 'test:drift:price' },
    );
    const sub = await h.stripe.subscriptions.create(
      { customer: customerId, items: [{ price: price.id }], default_payment_method: visa.id },
      { idempotencyKey: 'test:drift:sub' },
    );
    subscriptionId = sub.id;
    await syncCustomer(customerId);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('finds no difference right after a sync', async () => {
    const report = await customerDrift(customerId);
    expect(report.differences).toEqual([]);
    expect(report.checked).toMatchObject({ subscriptions: 1, paymentMethods: 1 });
    expect(report.checked.invoices).toBeGreaterThan(0);
  });

  it('finds a subscription changed and a card added behind the app’s back, and the lost events', async () => {
    await h.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true }, { idempotencyKey: 'test:drift:cancel' });
    const card = await h.stripe.paymentMethods.attach('pm_card_mastercard', { customer: customerId }, { idempotencyKey: 'test:drift:pm2' });

    const report = await customerDrift(customerId);
    expect(report.differences).toEqual(
      expect.arrayContaining([
        { object: 'subscription', id: subscriptionId, field: 'cancel_at_period_end', mirror: 'false', stripe: 'true' },
        { object: 'payment_method', id: card.id, field: 'attached', mirror: null, stripe: 'true' },
      ]),
    );
    const cancelAt = report.differences.find((d) => d.field === 'cancel_at');
    expect(cancelAt).toMatchObject({ object: 'subscription', mirror: null });

    // The webhook for the update did reach the inbox (the worker is off); lose it, as a failed delivery would.
    const updated = await waitFor(
      () =>
        db()
          .select()
          .from(stripeEvents)
          .where(eq(stripeEvents.objectId, subscriptionId))
          .all()
          .find((e) => e.type === 'customer.subscription.updated'),
      { what: 'subscription.updated stored' },
    );
    db().delete(stripeEvents).where(eq(stripeEvents.id, updated.id)).run();
    const stored = db().select().from(stripeEvents).all().length;
    const counts = await reconcileEvents({ days: 1, enqueue: false });
    expect(counts.missingIds).toContain(updated.id);
    expect(counts.missing).toBeGreaterThanOrEqual(1);
    expect(counts.seen).toBe(counts.missing + counts.missingIgnored + counts.alreadyStored);
    // A report stores nothing.
    expect(db().select().from(stripeEvents).all().length).toBe(stored);
  });

  it('runs the report over everyone as a background job with progress, one job at a time, audited', async () => {
    const { started, jobId } = startDriftAll({ actor: operator });
    expect(started).toBe(true);
    expect(startDriftAll({ actor: operator })).toEqual({ started: false, jobId });
    await driftJobDone(jobId);
    const job = latestDriftJob()!;
    expect(job).toMatchObject({ id: jobId, status: 'done', interrupted: false, startedBy: 'ops@example.com' });
    expect(job.done).toBe(job.total);
    expect(job.total).toBeGreaterThanOrEqual(1);
    const result = job.result as unknown as DriftAllResult;
    expect(result.customersWithDrift).toBe(1);
    expect(result.differences).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: subscriptionId, field: 'cancel_at_period_end' })]),
    );
    expect(result.events!.missing).toBeGreaterThanOrEqual(1);
    expect(listAdminActions({ limit: 5 })[0]).toMatchObject({ action: 'drift-all', actorEmail: 'ops@example.com', target: 'all' });
  });

  it('resyncs the customer from Stripe: the drift is gone, the resync is in the audit log and the timeline', async () => {
    const outcome = await resyncCustomer({ actor: operator, customerId });
    expect(outcome).toMatchObject({ ok: true });
    expect((await customerDrift(customerId)).differences).toEqual([]);
    const view = getAdminCustomer('usr_drift')!;
    expect(view.subscriptions[0]).toMatchObject({ id: subscriptionId, cancelAtPeriodEnd: true });
    expect(view.cards).toHaveLength(2);
    expect(view.timeline[0]).toMatchObject({ kind: 'admin', title: 'resync' });
    expect(listAdminActions({ customerId })[0]).toMatchObject({ action: 'resync', actorUserId: 'usr_ops', target: customerId });
  });

  it('answers a resync Stripe cannot serve with Stripe’s words, audited', async () => {
    await h.control('POST', '/faults', { method: 'GET', path: `/v1/customers/${customerId}`, status: 500, times: 3 });
    try {
      const outcome = await resyncCustomer({ actor: operator, customerId });
      expect(outcome).toMatchObject({ ok: false, status: 502 });
      expect(outcome.message).toMatch(/StripeAPIError/);
      expect(listAdminActions({ customerId })[0]!.detail).toMatchObject({ error: expect.stringMatching(/StripeAPIError/) });
    } finally {
      await h.control('DELETE', '/faults');
    }
  });

  it('replays only failed events', () => {
    db()
      .insert(stripeEvents)
      .values({
        id: 'evt_admin_failed',
        type: 'customer.updated',
        objectId: customerId,
        created: 1,
        payload: JSON.stringify({
          id: 'evt_admin_failed',
          type: 'customer.updated',
          created: 1,
          data: { object: { id: customerId, object: 'customer' } },
        }),
        status: 'failed',
        attempts: 8,
        lastError: '500 api_error: down',
        receivedAt: Date.now(),
      })
      .run();
    expect(replayEvent({ actor: operator, eventId: 'evt_nope' })).toMatchObject({ ok: false, status: 404 });
    expect(replayEvent({ actor: operator, eventId: 'evt_admin_failed' })).toMatchObject({ ok: true });
    expect(db().select().from(stripeEvents).where(eq(stripeEvents.id, 'evt_admin_failed')).get()).toMatchObject({
      status: 'pending',
      attempts: 0,
      lastError: null,
    });
    expect(replayEvent({ actor: operator, eventId: 'evt_admin_failed' })).toMatchObject({ ok: false, status: 409 });
    expect(listAdminActions({ customerId })[0]).toMatchObject({ action: 'replay', target: 'evt_admin_failed' });
  });

  it('finds customers by email, name and Stripe id, paged', () => {
    expect(searchCustomers({ q: 'DRIFT@', page: 1 }).hits.map((x) => x.key)).toEqual(['usr_drift']);
    expect(searchCustomers({ q: 'drift customer', page: 1 }).hits.map((x) => x.key)).toEqual(['usr_drift']);
    expect(searchCustomers({ q: customerId, page: 1 }).hits).toEqual([
      expect.objectContaining({ key: 'usr_drift', customerId, email: 'drift@example.com' }),
    ]);
    // LIKE wildcards are taken literally.
    expect(searchCustomers({ q: '%', page: 1 }).hits).toEqual([]);
    expect(searchCustomers({ q: '', page: 2 })).toEqual({ hits: [], hasMore: false });
  });

  it('says what stripe:setup would change without changing anything', async () => {
    const before = (await h.requestsSince(null)).length;
    const { rows, changes } = await catalogueState();
    const after = await h.requestsSince(null);
    expect(after.slice(before).every((r) => r.method === 'GET')).toBe(true);
    // The emulator has none of plans.ts's products yet: everything would be created.
    expect(rows.find((r) => r.object === 'product')).toMatchObject({ action: 'created', id: '-' });
    expect(rows.find((r) => r.object === 'meter')).toMatchObject({ action: 'created', id: '-' });
    expect(changes).toBe(rows.length);
  });
});
