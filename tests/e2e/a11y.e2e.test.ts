/**
 * Every page state the browser suite visits, checked with axe-core (no serious or critical
 * violation) and at a 390 px phone width (the document never scrolls sideways): the app signed out
 * and signed in through the billing states, and the emulator's hosted Checkout, portal, invoice and
 * 3D Secure pages. One paying account walks the states; a second one holds the trial.
 * `A11Y_SHOTS=/some/dir` also saves every state at 1280 and 390 px there, to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  assertNoConsoleErrors,
  axeCheck,
  documentWidth,
  hydrated,
  launch,
  newPage,
  settled,
  signUp,
  submit,
  type A11yViolation,
} from './browser';

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
const SHOTS = process.env.A11Y_SHOTS;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
// Card declines are answered 402 by the (emulated) Stripe API; the 404 state is a 404.
// The reset page answers a dead link 400.
const EXPECTED_NOISE = [/status of 40[024]/];

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Finding {
  state: string;
  violations?: A11yViolation[];
  width?: number;
  landmarks?: { main: number; h1: number };
}

/** Checks the page as it is now: axe at desktop width, the document's width at phone width. */
async function inspect(page: Page, state: string, findings: Finding[]) {
  const landmarks = await page.evaluate(() => ({
    main: document.querySelectorAll('main, [role="main"]').length,
    h1: document.querySelectorAll('h1').length,
  }));
  if (landmarks.main !== 1 || landmarks.h1 !== 1) findings.push({ state, landmarks });
  if (landmarks.main !== 1 || landmarks.h1 !== 1) console.warn(`${state}: ${landmarks.main} main, ${landmarks.h1} h1`);
  const violations = await axeCheck(page);
  if (violations.length) findings.push({ state, violations });
  if (violations.length) console.warn(`axe, ${state}:`, JSON.stringify(violations, null, 1));
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${state}-1280.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  const width = await documentWidth(page);
  if (width > PHONE.width) findings.push({ state, width });
  if (width > PHONE.width) console.warn(`${state} is ${width} px wide at ${PHONE.width} px`);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${state}-390.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function visit(page: Page, pathname: string) {
  await page.goto(pathname.startsWith('http') ? pathname : `${appUrl}${pathname}`);
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

async function badgeText(page: Page) {
  await page.getByTestId('status-badge').first().waitFor({ timeout: 20_000 });
  return (await page.getByTestId('status-badge').first().textContent())?.trim();
}

async function customerFor(email: string) {
  const { data } = await stripe.customers.list({ email, limit: 10 });
  expect(data).toHaveLength(1);
  return data[0]!;
}

beforeAll(() => {
  if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });
});

describe('accessibility and phone width of every page state', () => {
  it('signed out: landing, log in, sign up, password reset and a missing page', async () => {
    const { page, errors, context } = await newPage(browser, { allow: EXPECTED_NOISE });
    const findings: Finding[] = [];
    await visit(page, '/');
    await inspect(page, 'landing', findings);
    await visit(page, '/login');
    await inspect(page, 'login', findings);
    await visit(page, '/signup');
    await inspect(page, 'signup', findings);
    await visit(page, '/forgot-password');
    await inspect(page, 'forgot-password', findings);
    await visit(page, '/reset-password?token=not-a-token');
    await inspect(page, 'reset-password', findings);
    const missing = await page.goto(`${appUrl}/no-such-page`);
    expect(missing?.status()).toBe(404);
    await hydrated(page);
    await inspect(page, 'not-found-signed-out', findings);
    expect(findings).toEqual([]);
    // The 404 page hydrates without React's hydration error (#418).
    assertNoConsoleErrors(errors);
    await context.close();
  });
});

