/**
 * Usage-based billing in Chromium against the emulator (issue "Usage-based billing and usage charts"):
 * subscribe to Starter, create an API key, call the API, watch the page and the overview bar move,
 * pass 80% (banner + one outbox email), go over the allowance, move the clock past the period end and
 * find the calls beyond the allowance on the invoice at 1¢ each, paid with the credit pack bought on the
 * way. Screenshots: empty, light, over, with credits, at 1280 and 390 px. Moves the shared emulator clock, like the billing suite's last test.
 */
import Database from 'better-sqlite3';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage, screenshot, signUp, submit } from './browser';

const appUrl = inject('appUrl');
const emulatorUrl = inject('emulatorUrl');
const databasePath = inject('appDatabasePath');
const emu = new URL(emulatorUrl);
const stripe = new Stripe('sk_test_emulator_e2e', {
  host: emu.hostname,
  port: Number(emu.port),
  protocol: 'http',
  telemetry: false,
  maxNetworkRetries: 0,
});
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

function cardFrame(page: Page) {
  return page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
}

async function fillCard(page: Page) {
  const f = cardFrame(page);
  await f.getByLabel('Card number').fill('4242424242424242', { timeout: 45_000 });
  await f.getByLabel('Expiration date').fill('12 / 34');
  await f.getByLabel('Security code').fill('123');
  await f.getByLabel('ZIP').fill('94103');
}

