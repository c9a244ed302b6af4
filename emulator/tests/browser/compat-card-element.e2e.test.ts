/**
 * Compatibility app 2 (emulator/tests/compat/card-element): Card Element + confirmCardPayment with a
 * server pinned to API version 2023-10-16 (`expand: ['latest_invoice.payment_intent']`, a webhook
 * endpoint of that version), the split card elements, and the Card Element at 280 px.
 */
import type { Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, launch, newPage, screenshot } from '../../../tests/e2e/browser';
import { EMULATOR_PUBLISHABLE_KEY, EMULATOR_SECRET_KEY, startEmulator } from '../../src/index';
import { startCardElementApp, type CardElementApp } from '../compat/card-element/server';
import { waitFor } from '../helpers';

let emu: Awaited<ReturnType<typeof startEmulator>>;
let app: CardElementApp;
let browser: Awaited<ReturnType<typeof launch>>;
let stripe: Stripe;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  stripe = new Stripe(EMULATOR_SECRET_KEY, { host: '127.0.0.1', port: emu.port, protocol: 'http', telemetry: false });
  app = await startCardElementApp(emu, EMULATOR_PUBLISHABLE_KEY, EMULATOR_SECRET_KEY);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await emu?.close();
});

const cardFrame = (page: Page, nth = 0) => page.frameLocator('iframe[title="Secure payment input frame"]').nth(nth);

/** Subscribes on the open page and returns the subscription id the page shows. */
async function subscribe(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.locator('#result', { hasText: 'Payment succeeded' }).waitFor();
  return (await page.locator('#result').getAttribute('data-subscription'))!;
}

/** The old-shape invoice.payment_succeeded of a subscription, and its effect (the card made default by the sample's handler). */
async function checkWebhook(subscriptionId: string) {
  const event = await waitFor(
    () =>
      app.events.find(
        (e) =>
          e.type === 'invoice.payment_succeeded' && (e.data.object as unknown as { subscription: string }).subscription === subscriptionId,
      ),
    10_000,
  );
  expect(event.api_version).toBe('2023-10-16');
  const invoice = event.data.object as unknown as Record<string, unknown>;
  expect(invoice.payment_intent).toMatch(/^pi_/);
  expect(invoice.charge).toMatch(/^ch_/);
  expect(invoice.paid).toBe(true);
  expect(invoice.parent).toBeUndefined();
  // the sample's handler makes the first payment's card the subscription's default
  let sub = await stripe.subscriptions.retrieve(subscriptionId);
  for (let i = 0; i < 100 && !sub.default_payment_method; i++) {
    await new Promise((r) => setTimeout(r, 100));
    sub = await stripe.subscriptions.retrieve(subscriptionId);
  }
  expect(sub.default_payment_method).toMatch(/^pm_/);
  expect(sub.status).toBe('active');
  return sub;
}

describe('Card Element on API version 2023-10-16', () => {
  it('subscribes: the client secret comes from latest_invoice.payment_intent and the webhook reads the old invoice shape', async () => {
    const { page, errors, context } = await newPage(browser);
    await page.goto(`${app.url}/`);
    const f = cardFrame(page);
    await f.getByLabel('Card number').fill('4242424242424242');
    await f.getByLabel('Expiration date').fill('12 / 34');
    await f.getByLabel('Security code').fill('123');
    await f.getByLabel('ZIP').fill('94103');
    await screenshot(page, 'compat-card-element');
    const subscriptionId = await subscribe(page);
    const sub = await checkWebhook(subscriptionId);
    const pm = await stripe.paymentMethods.retrieve(sub.default_payment_method as string);
    expect(pm.billing_details.name).toBe('Jenny Rosen');
    expect(pm.card?.last4).toBe('4242');
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('shows a declined card as the sample does', async () => {
    const { page, errors, context } = await newPage(browser, { allow: [/402/] });
    await page.goto(`${app.url}/`);
    const f = cardFrame(page);
    await f.getByLabel('Card number').fill('4000000000000002');
    await f.getByLabel('Expiration date').fill('12 / 34');
    await f.getByLabel('Security code').fill('123');
    await f.getByLabel('ZIP').fill('94103');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('#card-errors', { hasText: 'Your card was declined.' }).waitFor();
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('subscribes with the split card elements (cardNumber, cardExpiry, cardCvc)', async () => {
    const { page, errors, context } = await newPage(browser);
    await page.goto(`${app.url}/split.html`);
    await cardFrame(page, 0).getByLabel('Card number').fill('4242424242424242');
    await cardFrame(page, 1).getByLabel('Expiration date').fill('12 / 34');
    await cardFrame(page, 2).getByLabel('Security code').fill('12');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('#card-errors', { hasText: "Your card's security code is incomplete." }).waitFor();
    await cardFrame(page, 2).getByLabel('Security code').fill('123');
    await screenshot(page, 'compat-split-card');
    const subscriptionId = await subscribe(page);
    const sub = await checkWebhook(subscriptionId);
    const pm = await stripe.paymentMethods.retrieve(sub.default_payment_method as string);
    expect(pm.card).toMatchObject({ last4: '4242', exp_month: 12, exp_year: 2034 });
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('lays the Card Element out at 280 px: number, expiry, CVC and ZIP fully visible', async () => {
    const { page, errors, context } = await newPage(browser);
    await page.setViewportSize({ width: 300, height: 700 });
    await page.goto(`${app.url}/`);
    const iframe = page.locator('iframe[title="Secure payment input frame"]');
    await cardFrame(page).getByLabel('Card number').fill('4242424242424242');
    const frameBox = (await page.locator('#card-element').boundingBox())!;
    expect(Math.round(frameBox.width)).toBe(280);
    for (const label of ['Card number', 'Expiration date', 'Security code', 'ZIP']) {
      const box = (await cardFrame(page).getByLabel(label).boundingBox())!;
      expect(box.x, label).toBeGreaterThanOrEqual(frameBox.x);
      expect(box.x + box.width, label).toBeLessThanOrEqual(frameBox.x + frameBox.width + 0.5);
      expect(box.width, label).toBeGreaterThanOrEqual(label === 'Card number' ? 150 : 45);
    }
    // the number is not cut: the input is wide enough for all of it
    const fits = await cardFrame(page)
      .getByLabel('Card number')
      .evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth);
    expect(fits).toBe(true);
    const iframeBox = (await iframe.boundingBox())!;
    expect(iframeBox.height).toBeGreaterThan(60);
    await screenshot(page, 'compat-card-element-280');
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
