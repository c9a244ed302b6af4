/**
 * The webhook storm, shared by `npm run bench` and tests/integration/storm.test.ts:
 * N customers with paid monthly subscriptions; the emulator's clock renews them all; every event is
 * redelivered 3× and shuffled while 10% of Stripe calls fail (5% 500, 5% 429); then the mirror is
 * compared with the emulator's objects.
 */
import { inArray, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { db } from '~/db/client.server';
import { invoices, outbox, stripeEvents, subscriptions, webhookEffects } from '~/db/schema';
import { waitFor, type Harness } from './stripe-harness';

export interface StormResult {
  customers: number;
  events: number;
  deliveries: number;
  convergenceMs: number;
  /** When the emulator had delivered everything (the floor: delivery alone, no processing). */
  deliveredMs: number;
  batches: number;
  /** Σ over batches of the distinct objects in the batch. */
  batchObjects: number;
  /** Successful GETs the emulator served during the storm. */
  successfulReads: number;
  failedReads: number;
  mismatches: string[];
  paidInvoices: number;
  invoicePaidEffects: number;
  duplicateEffects: number;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
    }),
  );
  return out;
}

export async function runStorm(h: Harness, n: number, opts: { log?: (line: string) => void } = {}): Promise<StormResult> {
  const log = opts.log ?? (() => undefined);
  const s = h.stripe;
  const tag = Math.random().toString(36).slice(2, 8);
  const product = await s.products.create({ name: `Storm ${tag}` }, { idempotencyKey: `storm:${tag}:product` });
  const price = await s.prices.create(
    { product: product.id, currency: 'usd', unit_amount: 1900, recurring: { interval: 'month' } },
    { idempotencyKey: `storm:${tag}:price` },
  );
  const subs = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    8,
    async (i) => {
      const customer = await s.customers.create(
        { email: `storm-${tag}-${i}@example.com` },
        { idempotencyKey: `storm:${tag}:customer:${i}` },
      );
      const pm = await s.paymentMethods.attach('pm_card_visa', { customer: customer.id }, { idempotencyKey: `storm:${tag}:pm:${i}` });
      return s.subscriptions.create(
        { customer: customer.id, items: [{ price: price.id }], default_payment_method: pm.id },
        { idempotencyKey: `storm:${tag}:sub:${i}` },
      );
    },
  );
  log(`storm: ${n} subscriptions created`);
  // Start counting only once setup is fully processed: a read of a setup batch still in flight would
  // otherwise be counted in the storm's requests but not in its batches.
  const inboxOpen = () =>
    db().get<{ n: number }>(sql`select count(*) as n from ${stripeEvents} where status in ('pending','processing')`)!.n;
  await waitFor(async () => (await h.control<{ pending: number }>('GET', '/webhooks/deliveries')).pending === 0 && inboxOpen() === 0, {
    what: 'setup deliveries',
    timeoutMs: 60_000,
  });

  const mark = await h.mark();
  const statsBefore = { ...h.worker.stats };
  await h.control('POST', '/faults', { path: '/v1/*', status: 500, ratio: 0.05 });
  await h.control('POST', '/faults', { path: '/v1/*', status: 429, ratio: 0.0526 });
  const started = Date.now();
  const now = (await h.control<{ now: number }>('GET', '/clock')).now;
  await h.control('POST', '/clock/advance', { to: now + 32 * 86_400 });
  const redelivered = await h.control<{ events: number; deliveries: number }>('POST', '/webhooks/redeliver', {
    since: now + 1,
    duplicate: 3,
    shuffle: true,
  });
  log(
    `storm: clock advanced 32 days; ${redelivered.events} events redelivered as ${redelivered.deliveries} shuffled deliveries, 10% of API calls failing`,
  );

  let deliveredMs = 0;
  await waitFor(
    async () => {
      const { pending } = await h.control<{ pending: number }>('GET', '/webhooks/deliveries');
      if (pending > 0) return false;
      deliveredMs ||= Date.now() - started;
      const open = db().get<{ n: number }>(sql`select count(*) as n from ${stripeEvents} where status in ('pending','processing')`)!.n;
      return open === 0;
    },
    { what: 'storm convergence', timeoutMs: 180_000, intervalMs: 20 },
  );
  const convergenceMs = Date.now() - started;
  const requests = await h.requestsSince(mark);
  await h.control('DELETE', '/faults');

  // Compare every mirrored subscription and invoice with the emulator's.
  const mismatches: string[] = [];
  const subIds = subs.map((x) => x.id);
  const stripeSubs = await mapLimit(subIds, 8, (id) => s.subscriptions.retrieve(id));
  const rows = new Map(
    db()
      .select()
      .from(subscriptions)
      .where(inArray(subscriptions.id, subIds))
      .all()
      .map((r) => [r.id, r]),
  );
  const stripeInvoices: Stripe.Invoice[] = [];
  for (const sub of stripeSubs) {
    const row = rows.get(sub.id);
    const latest = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null);
    const end = Math.max(...sub.items.data.map((i) => i.current_period_end)) * 1000;
    if (!row) mismatches.push(`${sub.id}: not mirrored`);
    else if (row.status !== sub.status || row.latestInvoiceId !== latest || row.currentPeriodEnd?.getTime() !== end)
      mismatches.push(
        `${sub.id}: mirror ${row.status}/${row.latestInvoiceId}/${row.currentPeriodEnd?.toISOString()} ≠ stripe ${sub.status}/${latest}/${new Date(end).toISOString()}`,
      );
    for await (const invoice of s.invoices.list({ subscription: sub.id, limit: 100 })) stripeInvoices.push(invoice);
  }
  const invRows = new Map(
    db()
      .select()
      .from(invoices)
      .where(
        inArray(
          invoices.id,
          stripeInvoices.map((i) => i.id),
        ),
      )
      .all()
      .map((r) => [r.id, r]),
  );
  for (const invoice of stripeInvoices) {
    const row = invRows.get(invoice.id);
    if (!row) mismatches.push(`${invoice.id}: not mirrored`);
    else if (
      row.status !== invoice.status ||
      row.amountPaid !== invoice.amount_paid ||
      row.amountDue !== invoice.amount_due ||
      row.total !== invoice.total ||
      row.number !== invoice.number
    )
      mismatches.push(
        `${invoice.id}: mirror ${row.status}/${row.amountPaid}/${row.total} ≠ stripe ${invoice.status}/${invoice.amount_paid}/${invoice.total}`,
      );
  }
  const paid = stripeInvoices.filter((i) => i.status === 'paid' && i.amount_paid > 0);
  const effectKeys = paid.map((i) => `email:invoice-paid:${i.id}`);
  const effects = db().select().from(webhookEffects).where(inArray(webhookEffects.key, effectKeys)).all();
  const mails = db().select({ key: outbox.dedupeKey }).from(outbox).where(inArray(outbox.dedupeKey, effectKeys)).all();
  const duplicateEffects = mails.length - new Set(mails.map((m) => m.key)).size;

  const reads = requests.filter((r) => r.method === 'GET');
  return {
    customers: n,
    events: redelivered.events,
    deliveries: redelivered.deliveries,
    convergenceMs,
    deliveredMs,
    batches: h.worker.stats.batches - statsBefore.batches,
    batchObjects: h.worker.stats.reads - statsBefore.reads,
    successfulReads: reads.filter((r) => r.status === 200).length,
    failedReads: reads.filter((r) => r.status !== 200).length,
    mismatches,
    paidInvoices: paid.length,
    invoicePaidEffects: effects.length,
    duplicateEffects,
  };
}