async function subscribeStarter(page: Page) {
  await page.goto(`${appUrl}/billing`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
  await fillCard(page);
  await page.getByRole('button', { name: 'Pay $12.00' }).click();
  await expect
    .poll(async () => (await page.getByTestId('status-badge').first().textContent({ timeout: 20_000 }))?.trim(), { timeout: 30_000 })
    .toBe('Active');
}

/** `count` calls with the key, 24 at a time; every answer must be 200. */
async function call(key: string, count: number) {
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < count) {
        next++;
        const res = await fetch(`${appUrl}/api/v1/hello`, { headers: { Authorization: `Bearer ${key}` } });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  expect(Object.fromEntries(statuses)).toEqual({ 200: count });
}

async function both(page: Page, name: string) {
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await hydrated(page);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function openUsage(page: Page) {
  await page.goto(`${appUrl}/billing/usage`);
  await hydrated(page);
}

const headline = (page: Page) => page.getByRole('heading', { level: 2 }).first().textContent();

/**
 * Calls made "earlier" with the key, written as the ledger writes them (rows + daily rollup in one
 * transaction, at the portal's clock, which follows the emulator's): ten thousand HTTP calls take
 * minutes on a busy two-core machine, and the counting path itself is tested by
 * tests/integration/usage-crash.test.ts. Every threshold below is still crossed by real calls.
 */
async function seedEarlierCalls(email: string, count: number) {
  const { now_ms: at } = (await (await fetch(`${emulatorUrl}/_emulator/clock`)).json()) as { now_ms: number };
  const db = new Database(databasePath, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const { userId, keyId } = db
      .prepare('SELECT u.id AS userId, k.id AS keyId FROM users u JOIN api_keys k ON k.user_id = u.id WHERE u.email = ?')
      .get(email) as { userId: string; keyId: string };
    db.transaction(() => {
      const insert = db.prepare(
        `INSERT INTO usage_events (user_id, api_key_id, meter, value, occurred_at) VALUES (?, ?, 'api_call', 1, ?)`,
      );
      for (let i = 0; i < count; i++) insert.run(userId, keyId, at);
      db.prepare(
        `INSERT INTO usage_daily (user_id, meter, day, api_key_id, calls) VALUES (?, 'api_call', ?, ?, ?) ON CONFLICT (user_id, meter, day, api_key_id) DO UPDATE SET calls = calls + excluded.calls`,
      ).run(userId, new Date(at).toISOString().slice(0, 10), keyId, count);
    }).immediate();
  } finally {
    db.close();
  }
}

function outboxFor(email: string): { template: string; data: string }[] {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT template, data FROM outbox WHERE to_email = ? AND template = 'usage_threshold' ORDER BY id`).all(email) as {
      template: string;
      data: string;
    }[];
  } finally {
    db.close();
  }
}

describe('usage in a real browser', () => {
  it('counts calls, charts them, alerts at 80% and bills the calls beyond the allowance at the period end', async () => {
    const { page, errors } = await newPage(browser);
    const { email } = await signUp(page, appUrl);
    await subscribeStarter(page);

    // Empty, with a plan.
    await openUsage(page);
    expect(await headline(page)).toBe('0 calls this period');
    expect(await page.getByTestId('usage-empty').isVisible()).toBe(true);
    expect(await page.getByTestId('usage-bar').textContent()).toContain('0 of 10,000 calls used');
    await both(page, 'usage-empty');

    // An API key, made on its page.
    await page.goto(`${appUrl}/api-keys`);
    await hydrated(page);
    await page.getByLabel('Key name').fill('Production');
    const created = await submit(page, '/api-keys', () => page.getByRole('button', { name: /create/i }).click());
    expect(created.status()).toBe(200);
    const key = (await page.getByTestId('new-api-key').textContent())!.trim();
    expect(key).toMatch(/^bp_test_/);

    // A few calls: the page and the overview show them at once (the ledger is written before the answer).
    await call(key, 37);
    await openUsage(page);
    expect(await headline(page)).toBe('37 calls this period');
    expect(await page.getByRole('table', { name: 'API calls this period by API key' }).textContent()).toContain('Production');
    // The charts are a chunk the page loads after it is interactive (app/components/usage/lazy-charts.tsx).
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('usage-projection').textContent()).toMatch(/Method: the calls so far ÷/);
    await both(page, 'usage-light');
    await page.goto(`${appUrl}/billing`);
    await hydrated(page);
    expect(await page.getByTestId('usage-bar').textContent()).toMatch(/^37 of 10,000 calls used · projected [\d,]+/);

    // Past 80% (7,950 earlier calls, then real ones cross the line): the banner, and one email in the outbox.
    await seedEarlierCalls(email, 7_950);
    await page.goto(`${appUrl}/billing`);
    await hydrated(page);
    expect(await page.getByTestId('usage-bar').textContent()).toMatch(/^7,987 of 10,000 calls used/);
    expect(await page.getByTestId('usage-alert').count()).toBe(0);
    await call(key, 13); // 8,000: exactly 80%
    await page.goto(`${appUrl}/billing`);
    await hydrated(page);
    expect(await page.getByTestId('usage-bar').textContent()).toMatch(/^8,000 of 10,000 calls used/);
    expect(await page.getByTestId('usage-alert').textContent()).toContain('80% of the 10,000 API calls');
    await expect.poll(() => outboxFor(email).map((m) => JSON.parse(m.data).threshold), { timeout: 15_000 }).toEqual([80]);

    // Over the allowance.
    await seedEarlierCalls(email, 2_000);
    await call(key, 100);
    await openUsage(page);
    expect(await headline(page)).toBe('10,100 calls this period');
    expect(await page.getByTestId('usage-alert').textContent()).toContain('used all 10,000 included API calls');
    await expect.poll(() => outboxFor(email).map((m) => JSON.parse(m.data).threshold), { timeout: 15_000 }).toEqual([80, 100]);
    // Everything reaches Stripe (2-second windows in this suite).
    await expect
      .poll(
        async () => {
          await openUsage(page);
          return page.getByTestId('usage-reported').textContent();
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toContain('Reported to Stripe: 10,100 of 10,100 calls (0 pending)');
    await both(page, 'usage-over');

    // A credit pack: its credits pay for the calls beyond the allowance before anything is charged.
    await page.goto(`${appUrl}/billing/credits`);
    await hydrated(page);
    await submit(page, '/billing/credits', () => page.getByRole('button', { name: 'Buy for $25.00' }).click());
    await fillCard(page);
    await page.getByRole('button', { name: 'Pay $25.00' }).click();
    await page.getByText('Thank you! Your credits are ready: 5,000 in total.').waitFor({ timeout: 30_000 });
    await openUsage(page);
    expect(await page.getByTestId('usage-credits').textContent()).toContain('Credits: 5,000 left.');
    expect(await page.getByTestId('usage-projection').textContent()).toMatch(
      /beyond the 10,000 included: 5,000 paid with your credits, about \$[\d,.]+ for the rest/,
    );
    await both(page, 'usage-credits');

    // The subscription carries Starter's metered price; past the period end the invoice bills 100 calls × 1¢.
    const customer = (await stripe.customers.list({ email, limit: 1 })).data[0]!;
    const sub = (await stripe.subscriptions.list({ customer: customer.id, limit: 1 })).data[0]!;
    await expect
      .poll(async () => (await stripe.subscriptions.retrieve(sub.id)).items.data.map((i) => i.price.lookup_key).sort(), { timeout: 20_000 })
      .toEqual(['api_calls_starter_monthly', 'starter_monthly']);
    // The pack is a Stripe credit grant on the metered prices (made by the reporter) before the period ends.
    await expect
      .poll(async () => (await stripe.billing.creditGrants.list({ customer: customer.id })).data.map((g) => g.amount.monetary?.value), {
        timeout: 30_000,
      })
      .toEqual([5_000]);
    const end = sub.items.data[0]!.current_period_end;
    const moved = await fetch(`${emulatorUrl}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: end + 120 }),
    });
    expect(moved.status).toBe(200);
    const cycleInvoice = async () =>
      (await stripe.invoices.list({ customer: customer.id, limit: 5 })).data.find((i) => i.billing_reason === 'subscription_cycle');
    await expect.poll(async () => (await cycleInvoice())?.id ?? null, { timeout: 30_000 }).toMatch(/^in_/);
    const invoice = (await cycleInvoice())!;
    const usageLine = invoice.lines.data.find((l) => l.description?.startsWith('API calls'))!;
    expect(usageLine.description).toBe('API calls: 10,100 × tiers');
    expect(usageLine.amount).toBe(100); // (10,100 − 10,000) × $0.01
    expect(usageLine.pretax_credit_amounts?.filter((c) => c.type === 'credit_balance_transaction').map((c) => c.amount)).toEqual([100]);
    // The invoice reaches the mirror by webhook: wait until its page exists (same session, no browser
    // load) before opening it, so the browser never logs a 404 and the console check stays strict.
    await expect
      .poll(async () => (await page.request.get(`${appUrl}/billing/invoices/${invoice.id}`, { maxRedirects: 0 })).status(), {
        timeout: 60_000,
        interval: 1_000,
      })
      .toBe(200);
    await expect
      .poll(
        async () => {
          await page.goto(`${appUrl}/billing/invoices/${invoice.id}`);
          return (
            (await page
              .getByTestId('invoice-lines')
              .textContent({ timeout: 5_000 })
              .catch(() => '')) ?? ''
          );
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toMatch(/API calls[\s\S]*100 calls × \$0\.01 beyond 10,000 included[\s\S]*\$1\.00/);
    expect(await page.getByTestId('billing-credits').textContent()).toBe('Credits applied−$1.00');
    await both(page, 'invoice-credits');
    // What the invoice spent is off the balance.
    await expect
      .poll(
        async () => {
          await page.goto(`${appUrl}/billing/credits`);
          return page.getByTestId('credit-balance').textContent();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe('Credits: 4,900');
    assertNoConsoleErrors(errors);
  });
});
