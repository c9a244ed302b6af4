/**
 * `npm run bench`'s renewal storm at the size of a real customer base (issue #17): N customers with
 * paid monthly subscriptions, seeded in bulk through the emulator's control API (its own route
 * handlers, no HTTP, no webhooks: as if they predated the endpoint); the emulator's clock renews them
 * all (events stored, not sent); then every renewal event is delivered 3×, shuffled, while 10% of
 * Stripe calls fail (5% 500, 5% 429). The emulator runs in a process of its own (Stripe on the other
 * core); the app's intake (the server's node-level route) and its worker run here.
 *
 * Checked: the mirror equals the emulator for every subscription and every renewal invoice, each paid
 * renewal's effect happened once, the worker gave up on nothing. Measured: convergence time vs the
 * emulator's own delivery time, successful Stripe reads vs distinct objects touched, and this
 * process's RSS before, at peak and after.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { gte, inArray, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { fmt, mib, ratio, type ScenarioResult } from './table';

/**
 * `quick` (`npm run bench -- --quick`) checks correctness only: reads against distinct objects is a
 * figure of the full run, where a read may be repeated for events in the same second as the last
 * read of their object (which that read cannot be shown to reflect), so a small storm can read a
 * few objects twice without anything being wrong.
 */
export async function benchStormAtScale(opts: { tmp: string; customers: number; quick?: boolean }): Promise<ScenarioResult> {
  const n = opts.customers;
  process.env.DATABASE_PATH = path.join(opts.tmp, 'storm.sqlite');
  process.env.SESSION_SECRET ??= crypto.randomBytes(24).toString('hex');
  const { closeDb, db } = await import('~/db/client.server');
  closeDb();
  const { invoices, outbox, stripeEvents, subscriptions, webhookEffects } = await import('~/db/schema');
  const { targetOf } = await import('~/webhooks/handlers.server');
  const { startHarness, waitFor } = await import('./stripe-harness');

  console.log(`Storm at scale: ${fmt(n)} customers renew; every event delivered 3× shuffled; 10% of Stripe calls failing`);
  const h = await startHarness({ worker: { backoffMs: () => 200 }, emulatorProcess: true });
  const memory = { before: 0, peak: 0, after: 0 };
  let sampler: NodeJS.Timeout | null = null;
  try {
    const s = h.stripe;
    const tag = crypto.randomBytes(3).toString('hex');
    const product = await s.products.create({ name: `Storm ${tag}` });
    const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 1900, recurring: { interval: 'month' } });
    let t0 = Date.now();
    // In calls of 1,000 (one call per thousand customers, with progress on a busy machine).
    const seeded = { data: [] as string[] };
    const seedCalls = Array.from({ length: Math.ceil(n / 1_000) }, (_, i) => Math.min(1_000, n - i * 1_000));
    await seedCalls.reduce(
      (chain, count, i) =>
        chain.then(async () => {
          const part = await h.control<{ data: string[] }>('POST', '/seed/subscriptions', {
            count,
            price: price.id,
            email_prefix: `storm-${tag}-${i}`,
            deliver: false,
          });
          seeded.data.push(...part.data);
          if (seedCalls.length > 1) console.log(`  … seeded ${fmt(seeded.data.length)} in ${fmt((Date.now() - t0) / 1000, 1)} s`);
        }),
      Promise.resolve(),
    );
    const seedMs = Date.now() - t0;
    console.log(`  seeded ${fmt(seeded.data.length)} customers + cards + subscriptions in ${fmt(seedMs / 1000, 1)} s (control API)`);

    t0 = Date.now();
    const now = (await h.control<{ now: number }>('GET', '/clock')).now;
    const advanced = await h.control<{ jobs: number }>('POST', '/clock/advance', { to: now + 32 * 86_400, deliver: false });
    const renewMs = Date.now() - t0;
    console.log(`  clock +32 days: ${fmt(advanced.jobs)} jobs (renewals) in ${fmt(renewMs / 1000, 1)} s`);

    await new Promise((r) => setTimeout(r, 500));
    memory.before = process.memoryUsage().rss;
    memory.peak = memory.before;
    sampler = setInterval(() => {
      memory.peak = Math.max(memory.peak, process.memoryUsage().rss);
    }, 200);
    const mark = await h.mark();
    const statsBefore = { ...h.worker.stats };
    await h.control('POST', '/faults', { path: '/v1/*', status: 500, ratio: 0.05 });
    await h.control('POST', '/faults', { path: '/v1/*', status: 429, ratio: 0.0526 });
    const stormStartMs = Date.now();
    const started = performance.now();
    const redelivered = await h.control<{ events: number; deliveries: number }>('POST', '/webhooks/redeliver', {
      since: now + 1,
      duplicate: 3,
      shuffle: true,
    });
    console.log(`  ${fmt(redelivered.events)} events → ${fmt(redelivered.deliveries)} shuffled deliveries`);
    const open = () => db().get<{ n: number }>(sql`select count(*) as n from ${stripeEvents} where status in ('pending','processing')`)!.n;
    let deliveredMs = 0;
    let lastLog = Date.now();
    await waitFor(
      async () => {
        const { pending } = await h.control<{ pending: number }>('GET', '/webhooks/deliveries');
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          console.log(`  … ${fmt((performance.now() - started) / 1000)} s: ${fmt(pending)} deliveries to go, ${fmt(open())} events open`);
        }
        if (pending > 0) return false;
        deliveredMs ||= performance.now() - started;
        return open() === 0;
      },
      { what: 'storm convergence', timeoutMs: Math.max(600_000, n * 150), intervalMs: 50 },
    );
    const convergenceMs = performance.now() - started;
    clearInterval(sampler);
    sampler = null;
    // 1 s after convergence, before the checks below list every subscription and invoice into this
    // same process (at 10,000 customers that alone took the RSS past 800 MiB).
    await new Promise((r) => setTimeout(r, 1_000));
    memory.after = process.memoryUsage().rss;
    await h.control('DELETE', '/faults');
    const requests = await h.requestsSince(mark);
    const reads = requests.filter((r) => r.method === 'GET');
    const successfulReads = reads.filter((r) => r.status === 200).length;

    // Distinct objects the storm's events concern (what a perfect reader would read once each).
    const stored = db()
      .select({ payload: stripeEvents.payload, status: stripeEvents.status })
      .from(stripeEvents)
      .where(gte(stripeEvents.receivedAt, stormStartMs))
      .all();
    const touched = new Set(
      stored.flatMap((row) => {
        const e = JSON.parse(row.payload) as { id: string; type: string; created: number; data: { object: { id?: string } } };
        const target = targetOf({ id: e.id, type: e.type, created: e.created, object: e.data.object });
        return target ? [`${target.kind}:${target.id}`] : [];
      }),
    );
    const failedEvents = stored.filter((r) => r.status === 'failed').length;

    // The mirror against the emulator: every subscription, every renewal invoice.
    const mismatches: string[] = [];
    const stripeSubs: Stripe.Subscription[] = [];
    const seededIds = new Set(seeded.data);
    for await (const sub of s.subscriptions.list({ limit: 100, status: 'all' })) if (seededIds.has(sub.id)) stripeSubs.push(sub);
    const subRows = new Map(
      db()
        .select()
        .from(subscriptions)
        .where(
          inArray(
            subscriptions.id,
            stripeSubs.map((x) => x.id),
          ),
        )
        .all()
        .map((r) => [r.id, r]),
    );
    stripeSubs.forEach((sub) => {
      const row = subRows.get(sub.id);
      const latest = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null);
      const end = Math.max(...sub.items.data.map((i) => i.current_period_end)) * 1000;
      if (!row) mismatches.push(`${sub.id}: not mirrored`);
      else if (row.status !== sub.status || row.latestInvoiceId !== latest || row.currentPeriodEnd?.getTime() !== end)
        mismatches.push(`${sub.id}: mirror ${row.status}/${row.latestInvoiceId} ≠ stripe ${sub.status}/${latest}`);
    });
    const renewals: Stripe.Invoice[] = [];
    for await (const invoice of s.invoices.list({ limit: 100, created: { gt: now } })) renewals.push(invoice);
    const invRows = new Map(
      db()
        .select()
        .from(invoices)
        .where(
          inArray(
            invoices.id,
            renewals.map((i) => i.id),
          ),
        )
        .all()
        .map((r) => [r.id, r]),
    );
    renewals.forEach((invoice) => {
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
    });
    const paid = renewals.filter((i) => i.status === 'paid' && i.amount_paid > 0);
    const keys = paid.map((i) => `email:invoice-paid:${i.id}`);
    const chunks = Array.from({ length: Math.ceil(keys.length / 500) }, (_, i) => keys.slice(i * 500, i * 500 + 500));
    const effects = chunks.reduce(
      (sum, c) => sum + db().select().from(webhookEffects).where(inArray(webhookEffects.key, c)).all().length,
      0,
    );
    const mails = chunks.flatMap((c) => db().select({ key: outbox.dedupeKey }).from(outbox).where(inArray(outbox.dedupeKey, c)).all());
    const duplicates = mails.length - new Set(mails.map((m) => m.key)).size;

    const batches = h.worker.stats.batches - statsBefore.batches;
    const batchObjects = h.worker.stats.reads - statsBefore.reads;
    const reused = h.worker.stats.reused - statsBefore.reused;
    const failures: string[] = [];
    if (stripeSubs.length !== n) failures.push(`storm: ${stripeSubs.length} subscriptions in the emulator, expected ${n}`);
    if (renewals.length !== n) failures.push(`storm: ${renewals.length} renewal invoices, expected ${n}`);
    if (mismatches.length)
      failures.push(`storm: ${mismatches.length} mirror differences from the emulator, e.g. ${mismatches.slice(0, 3).join('; ')}`);
    if (effects !== paid.length) failures.push(`storm: ${effects} invoice-paid effects for ${paid.length} paid renewals`);
    if (duplicates) failures.push(`storm: ${duplicates} duplicated effects`);
    if (failedEvents) failures.push(`storm: the worker gave up on ${failedEvents} events`);
    // Reads sent before any response told the worker Stripe's time (its first batch's, side by side)
    // cannot stand in for those objects' later events (app/webhooks/worker.server.ts): each may be
    // read once more.
    const unanchored = h.worker.stats.unanchored - statsBefore.unanchored;
    if (!opts.quick && successfulReads > touched.size + unanchored)
      failures.push(
        `storm: ${fmt(successfulReads)} successful Stripe reads for ${fmt(touched.size)} distinct objects touched (${unanchored} read before the worker knew Stripe's time)`,
      );
    return {
      rows: [
        [
          `storm: ${fmt(n)} renewals, ${fmt(redelivered.events)} events ×3 (ms)`,
          fmt(convergenceMs),
          `${fmt(deliveredMs)} (emulator delivery alone)`,
          ratio(convergenceMs, deliveredMs),
        ],
        [
          'storm: successful Stripe reads',
          fmt(successfulReads),
          `${fmt(touched.size)} (distinct objects touched)`,
          ratio(successfulReads, touched.size),
        ],
        ['storm: app RSS at peak', mib(memory.peak), `${mib(memory.before)} (before)`, ratio(memory.peak, memory.before)],
        ['storm: app RSS after', mib(memory.after), `${mib(memory.before)} (before)`, ratio(memory.after, memory.before)],
      ],
      notes: [
        `storm: seeded in ${fmt(seedMs / 1000, 1)} s, renewed in ${fmt(renewMs / 1000, 1)} s; ${fmt(redelivered.deliveries)} deliveries; ${batches} worker batches reading ${fmt(batchObjects)} objects (Σ per batch) and applying ${fmt(reused)} from their last read; ` +
          `${fmt(successfulReads)} reads ok + ${fmt(reads.length - successfulReads)} failed; ${mismatches.length} mirror differences; ${effects}/${paid.length} invoice-paid effects, ${duplicates} duplicated.`,
      ],
      failures,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await h.close();
  }
}
