/**
 * Compatibility app 1 (emulator/tests/compat/payment-element): Payment Element + Link
 * Authentication Element, current SDK, Stripe.js loaded from https://js.stripe.com/v3/ with that
 * host mapped to the emulator (as a DNS or proxy mapping would).
 */
import type { BrowserContext } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertNoConsoleErrors, launch, newPage, screenshot } from '../../../tests/e2e/browser';
import { EMULATOR_PUBLISHABLE_KEY, EMULATOR_SECRET_KEY, startEmulator } from '../../src/index';
import { startPaymentElementApp } from '../compat/payment-element/server';
import type { RunningApp } from '../compat/serve';
import { fillCard } from './harness';

let emu: Awaited<ReturnType<typeof startEmulator>>;
let app: RunningApp;
let browser: Awaited<ReturnType<typeof launch>>;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  stripe = new Stripe(EMULATOR_SECRET_KEY, { host: '127.0.0.1', port: emu.port, protocol: 'http', telemetry: false });
  app = await startPaymentElementApp(stripe, EMULATOR_PUBLISHABLE_KEY);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await emu?.close();
});

/** Every request to js.stripe.com (the script, its frames, its API calls) answered by the emulator. */
async function mapStripeHost(context: BrowserContext) {
  await context.route('https://js.stripe.com/**', async (route) => {
    const u = new URL(route.request().url());
    const response = await route.fetch({ url: `${emu.url}${u.pathname}${u.search}` });
    await route.fulfill({ response });
  });
}

it('pays with the Payment Element; the Link Authentication email reaches the payment; express checkout says it is offline', async () => {
  const { page, errors, context } = await newPage(browser);
  await mapStripeHost(context);
  await page.goto(`${app.url}/`);
  const emailFrame = page.frameLocator('iframe[title="Secure email input frame"]');
  await emailFrame.getByLabel('Email').fill('jenny.rosen@example.com');
  await fillCard(page, { number: '4242424242424242', zip: '94103' });
  await expect(
    page
      .locator('#express-checkout-element')
      .getByText(/not available offline/)
      .count(),
  ).resolves.toBe(1);
  await page.waitForFunction(() => (document.querySelector('#express-checkout-element') as HTMLElement).dataset.empty === 'true');
  await screenshot(page, 'compat-payment-element');
  await page.getByRole('button', { name: 'Pay now' }).click();
  await page.waitForURL(/\/complete\.html\?/);
  await page.locator('#status-text', { hasText: 'Payment succeeded' }).waitFor();
  const params = new URL(page.url()).searchParams;
  expect(params.get('redirect_status')).toBe('succeeded');
  const pi = await stripe.paymentIntents.retrieve(params.get('payment_intent')!, { expand: ['payment_method'] });
  expect(pi.status).toBe('succeeded');
  expect(pi.amount).toBe(1400);
  expect(pi.receipt_email).toBe('jenny.rosen@example.com');
  expect((pi.payment_method as Stripe.PaymentMethod).billing_details.email).toBe('jenny.rosen@example.com');
  await expect(page.locator('#intent-id').textContent()).resolves.toBe(pi.id);
  assertNoConsoleErrors(errors);
  await context.close();
});

it('an invalid email in the Link Authentication Element stops the payment before anything is sent', async () => {
  const { page, errors, context } = await newPage(browser);
  await mapStripeHost(context);
  await page.goto(`${app.url}/`);
  await page.frameLocator('iframe[title="Secure email input frame"]').getByLabel('Email').fill('not-an-email');
  await fillCard(page, { number: '4242424242424242', zip: '94103' });
  await page.getByRole('button', { name: 'Pay now' }).click();
  await page.locator('#payment-message', { hasText: 'Your email address is invalid.' }).waitFor();
  expect(page.url()).toBe(`${app.url}/`);
  assertNoConsoleErrors(errors);
  await context.close();
});