describe('accessibility and phone width: one paying customer through the billing states', () => {
  let page: Page;
  let errors: string[];
  let context: BrowserContext;
  let email: string;
  const findings: Finding[] = [];
  beforeAll(async () => {
    ({ page, errors, context } = await newPage(browser, { allow: EXPECTED_NOISE }));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('a new account: no plan, the card form, a decline, then active', async () => {
    ({ email } = await signUp(page, appUrl));
    await hydrated(page);
    await inspect(page, 'dashboard-new', findings);

    await visit(page, '/billing');
    await inspect(page, 'billing-no-plan', findings);
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 45_000 });
    await inspect(page, 'billing-card-form', findings);

    // A decline, then the retry with a good card.
    await fillCard(page, '4000000000009995');
    await page.getByRole('button', { name: 'Pay $12.00' }).click();
    await page.getByTestId('payment-error').waitFor({ timeout: 20_000 });
    await inspect(page, 'billing-declined', findings);
    await fillCard(page, '4242424242424242');
    await page.getByRole('button', { name: 'Pay $12.00' }).click();
    await expect.poll(() => badgeText(page), { timeout: 20_000 }).toBe('Active');
    await settled(page);
    await inspect(page, 'billing-active', findings);
    expect(findings).toEqual([]);
  });

  it('the plans, a review, the cancel dialog, cancel pending', async () => {
    await visit(page, '/billing/plans');
    await inspect(page, 'plans-picker', findings);
    await visit(page, '/billing/plans?plan=pro&interval=month');
    await inspect(page, 'plan-review', findings);

    await visit(page, '/billing');
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel your subscription?' });
    await dialog.waitFor();
    await inspect(page, 'billing-cancel-dialog', findings);
    await submit(page, '/billing', () => dialog.getByRole('button', { name: 'Cancel at period end' }).click());
    await expect.poll(() => badgeText(page), { timeout: 20_000 }).toMatch(/^Cancels on/);
    await inspect(page, 'billing-cancel-pending', findings);
    await submit(page, '/billing', () => page.getByRole('button', { name: 'Keep my subscription' }).click());
    await expect.poll(() => badgeText(page), { timeout: 20_000 }).toBe('Active');
    expect(findings).toEqual([]);
  });

  it('invoices, payment methods, details, credits, usage, API keys, account, 404', async () => {
    await visit(page, '/billing/invoices');
    await inspect(page, 'invoices', findings);
    await page
      .getByRole('link', { name: /^View invoice/ })
      .first()
      .click();
    await page.waitForURL(/\/billing\/invoices\/in_/);
    await hydrated(page);
    await inspect(page, 'invoice-detail', findings);
    for (const [pathname, state] of [
      ['/billing/payment-methods', 'payment-methods'],
      ['/billing/details', 'billing-details'],
      ['/billing/credits', 'credits'],
      ['/billing/usage', 'usage'],
      ['/api-keys', 'api-keys-empty'],
    ] as const) {
      await visit(page, pathname);
      await inspect(page, state, findings);
    }
    await page.getByLabel('Key name').fill('Production server with a rather long name');
    await submit(page, '/api-keys', () => page.getByRole('button', { name: 'Create key' }).click());
    await page.getByTestId('new-api-key').waitFor();
    await inspect(page, 'api-keys-new-key', findings);
    await visit(page, '/account');
    await inspect(page, 'account', findings);
    await visit(page, '/dashboard');
    await inspect(page, 'dashboard', findings);
    await page.goto(`${appUrl}/no-such-page`);
    await hydrated(page);
    await inspect(page, 'not-found-signed-in', findings);
    expect(findings).toEqual([]);
  });

  it('the emulator’s hosted portal, invoice, Checkout and 3D Secure pages', async () => {
    // The emulator's hosted pages: the portal (through the app's own button), an invoice, Checkout, 3DS.
    await visit(page, '/billing');
    await page.getByRole('button', { name: 'Open Stripe customer portal' }).click();
    await page.waitForURL(new RegExp(`^http://(localhost|127\\.0\\.0\\.1):${emu.port}/portal/`));
    await inspect(page, 'emulator-portal', findings);
    const customer = await customerFor(email);
    const [invoice] = (await stripe.invoices.list({ customer: customer.id, limit: 1 })).data;
    await page.goto(invoice!.hosted_invoice_url!);
    await inspect(page, 'emulator-invoice', findings);
    const oneTime = (await stripe.prices.list({ active: true, type: 'one_time', limit: 1 })).data[0];
    const checkout = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: customer.id,
      line_items: [{ price: oneTime!.id, quantity: 1 }],
      success_url: `${appUrl}/billing/credits`,
      cancel_url: `${appUrl}/billing/credits`,
    });
    await page.goto(checkout.url!);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await inspect(page, 'emulator-checkout', findings);
    const intent = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: `${appUrl}/billing`,
    });
    expect(intent.next_action?.type).toBe('redirect_to_url');
    await page.goto(intent.next_action!.redirect_to_url!.url!);
    await inspect(page, 'emulator-3ds', findings);
    expect(findings).toEqual([]);
    assertNoConsoleErrors(errors);
  });
});

describe('accessibility and phone width: a trial', () => {
  it('a trial', async () => {
    const { page, errors, context } = await newPage(browser);
    const findings: Finding[] = [];
    await signUp(page, appUrl);
    await visit(page, '/billing');
    await page.getByRole('button', { name: 'Start 14-day trial' }).click();
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 45_000 });
    await fillCard(page, '5555555555554444');
    await page.getByRole('button', { name: 'Start free trial' }).click();
    await page.getByText('Your free trial has started.').waitFor({ timeout: 20_000 });
    await expect.poll(() => badgeText(page), { timeout: 20_000 }).toBe('Trial');
    await settled(page);
    await inspect(page, 'billing-trial', findings);
    expect(findings).toEqual([]);
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
