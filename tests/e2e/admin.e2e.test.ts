/**
 * The operator console in Chromium against the emulator (issue 14): a webhook event fails for real
 * (an injected inconsistency — a trigger in the portal's database refuses the mirror write — so every
 * attempt of the worker throws until it gives up), the operator finds it with its error, removes the
 * cause and replays it; the operator finds drift made behind the app's back and resyncs the customer;
 * a customer gets 404 on every /admin path and action. Screenshots of each console page at 1280 and 390.
 */
import Database from 'better-sqlite3';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage, screenshot, signUp, submit, uniqueEmail } from './browser';

const appUrl = inject('appUrl');
const emu = new URL(inject('emulatorUrl'));
const stripe = new Stripe('sk_test_emulator_e2e', {
  host: emu.hostname,
  port: Number(emu.port),
  protocol: 'http',
  telemetry: false,
  maxNetworkRetries: 0,
});
const OPERATOR = 'e2e-ops@example.com';
const ADMIN_PATHS = [
  '/admin',
  '/admin/customers',
  '/admin/customers/:id',
  '/admin/webhooks',
  '/admin/emails',
  '/admin/drift',
  '/admin/catalog',
];

let browser: Browser;
let sql: Database.Database;
let customer: { context: BrowserContext; page: Page; errors: string[]; email: string; userId: string; customerId: string };
let operator: { context: BrowserContext; page: Page; errors: string[] };

function cardFrame(page: Page) {
  return page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
}

