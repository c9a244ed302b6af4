/**
 * The billing tabs in Chromium against the emulator (issue "The billing page, part 3"): the invoice
 * history (pages, filter, one invoice, its PDF), paying an open invoice in the page, cards, billing
 * details and the credit pack. Changes "made in Stripe" go through the emulator's API, and reach the
 * app by webhooks as they would in production.
 */
import Database from 'better-sqlite3';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage, screenshot, settled, signUp, submit } from './browser';

const appUrl = inject('appUrl');
const emulatorUrl = inject('emulatorUrl');
const emu = new URL(emulatorUrl);
const stripe = new Stripe('sk_test_emulator_e2e', {
  host: emu.hostname,
  port: Number(emu.port),
  protocol: 'http',
  telemetry: false,
  maxNetworkRetries: 0,
});
let browser: Browser;
let sql: Database.Database | null = null;

/** The portal's database, for the one link a backfill makes (a user row to an existing customer) and reads of the mirror. */
function appDb(): Database.Database {
  if (!sql) {
    sql = new Database(inject('appDatabasePath'), { fileMustExist: true });
    sql.pragma('busy_timeout = 5000');
  }
  return sql;
}

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  sql?.close();
  await browser?.close();
});

const DECLINE_NOISE = [/status of 402/];

async function open(page: Page, path: string) {
  await page.goto(`${appUrl}${path}`);
  await hydrated(page);
}

function cardFrame(page: Page) {
  return page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
}

async function fillCard(page: Page, number: string) {
  const f = cardFrame(page);
  await f.getByLabel('Card number').fill(number);
  await f.getByLabel('Expiration date').fill('12 / 34');
  await f.getByLabel('Security code').fill('123');
  await f.getByLabel('ZIP').fill('94103');
}

async function customerFor(email: string) {
  const { data } = await stripe.customers.list({ email, limit: 10 });
  expect(data).toHaveLength(1);
  return data[0]!;
}

/** Subscribes to Starter monthly with 4242 on the overview and waits for Active. */
async function subscribeStarter(page: Page) {
  await open(page, '/billing');
  await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
  await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 45_000 });
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: 'Pay $12.00' }).click();
  await expect.poll(async () => (await page.getByTestId('status-badge').first().textContent())?.trim(), { timeout: 30_000 }).toBe('Active');
}

/** Reloads `path` until `read` gives what we expect: webhooks reach the mirror in their own time. */
async function eventually<T>(page: Page, path: string, read: () => Promise<T>, expected: T | RegExp) {
  const poll = expect.poll(
    async () => {
      await open(page, path);
      return read();
    },
    { timeout: 60_000, interval: 1_000 },
  );
  if (expected instanceof RegExp) await poll.toMatch(expected);
  else await poll.toEqual(expected);
}

async function advanceEmulatorClock(seconds: number) {
  const res = await fetch(`${emulatorUrl}/_emulator/clock/advance`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });
  expect(res.status).toBe(200);
}

