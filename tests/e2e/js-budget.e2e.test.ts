/**
 * The JavaScript budget of every page (issue 15), opened cold (a fresh browser context: no cache) in
 * Chromium. Counted: every script of our own origin (`/build/…`; Stripe.js and its frames come from
 * Stripe's origin and are not ours), each body compressed here with gzip at level 9 — a fixed measure
 * that does not depend on how the server encoded the response (it sends brotli, which is smaller).
 *
 * - "up front": the scripts the server's HTML names (the entry, the root and the page's route modules
 *   with their chunks, as `<Scripts>` lists them): what the page must download and run before it is
 *   interactive. Budget: 100 KiB on every page but `/billing`.
 * - "later": scripts the page fetches itself afterwards (a dynamic `import()`, e.g. the usage charts),
 *   counted until the network is idle. Reported, not budgeted — except on `/billing`, where the budget
 *   is everything a cold page loads until the card form is open: 150 KiB, up front and later together.
 *
 * The operator console needs the ADMIN_EMAILS account that tests/e2e/admin.e2e.test.ts signs up, so
 * its pages are measured from the build's manifest instead (the same "up front" set, not visited).
 * Prints a table of page → KiB.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage, settled, signUp, submit } from './browser';

const appUrl = inject('appUrl');
const origin = new URL(appUrl).origin;
const KIB = 1024;
const PAGE_BUDGET = 100 * KIB;
const BILLING_BUDGET = 150 * KIB;

type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

interface Measured {
  page: string;
  upFront: number;
  later: number;
  budget: number;
  /** What the budget is checked against. */
  counted: number;
}

let browser: Browser;
const table: Measured[] = [];

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  if (table.length) {
    const kib = (bytes: number) => (bytes / KIB).toFixed(1);
    console.log(
      [
        'JS per page (own origin, gzip -9, KiB):',
        '| page | up front | later | budgeted | budget |',
        '|---|---:|---:|---:|---:|',
        ...table.map((m) => `| ${m.page} | ${kib(m.upFront)} | ${kib(m.later)} | ${kib(m.counted)} | ${kib(m.budget)} |`),
      ].join('\n'),
    );
  }
});

const gzipSize = (body: Buffer) => gzipSync(body, { level: 9 }).length;

/**
 * The scripts a server-rendered document loads: its modulepreload links and the modules its inline
 * module script imports (not the route manifest inlined there, which also names routes not on the page).
 */
function scriptsNamedBy(html: string): Set<string> {
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="(\/build\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const imported = [...html.matchAll(/\bimport(?:\s+\*\s+as\s+\w+\s+from\s*|\s*\(\s*)"(\/build\/[^"]+\.js)"/g)].map((m) => m[1]!);
  return new Set([...preloaded, ...imported]);
}

/**
 * Opens `path` in a fresh context (no cache), waits until React has hydrated it and the router is
 * idle, runs `then` (e.g. opening the card form), waits for the network to go idle, and sums the
 * gzip size of every own-origin script, split into up front and later. Returns the page, still open.
 */
async function measure(
  label: string,
  path: string,
  opts: { storageState?: StorageState; budget?: number; countLater?: boolean; then?: (page: Page) => Promise<void> } = {},
) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, storageState: opts.storageState });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  const sizes = new Map<string, Promise<number>>();
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (url.origin !== origin || !url.pathname.startsWith('/build/') || !url.pathname.endsWith('.js')) return;
    if (!sizes.has(url.pathname)) sizes.set(url.pathname, res.body().then(gzipSize));
  });
  const doc = await page.goto(`${appUrl}${path}`);
  expect(doc?.status(), `${path} answers`).toBe(200);
  expect(new URL(page.url()).pathname, `${path} is not a redirect`).toBe(path.split('?')[0]);
  const named = scriptsNamedBy(await doc!.text());
  await hydrated(page);
  await settled(page);
  if (opts.then) await opts.then(page);
  await page.waitForLoadState('networkidle');
  const entries = await Promise.all([...sizes].map(async ([file, size]) => ({ file, size: await size })));
  // Every script the document names was fetched (nothing was missed by the listener).
  expect(
    [...named].filter((file) => !sizes.has(file)),
    `${path}: scripts named but not fetched`,
  ).toEqual([]);
  const upFront = entries.filter((e) => named.has(e.file)).reduce((sum, e) => sum + e.size, 0);
  const later = entries.filter((e) => !named.has(e.file)).reduce((sum, e) => sum + e.size, 0);
  const budget = opts.budget ?? PAGE_BUDGET;
  const counted = opts.countLater ? upFront + later : upFront;
  table.push({ page: label, upFront, later, budget, counted });
  expect(upFront, `${label}: up-front JS`).toBeGreaterThan(0);
  expect.soft(counted, `${label}: ${(counted / KIB).toFixed(1)} KiB of JS (budget ${budget / KIB} KiB)`).toBeLessThanOrEqual(budget);
  assertNoConsoleErrors(errors);
  return { context, page };
}

function cardFrame(page: Page) {
  return page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
}