async function subscribeStarter(page: Page) {
  await page.goto(`${appUrl}/billing`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
  const f = cardFrame(page);
  await f.getByLabel('Card number').fill('4242424242424242', { timeout: 45_000 });
  await f.getByLabel('Expiration date').fill('12 / 34');
  await f.getByLabel('Security code').fill('123');
  await f.getByLabel('ZIP').fill('94103');
  await page.getByRole('button', { name: 'Pay $12.00' }).click();
  await expect
    .poll(async () => (await page.getByTestId('status-badge').first().textContent({ timeout: 20_000 }))?.trim(), { timeout: 30_000 })
    .toBe('Active');
}

const eventRow = (id: string) =>
  sql.prepare('select status, attempts, last_error as lastError from stripe_events where id = ?').get(id) as
    { status: string; attempts: number; lastError: string | null } | undefined;
const mirrorName = () => (sql.prepare('select name from customers where id = ?').get(customer.customerId) as { name: string | null }).name;

beforeAll(async () => {
  browser = await launch();
  sql = new Database(inject('appDatabasePath'));
  sql.pragma('busy_timeout = 5000');
});

afterAll(async () => {
  sql?.exec('DROP TRIGGER IF EXISTS e2e_injected_update; DROP TRIGGER IF EXISTS e2e_injected_insert;');
  sql?.close();
  await browser?.close();
});

describe('operator console', () => {
  it('has a subscribed customer and an operator (ADMIN_EMAILS, any case) to work with', async () => {
    const c = await newPage(browser);
    const email = uniqueEmail('admin-customer');
    await signUp(c.page, appUrl, { email, name: 'Console Customer' });
    await subscribeStarter(c.page);
    const row = sql.prepare('select id, stripe_customer_id as customerId from users where email = ?').get(email) as {
      id: string;
      customerId: string;
    };
    customer = { ...c, email, userId: row.id, customerId: row.customerId };
    operator = await newPage(browser);
    await signUp(operator.page, appUrl, { email: OPERATOR, name: 'Olive Operator' });
    await operator.page.goto(`${appUrl}/dashboard`);
    expect(await operator.page.getByRole('link', { name: 'Admin' }).count()).toBe(1);
  });

  it('shows a failed event with its error; the operator removes the cause and replays it', async () => {
    // The inconsistency: the mirror refuses this name, so the worker's transaction throws on every attempt.
    sql.exec(`
      CREATE TRIGGER e2e_injected_update BEFORE UPDATE ON customers WHEN NEW.name = 'Injected Failure'
        BEGIN SELECT RAISE(ABORT, 'injected inconsistency: the mirror refuses this customer'); END;
      CREATE TRIGGER e2e_injected_insert BEFORE INSERT ON customers WHEN NEW.name = 'Injected Failure'
        BEGIN SELECT RAISE(ABORT, 'injected inconsistency: the mirror refuses this customer'); END;`);
    const since = Math.floor(Date.now() / 1000) - 5;
    await stripe.customers.update(
      customer.customerId,
      { name: 'Injected Failure' },
      { idempotencyKey: `e2e-admin-${customer.customerId}-fail` },
    );
    const findEvent = async () =>
      (await stripe.events.list({ type: 'customer.updated', created: { gte: since }, limit: 10 })).data.find(
        (e) => (e.data.object as { id: string }).id === customer.customerId,
      )?.id;
    await expect.poll(findEvent, { timeout: 15_000 }).toBeTruthy();
    const event = (await findEvent())!;
    // Every attempt really runs and really fails; only the waits between them (2 s, 4 s … 10 min) are skipped.
    await expect
      .poll(
        () => {
          sql.prepare("update stripe_events set next_attempt_at = 0 where id = ? and status = 'pending'").run(event);
          return eventRow(event)?.status;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe('failed');
    expect(eventRow(event)).toMatchObject({ attempts: 8, lastError: expect.stringContaining('injected inconsistency') });

    const { page } = operator;
    await page.goto(`${appUrl}/dashboard`);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/admin$/);
    await expect.poll(() => page.getByText('Failed events').isVisible()).toBe(true);
    await page.goto(`${appUrl}/admin/webhooks?status=failed`);
    await hydrated(page);
    const row = page.locator(`tr[data-event-id="${event}"]`);
    await expect.poll(() => row.getByTestId('event-error').textContent()).toContain('injected inconsistency');
    await screenshot(page, 'admin-webhooks-failed-1280');

    sql.exec('DROP TRIGGER e2e_injected_update; DROP TRIGGER e2e_injected_insert;');
    const answer = await submit(page, '/admin/webhooks', () => row.getByRole('button', { name: `Replay ${event}` }).click());
    expect(answer.status()).toBe(200);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('queued again');
    await expect.poll(() => eventRow(event)?.status, { timeout: 15_000 }).toBe('processed');
    expect(mirrorName()).toBe('Injected Failure');
    const audit = sql
      .prepare("select actor_email as actor, target from admin_audit where action = 'replay' order by id desc limit 1")
      .get();
    expect(audit).toEqual({ actor: OPERATOR, target: event });
    assertNoConsoleErrors(operator.errors);
  });

  it('finds drift made behind the app’s back and resyncs the customer from Stripe', async () => {
    // The mirror drifts: a write that never came from Stripe.
    sql.prepare("update customers set name = 'Stale mirror name' where id = ?").run(customer.customerId);
    const { page } = operator;
    await page.goto(`${appUrl}/admin`);
    await hydrated(page);
    await page.getByLabel('Find a customer').fill(customer.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/admin\/customers\?q=/);
    await page.getByRole('link', { name: 'Console Customer' }).click();
    await page.waitForURL(new RegExp(`/admin/customers/${customer.userId}$`));
    await hydrated(page);
    const path = `/admin/customers/${customer.userId}`;
    expect((await submit(page, path, () => page.getByRole('button', { name: 'Check drift' }).click())).status()).toBe(200);
    const drift = page.getByTestId('drift-table');
    await expect.poll(() => drift.textContent()).toContain('Stale mirror name');
    expect(await drift.textContent()).toContain('Injected Failure');
    await screenshot(page, 'admin-customer-drift-1280');

    expect((await submit(page, path, () => page.getByRole('button', { name: 'Resync from Stripe' }).click())).status()).toBe(200);
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Resynced ${customer.customerId}`);
    expect(mirrorName()).toBe('Injected Failure');
    expect((await submit(page, path, () => page.getByRole('button', { name: 'Check drift' }).click())).status()).toBe(200);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('No differences');
    // The timeline has the admin actions, newest first, and the Stripe events of this customer.
    const timeline = await page.getByTestId('timeline').textContent();
    expect(timeline).toMatch(/resync/);
    expect(timeline).toMatch(/customer\.updated/);
    const actions = sql
      .prepare('select action from admin_audit where customer_id = ? order by id')
      .all(customer.customerId)
      .map((r) => (r as { action: string }).action);
    expect(actions).toEqual(['replay', 'drift', 'resync', 'drift']);
    assertNoConsoleErrors(operator.errors);
  });

  it('gives a customer 404 on every /admin path, data request and action, and no Admin link', async () => {
    const { page } = customer;
    await page.goto(`${appUrl}/dashboard`);
    await hydrated(page);
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    for (const p of ADMIN_PATHS.map((x) => x.replace(':id', customer.userId))) {
      const res = await page.goto(appUrl + p);
      expect(res?.status(), p).toBe(404);
      await expect.poll(() => page.getByRole('heading', { name: 'Page not found' }).isVisible()).toBe(true);
      const data = await page.request.get(`${appUrl}${p === '/admin' ? '/admin.data' : `${p}.data`}`);
      expect(data.status(), `${p}.data`).toBe(404);
      for (const intent of ['replay-failed', 'resync', 'drift', 'start', 'check']) {
        const post = await page.request.post(appUrl + p, { form: { intent }, headers: { Origin: appUrl }, maxRedirects: 0 });
        expect(post.status(), `POST ${p} ${intent}`).toBe(404);
      }
    }
    const audited = sql.prepare('select count(*) as n from admin_audit where actor_email = ?').get(customer.email) as { n: number };
    expect(audited.n).toBe(0);
  });

  it('looks finished at 1280 and 390 px', async () => {
    const { page } = operator;
    const pages: [string, string][] = [
      ['health', '/admin'],
      ['customers', '/admin/customers'],
      ['customer', `/admin/customers/${customer.userId}`],
      ['webhooks', '/admin/webhooks?status=processed'],
      ['emails', '/admin/emails'],
      ['drift', '/admin/drift'],
      ['catalog', '/admin/catalog'],
    ];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, p] of pages) {
        const res = await page.goto(appUrl + p);
        expect(res?.status(), p).toBe(200);
        await hydrated(page);
        if (name === 'drift' && width === 1280) {
          await submit(page, '/admin/drift', () => page.getByRole('button', { name: 'Check every customer' }).click());
          await expect
            .poll(() => page.getByTestId('drift-summary').textContent(), { timeout: 30_000 })
            .toMatch(/difference|No differences/);
          await expect
            .poll(
              async () =>
                (await page.getByRole('progressbar').getAttribute('aria-valuenow')) ===
                (await page.getByRole('progressbar').getAttribute('aria-valuemax')),
              { timeout: 30_000 },
            )
            .toBe(true);
        }
        if (name === 'catalog' && width === 1280) {
          await submit(page, '/admin/catalog', () => page.getByRole('button', { name: 'Compare with Stripe' }).click());
          await expect.poll(() => page.getByRole('status').textContent()).toMatch(/would change nothing|would make/);
        }
        await screenshot(page, `admin-${name}-${width}`);
      }
    }
    assertNoConsoleErrors(operator.errors);
  });
});