/** Both widths the issue asks for; the narrow one is a phone. */
async function screenshots(page: Page, name: string) {
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('invoices', () => {
  it('pages through a year of renewals on a test clock and the one-offs, filters Paid, opens the one with usage and downloads its PDF', async () => {
    const { page, errors, context } = await newPage(browser);
    const { email } = await signUp(page, appUrl);
    // The customer lives on a test clock of its own, so a year of its renewals leaves the emulator's
    // global clock (and every other test's customer) where it is. The app creates customers itself, so
    // the test makes this one in Stripe with the owner metadata the app resolves owners by, and links the
    // user row to it as `npm run stripe:backfill` finds a customer made elsewhere; the app then
    // subscribes it like any other (app/billing/customers.server.ts returns the linked customer).
    const userId = appDb().prepare('select id from users where email = ?').pluck().get(email) as string;
    const { now } = (await (await fetch(`${emulatorUrl}/_emulator/clock`)).json()) as { now: number };
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: now, name: 'a year of renewals' });
    const customer = await stripe.customers.create({ email, name: 'Test User', metadata: { userId }, test_clock: clock.id });
    expect(
      appDb().prepare('update users set stripe_customer_id = ? where id = ? and stripe_customer_id is null').run(customer.id, userId)
        .changes,
    ).toBe(1);
    await subscribeStarter(page);
    const [sub] = (await stripe.subscriptions.list({ customer: customer.id })).data;
    // The app's usage reporter gives a monthly subscription its plan's metered price (every few seconds).
    await expect
      .poll(
        async () => (await stripe.subscriptions.retrieve(sub!.id)).items.data.some((i) => i.price.recurring?.usage_type === 'metered'),
        {
          timeout: 30_000,
        },
      )
      .toBe(true);
    // 22,345 API calls reach Stripe in the first month: Starter includes 10,000, the rest is $0.01 each.
    await stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '22345' } });

    // Twelve renewals, a month at a time (to just past each period's end, so the renewal is finalized and paid).
    for (let month = 1; month <= 12; month++) {
      const periodEnd = (await stripe.subscriptions.retrieve(sub!.id)).items.data[0]!.current_period_end;
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: periodEnd + 2 * 3600 });
      await expect.poll(async () => (await stripe.testHelpers.testClocks.retrieve(clock.id)).status, { timeout: 30_000 }).toBe('ready');
    }
    // And, as if billed from the Stripe dashboard at the end of that year, 13 paid one-off invoices and an open one.
    for (let i = 0; i < 14; i++) {
      const draft = await stripe.invoices.create({
        customer: customer.id,
        collection_method: 'send_invoice',
        days_until_due: 14,
        auto_advance: false,
        description: `Support retainer ${i + 1}`,
      });
      await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 10_000 + i, currency: 'usd' });
      await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
      if (i < 13) await stripe.invoices.pay(draft.id, { paid_out_of_band: true });
    }
    const inStripe = (await stripe.invoices.list({ customer: customer.id, limit: 100 })).data.filter((i) => i.status !== 'draft');
    const renewals = inStripe.filter((i) => i.billing_reason === 'subscription_cycle').sort((a, b) => a.created - b.created);
    expect(renewals).toHaveLength(12);
    expect(inStripe).toHaveLength(27); // the first invoice, 12 renewals, 14 one-offs
    const paidInStripe = inStripe.filter((i) => i.status === 'paid').map((i) => i.id);
    expect(paidInStripe).toHaveLength(26);
    // Webhooks bring them to the mirror in their own time: wait until it holds each as Stripe does.
    const mirrored = () =>
      appDb().prepare(`select id, status from invoices where customer_id = ? and status in ('paid', 'open')`).all(customer.id) as {
        id: string;
        status: string;
      }[];
    await expect
      .poll(() => mirrored().filter((r) => r.status === 'paid').length, { timeout: 90_000, interval: 1_000 })
      .toBe(paidInStripe.length);
    await expect.poll(() => mirrored().length, { timeout: 30_000 }).toBe(inStripe.length);

    await open(page, '/billing/invoices');
    expect(await page.getByRole('link', { name: 'Invoices' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('invoice-row').count()).toBe(25);
    const rowIds = () => page.getByTestId('invoice-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    const firstPage = await rowIds();
    await screenshots(page, 'invoices');
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/cursor=a\./);
    await settled(page);
    // Idle router, but the new rows may not be drawn yet: the second page has the other 2 of 27.
    await expect.poll(() => page.getByTestId('invoice-row').count()).toBe(2);
    const secondPage = await rowIds();
    expect(await page.getByRole('link', { name: 'Next →' }).count()).toBe(0);
    // Every invoice exactly once across the pages, and nothing else.
    expect([...firstPage, ...secondPage].sort()).toEqual(inStripe.map((i) => i.id).sort());
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL(/cursor=b\./);
    await settled(page);
    await expect.poll(() => page.getByTestId('invoice-row').count()).toBe(25);
    expect(await rowIds()).toEqual(firstPage);

    await page.getByRole('link', { name: 'Paid', exact: true }).click();
    await page.waitForURL(/status=paid/);
    await settled(page);
    // The router is idle a moment before React has drawn the filtered page: wait for what only that page shows.
    await expect.poll(() => page.getByRole('link', { name: 'Paid', exact: true }).getAttribute('aria-current')).toBe('page');
    const badges = await page.getByTestId('invoice-history').getByTestId('status-badge').allTextContents();
    expect(badges.length).toBe(25);
    expect(new Set(badges)).toEqual(new Set(['Paid']));
    const paidFirst = await rowIds();
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/status=paid.*cursor=a\.|cursor=a\..*status=paid/);
    await settled(page);
    await expect.poll(() => page.getByTestId('invoice-row').count()).toBe(1);
    expect([...paidFirst, ...(await rowIds())].sort()).toEqual([...paidInStripe].sort());
    expect(await page.getByTestId('invoice-history').getByTestId('status-badge').allTextContents()).toEqual(['Paid']);

    // The first renewal billed the month's usage: it is on the first page of Paid, with its usage in words.
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL(/cursor=b\./);
    await settled(page);
    const usageRow = page.locator(`[data-testid="invoice-row"][data-id="${renewals[0]!.id}"]`);
    expect(await usageRow.getByTestId('invoice-for').textContent()).toMatch(/^Starter \(monthly\) · .+ · with usage$/);
    await usageRow.getByRole('link', { name: /^View invoice/ }).click();
    await page.waitForURL(/\/billing\/invoices\/in_/);
    await hydrated(page);
    const lines = await page.getByTestId('invoice-lines').textContent();
    expect(lines).toContain('$12.00');
    expect(lines).toContain('API calls');
    expect(lines).toContain('12,345 calls × $0.01 beyond 10,000 included');
    expect(lines).toContain('$123.45');
    expect(await page.getByTestId('amount-paid').textContent()).toContain('$135.45');
    await screenshots(page, 'invoice-detail-usage');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
    const file = await download.path();
    const fs = await import('node:fs');
    expect(fs.readFileSync(file!).subarray(0, 5).toString()).toBe('%PDF-');

    // A later month had no usage: "within" the allowance, nothing to pay for it.
    await open(page, `/billing/invoices/${renewals[1]!.id}`);
    expect(await page.getByTestId('invoice-lines').textContent()).toContain('0 calls, within 10,000 included');
    expect(await page.getByTestId('amount-paid').textContent()).toContain('$12.00');
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('pays an open past-due invoice with a new 3D Secure card, and the subscription is Active again', async () => {
    const { page, errors, context } = await newPage(browser, { allow: DECLINE_NOISE });
    const { email } = await signUp(page, appUrl);
    await subscribeStarter(page);
    const customer = await customerFor(email);
    const [sub] = (await stripe.subscriptions.list({ customer: customer.id })).data;
    // The renewal fails on a card that is declined when charged (as if changed in the dashboard).
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    await stripe.subscriptions.update(sub!.id, { default_payment_method: failing.id });
    await advanceEmulatorClock(32 * 86_400);
    await eventually(page, '/billing', async () => (await page.getByTestId('status-badge').first().textContent())?.trim(), 'Past due');
    await eventually(page, '/billing/invoices?status=open', () => page.getByTestId('invoice-row').count(), 1);
    await page.getByRole('link', { name: /^View invoice/ }).click();
    await page.waitForURL(/\/billing\/invoices\/in_/);
    await hydrated(page);
    expect((await page.getByTestId('status-badge').first().textContent())?.trim()).toBe('Past due');
    await page.getByRole('button', { name: 'Pay with a new card' }).click();
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 30_000 });
    await screenshots(page, 'invoice-pay');
    await fillCard(page, '4000002500003155');
    await page.getByRole('button', { name: 'Pay $12.00' }).click();
    const challenge = page.frameLocator('iframe[title="3D Secure authentication"]');
    await challenge.getByRole('button', { name: 'Complete' }).click({ timeout: 30_000 });
    await page.getByText('Payment received. Thank you!').waitFor({ timeout: 30_000 });
    // The message comes with the action's answer (the pay panel shows it), the badge with the
    // revalidation after it: poll the badge.
    await expect.poll(async () => (await page.getByTestId('status-badge').first().textContent())?.trim(), { timeout: 15_000 }).toBe('Paid');
    await eventually(page, '/billing', async () => (await page.getByTestId('status-badge').first().textContent())?.trim(), 'Active');
    assertNoConsoleErrors(errors);
    await context.close();
  });
});