describe('JS budget per page, cold', () => {
  it('signed out: landing, log in, sign up', async () => {
    for (const path of ['/', '/login', '/signup']) {
      const { context } = await measure(path, path);
      await context.close();
    }
  });

  it('signed in: every customer page, /billing until the card form is open', async () => {
    const { page: main, context: mainContext, errors } = await newPage(browser);
    await signUp(main, appUrl);
    const signedIn = await mainContext.storageState();

    // Cold /billing with no plan, until the card form is open; then pay there, for the pages below.
    const billing = await measure('/billing (card form open)', '/billing', {
      storageState: signedIn,
      budget: BILLING_BUDGET,
      countLater: true,
      then: async (page) => {
        await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
        await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 45_000 });
      },
    });
    const f = cardFrame(billing.page);
    await f.getByLabel('Card number').fill('4242424242424242');
    await f.getByLabel('Expiration date').fill('12 / 34');
    await f.getByLabel('Security code').fill('123');
    await f.getByLabel('ZIP').fill('94103');
    await billing.page.getByRole('button', { name: 'Pay $12.00' }).click();
    await expect
      .poll(async () => (await billing.page.getByTestId('status-badge').first().textContent({ timeout: 20_000 }))?.trim(), {
        timeout: 30_000,
      })
      .toBe('Active');
    await billing.context.close();

    // A few API calls, so the usage page draws its charts.
    await main.goto(`${appUrl}/api-keys`);
    await hydrated(main);
    await main.getByLabel('Key name').fill('Budget');
    await submit(main, '/api-keys', () => main.getByRole('button', { name: 'Create key' }).click());
    const key = (await main.getByTestId('new-api-key').textContent())!.trim();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${appUrl}/api/v1/hello`, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    }

    // An invoice of this account.
    await main.goto(`${appUrl}/billing/invoices`);
    await hydrated(main);
    const invoiceLink = main.getByRole('link', { name: /^View invoice/ }).first();
    await invoiceLink.waitFor({ timeout: 20_000 });
    const invoicePath = (await invoiceLink.getAttribute('href'))!;
    expect(invoicePath).toMatch(/^\/billing\/invoices\/in_/);
    assertNoConsoleErrors(errors);
    await mainContext.close();

    // /billing subscribed is the same route as the card form's page: its budget is /billing's.
    const subscribed = await measure('/billing (subscribed)', '/billing', { storageState: signedIn, budget: BILLING_BUDGET });
    await subscribed.context.close();
    const pages: [string, string][] = [
      ['/billing/plans', '/billing/plans'],
      ['/billing/invoices', '/billing/invoices'],
      ['/billing/invoices/:id', invoicePath],
      ['/billing/payment-methods', '/billing/payment-methods'],
      ['/billing/details', '/billing/details'],
      ['/billing/credits', '/billing/credits'],
      ['/billing/usage', '/billing/usage'],
      ['/api-keys', '/api-keys'],
      ['/account', '/account'],
      ['/dashboard', '/dashboard'],
    ];
    for (const [label, path] of pages) {
      const { context, page } = await measure(label, path, { storageState: signedIn });
      if (path === '/billing/usage') await page.locator('.recharts-bar-rectangle').first().waitFor();
      await context.close();
    }
  });

  it('the operator console, from the build manifest (its account belongs to the admin suite)', async () => {
    // The build's whole route manifest (pages inline only the part they need).
    const html = await (await fetch(`${appUrl}/login`)).text();
    const manifestPath = /"url": ?"(\/build\/manifest-[^"]+\.js)"/.exec(html)![1]!;
    const source = await (await fetch(`${appUrl}${manifestPath}`)).text();
    const manifest = JSON.parse(source.slice(source.indexOf('=') + 1).replace(/;\s*$/, '')) as {
      url: string;
      entry: { module: string; imports: string[] };
      routes: Record<string, { module: string; imports?: string[] }>;
    };
    const files = (ids: string[]) =>
      new Set([
        manifest.entry.module,
        ...manifest.entry.imports,
        ...ids.flatMap((id) => [manifest.routes[id]!.module, ...(manifest.routes[id]!.imports ?? [])]),
      ]);
    const admin = Object.keys(manifest.routes).filter((id) => id.startsWith('routes/admin.'));
    expect(admin.length).toBeGreaterThan(0);
    for (const id of admin) {
      const sizes = await Promise.all(
        [...files(['root', 'routes/admin', id])].map(async (file) =>
          gzipSize(Buffer.from(await (await fetch(`${appUrl}${file}`)).arrayBuffer())),
        ),
      );
      const upFront = sizes.reduce((a, b) => a + b, 0);
      table.push({
        page: `/${id.slice('routes/'.length).replace(/\./g, '/').replace('/_index', '')} (manifest)`,
        upFront,
        later: 0,
        budget: PAGE_BUDGET,
        counted: upFront,
      });
      expect.soft(upFront, `${id}: up-front JS`).toBeLessThanOrEqual(PAGE_BUDGET);
    }
  });
});
