/**
 * /billing/usage, /billing/usage.csv and the allowance alerts, on a real (emulated) Starter
 * subscription: the numbers come from the rollups, the projection says how it was made, the CSV has
 * the daily rows, and 80% / 100% each queue one email per period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { ensureCatalog, priceByLookupKey } from '~/billing/catalog.server';
import { syncCustomer } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { apiKeys, outbox, users } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { loader as usageLoader } from '~/routes/billing.usage';
import { loader as csvLoader } from '~/routes/billing.usage[.]csv';
import { action as signupAction } from '~/routes/signup';
import { checkUsageAlerts } from '~/usage/alerts.server';
import { UsageLedger } from '~/usage/ledger.server';
import { getUsageSummary, type UsageSummary } from '~/usage/summary.server';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';
import { cookieFrom, formRequest, getRequest, settle } from '../helpers/requests';

let h: Harness;
let seq = 0;

async function customerOnStarter(): Promise<{ cookie: string; userId: string; periodStart: number }> {
  const email = `usage${Date.now()}${seq++}@example.com`;
  const signup = await settle(() =>
    signupAction({
      request: formRequest('/signup', { name: 'Usage Owner', email, password: 'usage-owner-password' }),
      params: {},
      context: {},
    }),
  );
  const cookie = cookieFrom(signup.response!);
  const user = db().select().from(users).where(eq(users.email, email)).get()!;
  const customer = await h.stripe.customers.create({ email, metadata: { userId: user.id } });
  db().update(users).set({ stripeCustomerId: customer.id }).where(eq(users.id, user.id)).run();
  const pm = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const price = await priceByLookupKey('starter_monthly');
  const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], metadata: { userId: user.id } });
  await syncCustomer(customer.id);
  for (const [id, name] of [
    ['key_prod', 'Production'],
    ['key_ci', 'CI'],
  ] as const) {
    db()
      .insert(apiKeys)
      .values({
        id: `${id}_${seq}`,
        userId: user.id,
        name,
        prefix: `bp_live_${id.slice(4)}x`,
        keyHash: `${id}-${seq}-${user.id}`,
        createdAt: new Date(),
      })
      .run();
  }
  return { cookie, userId: user.id, periodStart: sub.items.data[0]!.current_period_start * 1000 };
}

async function callsOn(ledger: UsageLedger, userId: string, at: number, key: string, count: number) {
  clock.freeze(at);
  try {
    await Promise.all(Array.from({ length: count }, () => ledger.record({ userId, apiKeyId: key, meter: 'api_call' })));
  } finally {
    clock.reset();
  }
}

const page = async (cookie: string) =>
  (await settle(() => usageLoader({ request: getRequest('/billing/usage', { cookie }), params: {}, context: {} }))).data as UsageSummary;

describe('/billing/usage', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await ensureCatalog();
  });
  afterAll(async () => {
    clock.reset();
    await h?.close();
  });

  it('is honest when there is nothing yet', async () => {
    const { cookie } = await customerOnStarter();
    const u = await page(cookie);
    expect(u).toMatchObject({
      planKey: 'starter',
      allowance: 10_000,
      total: 0,
      projection: null,
      byKey: [],
      threshold: 0,
      reported: { sent: 0, pending: 0, failed: 0 },
    });
    const csv = await csvLoader({ request: getRequest('/billing/usage.csv', { cookie }), params: {}, context: {} });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe('date,api_key,calls\n');
  });

  it('shows this period per day and per key, projects from the recent rate, exports the CSV, and alerts at 80% and 100% once', async () => {
    const { cookie, userId, periodStart } = await customerOnStarter();
    const ledger = new UsageLedger();
    const day = 86_400_000;
    // Day 0: 300 + 100 calls; day 1: 500; day 2: none; day 3 (today): 200.
    await callsOn(ledger, userId, periodStart + 60_000, `key_prod_${seq}`, 300);
    await callsOn(ledger, userId, periodStart + 120_000, `key_ci_${seq}`, 100);
    await callsOn(ledger, userId, periodStart + day, `key_prod_${seq}`, 500);
    await callsOn(ledger, userId, periodStart + 3 * day, `key_ci_${seq}`, 200);
    const now = periodStart + 3 * day + 3_600_000;
    clock.freeze(now);
    try {
      const u = await page(cookie);
      expect(u.total).toBe(1_100);
      // The same calls grouped by UTC day independently of the rollups.
      const expected = new Map<string, number>();
      for (const [at, count] of [
        [periodStart + 60_000, 300],
        [periodStart + 120_000, 100],
        [periodStart + day, 500],
        [periodStart + 3 * day, 200],
      ] as const) {
        const d = new Date(at).toISOString().slice(0, 10);
        expected.set(d, (expected.get(d) ?? 0) + count);
      }
      expect(u.days.filter((d) => d.calls > 0).map((d) => [d.date, d.calls])).toEqual([...expected.entries()]);
      expect(u.days.at(-1)!.date).toBe(new Date(now).toISOString().slice(0, 10));
      expect(u.days.at(-1)!.cumulative).toBe(1_100);
      expect(u.byKey.map((k) => [k.name, k.calls])).toEqual([
        ['Production', 800],
        ['CI', 300],
      ]);
      // Fewer than 7 full days: rate = calls so far ÷ days elapsed since the first day's midnight.
      const elapsed = Math.max((now - Date.parse(u.period.start)) / day, 1);
      const left = (Date.parse(u.period.end) - now) / day;
      expect(u.projection!.total).toBe(Math.round(1_100 + (1_100 / elapsed) * left));
      expect(u.projection!.method).toMatch(/^the calls so far ÷ the \d+\.\d days elapsed/);
      expect(u.history).toHaveLength(6);
      expect(u.history[0]!.calls).toBe(1_100);
      expect(u.history.slice(1).every((p) => p.calls === 0)).toBe(true);
      expect(u.reported).toEqual({ sent: 0, failed: 0, pending: 1_100 });

      const csv = await (await csvLoader({ request: getRequest('/billing/usage.csv', { cookie }), params: {}, context: {} })).text();
      const lines = csv.trim().split('\n');
      expect(lines[0]).toBe('date,api_key,calls');
      expect(lines.slice(1).reduce((s, l) => s + Number(l.split(',')[2]), 0)).toBe(1_100);
      expect(lines).toContain(`${u.days[0]!.date},bp_live_prodx,300`);

      // Alerts: nothing below 80%; one email at 80%; one at 100%; never twice.
      expect(checkUsageAlerts([userId])).toBe(0);
      await callsOn(ledger, userId, now, `key_prod_${seq}`, 6_900); // 8,000 = 80%
      clock.freeze(now);
      expect(checkUsageAlerts([userId])).toBe(1);
      expect(checkUsageAlerts([userId])).toBe(0);
      expect((await page(cookie)).threshold).toBe(80);
      await callsOn(ledger, userId, now, `key_prod_${seq}`, 2_000); // 10,000 = 100%
      clock.freeze(now);
      expect(checkUsageAlerts([userId])).toBe(1);
      expect(checkUsageAlerts([userId])).toBe(0);
      const over = await page(cookie);
      expect(over.threshold).toBe(100);
      expect(over.projection!.overage).toBe(over.projection!.total - 10_000);
      expect(over.projection!.cost).toBe(over.projection!.overage * 1);
      const emails = db().select().from(outbox).where(eq(outbox.userId, userId)).all();
      expect(emails.map((e) => [e.template, (e.data as { threshold: number }).threshold])).toEqual([
        ['usage_threshold', 80],
        ['usage_threshold', 100],
      ]);
      expect(emails[0]!.toEmail).toMatch(/@example\.com$/);
    } finally {
      clock.reset();
    }
  });

  it('sums 90 days at 100,000 calls a day (its speed is measured by npm run bench, not here)', async () => {
    const { userId } = await customerOnStarter();
    const sqlite = db().$client;
    const start = Date.now() - 89 * 86_400_000;
    sqlite.transaction(() => {
      const daily = sqlite.prepare('INSERT INTO usage_daily (user_id, meter, day, api_key_id, calls) VALUES (?, ?, ?, ?, ?)');
      const report = sqlite.prepare(
        `INSERT INTO meter_reports (user_id, customer_id, meter, window_start, window_end, event_timestamp, first_event_id, last_event_id, rows, value, identifier, status, created_at)
         VALUES (?, 'cus_x', 'api_call', ?, ?, ?, 0, 0, 70, 70, ?, 'sent', 0)`,
      );
      for (let d = 0; d < 90; d++) {
        const dayMs = start + d * 86_400_000;
        const date = new Date(dayMs).toISOString().slice(0, 10);
        daily.run(userId, 'api_call', date, `key_prod_${seq}`, 60_000);
        daily.run(userId, 'api_call', date, `key_ci_${seq}`, 40_000);
        const dayStart = Math.floor(dayMs / 86_400_000) * 86_400;
        for (let w = 0; w < 1440; w++)
          report.run(userId, dayStart + w * 60, dayStart + w * 60 + 60, dayStart + w * 60 + 59, `bench:${userId}:${d}:${w}`);
      }
    })();
    const u = getUsageSummary({ userId });
    // Every one of the 90 days is counted once across the periods shown (6 periods cover them), split by key 60/40.
    expect(u.history.reduce((sum, p) => sum + p.calls, 0)).toBe(90 * 100_000);
    expect(u.total).toBe(u.days.reduce((sum, d) => sum + d.calls, 0));
    expect(u.byKey.map((k) => k.calls).reduce((a, b) => a + b, 0)).toBe(u.total);
    expect(u.reported.sent).toBeGreaterThan(0);
  });
});