describe('cards and credits', () => {
  it('cannot remove the only default card while subscribed; adds a second card, makes it default, removes the old one', async () => {
    // The refused removal is answered 409: the browser logs that response.
    const { page, errors, context } = await newPage(browser, { allow: [/status of 409/] });
    await signUp(page, appUrl);
    await subscribeStarter(page);
    await open(page, '/billing/payment-methods');
    const visa = page.getByTestId('card-row').filter({ hasText: 'Visa ending in 4242' });
    expect(await visa.getByText('Default').isVisible()).toBe(true);
    await submit(page, '/billing/payment-methods', () => visa.getByRole('button', { name: /^Remove/ }).click());
    await page.getByText('This card pays for your subscription, so it cannot be removed.').waitFor();

    await submit(page, '/billing/payment-methods', () => page.getByRole('button', { name: 'Add card' }).click());
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 30_000 });
    await screenshots(page, 'payment-methods-add');
    await fillCard(page, '5555555555554444');
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.getByText('Your card is saved.').waitFor({ timeout: 30_000 });
    await settled(page);
    // The message comes with the action's answer, the list with the revalidation after it: poll the list.
    await expect.poll(() => page.getByTestId('card-row').count(), { timeout: 15_000 }).toBe(2);
    const mastercard = page.getByTestId('card-row').filter({ hasText: 'Mastercard ending in 4444' });
    await submit(page, '/billing/payment-methods', () => mastercard.getByRole('button', { name: /^Make default/ }).click());
    await page.getByText('That card is now your default.').waitFor();
    await expect.poll(() => mastercard.getByText('Default').isVisible(), { timeout: 15_000 }).toBe(true);
    await submit(page, '/billing/payment-methods', () => visa.getByRole('button', { name: /^Remove/ }).click());
    await page.getByText('The card is removed.').waitFor();
    await expect.poll(() => page.getByTestId('card-row').count(), { timeout: 15_000 }).toBe(1);
    await screenshots(page, 'payment-methods');
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('buys a credit pack with 4242 and sees the credits and the receipt; a declined purchase leaves no more credits', async () => {
    const { page, errors, context } = await newPage(browser, { allow: DECLINE_NOISE });
    await signUp(page, appUrl);
    await open(page, '/billing/credits');
    expect(await page.getByTestId('credit-balance').textContent()).toBe('Credits: 0');
    await submit(page, '/billing/credits', () => page.getByRole('button', { name: 'Buy for $25.00' }).click());
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 30_000 });
    await fillCard(page, '4242424242424242');
    await page.getByRole('button', { name: 'Pay $25.00' }).click();
    await page.getByText('Thank you! Your credits are ready: 5,000 in total.').waitFor({ timeout: 30_000 });
    await settled(page);
    // The revalidated page can be drawn a moment after the router is idle: poll the new balance (it failed
    // once in CI reading the old one).
    await expect.poll(() => page.getByTestId('credit-balance').textContent(), { timeout: 15_000 }).toBe('Credits: 5,000');
    await expect.poll(() => page.getByTestId('purchase-list').textContent(), { timeout: 15_000 }).toMatch(/Credit pack\$25\.00Paid/);
    await screenshots(page, 'credits');

    // A declined card: the decline beside the form, no more credits.
    await submit(page, '/billing/credits', () => page.getByRole('button', { name: 'Buy for $25.00' }).click());
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 30_000 });
    await fillCard(page, '4000000000000002');
    await page.getByRole('button', { name: 'Pay $25.00' }).click();
    await expect.poll(() => page.getByTestId('payment-error').textContent(), { timeout: 20_000 }).toBe('Your card was declined.');
    await open(page, '/billing/credits');
    expect(await page.getByTestId('credit-balance').textContent()).toBe('Credits: 5,000');

    // The receipt is in the invoice history as "Credit pack".
    await open(page, '/billing/invoices');
    expect(await page.getByTestId('invoice-row').filter({ hasText: 'Credit pack' }).count()).toBe(1);
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('edits the billing address and a tax ID, and sees them on the next invoice', async () => {
    // 400: the bad tax ID; 404: the next invoice's page polled before the webhook has mirrored it.
    const { page, errors, context } = await newPage(browser, { allow: [/status of 400/, /status of 404/] });
    const { email } = await signUp(page, appUrl);
    await subscribeStarter(page);
    await open(page, '/billing/details');
    expect(await page.getByRole('link', { name: 'Billing details' }).getAttribute('aria-current')).toBe('page');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Acme Customer Ltd');
    await page.getByRole('textbox', { name: 'Address', exact: true }).fill('10 Downing Street');
    await page.getByRole('textbox', { name: 'City', exact: true }).fill('London');
    await page.getByRole('textbox', { name: 'Postal code', exact: true }).fill('SW1A 2AA');
    await page.getByRole('textbox', { name: 'Country', exact: true }).fill('GB');
    await submit(page, '/billing/details', () => page.getByRole('button', { name: 'Save details' }).click());
    await page.getByText('Saved. Your next invoices show these details.').waitFor();
    await page.getByRole('combobox', { name: 'Kind' }).selectOption('gb_vat');
    await page.getByRole('textbox', { name: 'Tax ID', exact: true }).fill('GB12');
    await submit(page, '/billing/details', () => page.getByRole('button', { name: 'Add tax ID' }).click());
    await page.getByText('Invalid value for gb_vat.').waitFor();
    await page.getByRole('textbox', { name: 'Tax ID', exact: true }).fill('GB123456789');
    await submit(page, '/billing/details', () => page.getByRole('button', { name: 'Add tax ID' }).click());
    await page.getByText('Tax ID added. Your next invoices show it.').waitFor();
    await screenshots(page, 'billing-details');

    // The next invoice (billed from the dashboard) prints them.
    const customer = await customerFor(email);
    const draft = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 14,
      auto_advance: false,
    });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 4200,
      currency: 'usd',
      description: 'Onboarding',
    });
    await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    await eventually(
      page,
      `/billing/invoices/${draft.id}`,
      // Not mirrored yet is a 404 page without the section: read nothing then, rather than wait for it.
      async () => ((await page.getByTestId('billed-to').count()) ? ((await page.getByTestId('billed-to').textContent()) ?? '') : ''),
      /Acme Customer Ltd.*10 Downing Street.*London.*GB123456789/,
    );
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
