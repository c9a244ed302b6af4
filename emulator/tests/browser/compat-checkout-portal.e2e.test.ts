/**
 * Compatibility app 3 (emulator/tests/compat/checkout-portal): Checkout + customer portal as
 * Stripe's single-subscription sample drives them (form posts, 303s to the hosted pages, the
 * portal's return link), and the older Stripe.js `redirectToCheckout`.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertNoConsoleErrors, launch, newPage, screenshot } from '../../../tests/e2e/browser';
import { EMULATOR_PUBLISHABLE_KEY, EMULATOR_SECRET_KEY, startEmulator } from '../../src/index';
import { startCheckoutPortalApp, type CheckoutPortalApp } from '../compat/checkout-portal/server';
import { fillCard } from './harness';

let emu: Awaited<ReturnType<typeof startEmulator>>;
let app: CheckoutPortalApp;
let browser: Awaited<ReturnType<typeof launch>>;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  stripe = new Stripe(EMULATOR_SECRET_KEY, { host: '127.0.0.1', port: emu.port, protocol: 'http', telemetry: false });
  app = await startCheckoutPortalApp(stripe, emu.url, EMULATOR_PUBLISHABLE_KEY);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await emu?.close();
});

it('subscribes through hosted Checkout, opens the portal from the success page and returns', async () => {
  const { page, errors, context } = await newPage(browser);
  await page.goto(`${app.url}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await page.waitForURL(`${emu.url}/checkout/**`);
  await page.getByLabel('Email').fill('sample@example.com');
  await fillCard(page, { number: '4242424242424242', zip: '94103' });
  await page.getByLabel('Cardholder name').fill('Jenny Rosen');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.waitForURL(/\/success\.html\?session_id=cs_/);
  await page.locator('#session', { hasText: 'complete paid' }).waitFor();
  const sessionId = new URL(page.url()).searchParams.get('session_id')!;
  const session = await stripe.checkout.sessions.retrieve(sessionId, { expand: ['subscription'] });
  expect((session.subscription as Stripe.Subscription).status).toBe('active');

  await page.getByRole('button', { name: 'Manage billing' }).click();
  await page.waitForURL(`${emu.url}/portal/**`);
  await page.getByText('Starter', { exact: true }).first().waitFor();
  await expect(page.getByText('Active').count()).resolves.toBeGreaterThan(0);
  await screenshot(page, 'compat-portal');
  await page.getByRole('link', { name: /Return to/ }).click();
  await page.waitForURL(`${app.url}/`);
  assertNoConsoleErrors(errors);
  await context.close();
});

it('redirectToCheckout({ sessionId }) opens the hosted Checkout page of that session; cancel comes back', async () => {
  const { page, errors, context } = await newPage(browser);
  await page.goto(`${app.url}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.getByRole('button', { name: 'Subscribe with Stripe.js' }).click();
  await page.waitForURL(`${emu.url}/checkout/cs_**`);
  await expect(page.getByText('Subscribe to Starter').count()).resolves.toBe(1);
  await page.getByRole('link', { name: 'Back to the merchant' }).click();
  await page.waitForURL(`${app.url}/canceled.html`);
  assertNoConsoleErrors(errors);
  await context.close();
});
