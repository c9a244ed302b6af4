/**
 * The real <Elements><PaymentElement/></Elements> on a merchant page (another origin) against the
 * emulator's stripe.js: payments, setup, 3DS, declines, inline validation, redirects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { assertNoConsoleErrors, newPage, screenshot } from '../../../tests/e2e/browser';
import { cardFrame, fillCard, resultOf, startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function openPage(query: Record<string, string>): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const { context, page, errors } = await newPage(h.browser);
  const qs = new URLSearchParams({ pk: h.pk, ...query });
  await page.goto(`${h.merchantUrl}/?${qs}`);
  await page.locator('#state[data-ready="true"]').waitFor({ state: 'attached', timeout: 15_000 });
  return { page, errors, close: () => context.close() };
}

async function paymentIntent(amount = 2000) {
  const customer = await h.stripe.customers.create({ email: 'buyer@example.com' });
  return h.stripe.paymentIntents.create({ amount, currency: 'usd', customer: customer.id });
}

describe('Payment Element (react-stripe-js) against the emulator', () => {
  it('exposes the Stripe.js version @stripe/stripe-js expects and what react-stripe-js checks', async () => {
    const pi = await paymentIntent();
    const { page, errors, close } = await openPage({ cs: pi.client_secret! });
    const info = await page.evaluate(() => {
      const S = (window as unknown as { Stripe: any }).Stripe;
      const s = S('pk_test_x');
      return {
        version: S.version,
        fns: [
          'elements',
          'createToken',
          'createPaymentMethod',
          'confirmCardPayment',
          'confirmPayment',
          'confirmSetup',
          'retrievePaymentIntent',
          'retrieveSetupIntent',
          'handleNextAction',
          '_registerWrapper',
          'registerAppInfo',
        ].filter((k) => typeof s[k] !== 'function'),
      };
    });
    expect(info).toEqual({ version: 'endive', fns: [] });
    // the card form lives in an iframe served by the emulator, not in the merchant's DOM
    const frame = page.locator('iframe[name^="__privateStripeFrame"]');
    expect(await frame.getAttribute('src')).toContain(`${h.emu.url}/js/elements-frame`);
    expect(await page.locator('input').count()).toBe(0);
    const f = cardFrame(page);
    for (const label of ['Card number', 'Expiration date', 'Security code', 'Country', 'ZIP'])
      await expect(f.getByLabel(label).count()).resolves.toBe(1);
    // appearance variables from <Elements options={{ appearance }}> reach the iframe
    const style = await f.getByLabel('Card number').evaluate((el) => {
      const cs = getComputedStyle(el);
      return {
        radius: cs.borderTopLeftRadius,
        font: cs.fontFamily,
        primary: getComputedStyle(document.documentElement).getPropertyValue('--colorPrimary').trim(),
      };
    });
    expect(style).toEqual({ radius: '8px', font: 'system-ui, sans-serif', primary: '#4f46e5' });
    assertNoConsoleErrors(errors);
    await close();
  });

  it('4242 4242 4242 4242 pays (redirect: if_required) and the PaymentIntent succeeds', async () => {
    const pi = await paymentIntent();
    const { page, errors, close } = await openPage({ cs: pi.client_secret! });
    await fillCard(page, { number: '4242 4242 4242 4242', zip: '94103' });
    await expect.poll(() => page.locator('#state').getAttribute('data-complete')).toBe('true');
    expect(await page.locator('#state').getAttribute('data-type')).toBe('card');
    // the brand is detected
    await expect(cardFrame(page).locator('#brands [data-brand="visa"]:not(.hidden)').count()).resolves.toBe(1);
    await expect(cardFrame(page).locator('#brands [data-brand="mastercard"].hidden').count()).resolves.toBe(1);
    await screenshot(page, 'emulator-card-form');
    await page.getByRole('button', { name: 'Pay' }).click();
    expect(await resultOf(page)).toBe(`ok|${pi.id}|succeeded`);
    const after = await h.stripe.paymentIntents.retrieve(pi.id, { expand: ['payment_method'] });
    expect(after.status).toBe('succeeded');
    const pm = after.payment_method as {
      card: { last4: string; brand: string; exp_month: number; exp_year: number };
      billing_details: { address: { postal_code: string; country: string } };
    };
    expect(pm.card).toMatchObject({ last4: '4242', brand: 'visa', exp_month: 12, exp_year: 2034 });
    expect(pm.billing_details.address).toMatchObject({ postal_code: '94103', country: 'US' });
    assertNoConsoleErrors(errors);
    await close();
  });

  it('confirms a SetupIntent and attaches the card to the customer', async () => {
    const customer = await h.stripe.customers.create({ email: 'saver@example.com' });
    const si = await h.stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
    const { page, errors, close } = await openPage({ cs: si.client_secret!, kind: 'setup' });
    await fillCard(page, { number: '5555 5555 5555 4444', zip: '10001' });
    await page.getByRole('button', { name: 'Save card' }).click();
    expect(await resultOf(page)).toBe(`ok|${si.id}|succeeded`);
    const pms = await h.stripe.customers.listPaymentMethods(customer.id);
    expect(pms.data.map((p) => p.card?.last4)).toEqual(['4444']);
    assertNoConsoleErrors(errors);
    await close();
  });

  it('deferred intent (elements with mode/amount/currency, clientSecret passed to confirmPayment)', async () => {
    const pi = await paymentIntent(4500);
    const { page, errors, close } = await openPage({ cs: pi.client_secret!, deferred: '1', amount: '4500' });
    await fillCard(page, { number: '4242424242424242', zip: '94103' });
    await page.getByRole('button', { name: 'Pay' }).click();
    expect(await resultOf(page)).toBe(`ok|${pi.id}|succeeded`);
    assertNoConsoleErrors(errors);
    await close();
  });

  it('redirects to return_url with payment_intent_client_secret when redirect is "always"', async () => {
    const pi = await paymentIntent();
    const { page, errors, close } = await openPage({ cs: pi.client_secret!, redirect: 'always' });
    await fillCard(page, { number: '4242424242424242', zip: '94103' });
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/return\?/);
    const u = new URL(page.url());
    expect(u.searchParams.get('payment_intent')).toBe(pi.id);
    expect(u.searchParams.get('payment_intent_client_secret')).toBe(pi.client_secret);
    expect(u.searchParams.get('redirect_status')).toBe('succeeded');
    assertNoConsoleErrors(errors);
    await close();
  });

  it('3D Secure (4000 0025 0000 3155): the challenge opens, "Complete" succeeds', async () => {
    const pi = await paymentIntent();
    const { page, errors, close } = await openPage({ cs: pi.client_secret! });
    await fillCard(page, { number: '4000002500003155', zip: '94103' });
    await page.getByRole('button', { name: 'Pay' }).click();
    const challenge = page.frameLocator('iframe[title="3D Secure authentication"]');
    await challenge.getByRole('button', { name: 'Complete' }).waitFor();
    await expect(challenge.getByText('$20.00').count()).resolves.toBe(1);
    await screenshot(page, 'emulator-3ds-challenge');
    await challenge.getByRole('button', { name: 'Complete' }).click();
    expect(await resultOf(page)).toBe(`ok|${pi.id}|succeeded`);
    await expect(page.locator('[data-stripe-emulator="3ds"]').count()).resolves.toBe(0);
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    assertNoConsoleErrors(errors);
    await close();
  });

  it('3D Secure: "Fail" returns payment_intent_authentication_failure and the intent needs a new card', async () => {
    const pi = await paymentIntent();
    const { page, errors, close } = await openPage({ cs: pi.client_secret! });
    await fillCard(page, { number: '4000002500003155', zip: '94103' });
    await page.getByRole('button', { name: 'Pay' }).click();
    const challenge = page.frameLocator('iframe[title="3D Secure authentication"]');
    await challenge.getByRole('button', { name: 'Fail' }).click();
    expect(await resultOf(page)).toBe(
      'error|invalid_request_error|payment_intent_authentication_failure||We are unable to authenticate your payment method. Please choose a different payment method and try again.',
    );
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_payment_method');
    assertNoConsoleErrors(errors);
    await close();
  });

  it('3D Secure on a SetupIntent: "Complete" sets the card up', async () => {
    const customer = await h.stripe.customers.create({ email: 'tds-setup@example.com' });
    const si = await h.stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
    const { page, errors, close } = await openPage({ cs: si.client_secret!, kind: 'setup' });
    await fillCard(page, { number: '4000002500003155', zip: '94103' });
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.frameLocator('iframe[title="3D Secure authentication"]').getByRole('button', { name: 'Complete' }).click();
    expect(await resultOf(page)).toBe(`ok|${si.id}|succeeded`);
    assertNoConsoleErrors(errors);
    await close();
  });

  const declines: [string, string, string, string][] = [
    ['4000000000009995', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['4000000000000002', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['4000000000000069', 'expired_card', 'expired_card', 'Your card has expired.'],
  ];
  for (const [number, code, declineCode, message] of declines) {
    it(`declines ${number} with Stripe's message (${declineCode})`, async () => {
      const pi = await paymentIntent();
      const { page, errors, close } = await openPage({ cs: pi.client_secret! });
      await fillCard(page, { number, zip: '94103' });
      await page.getByRole('button', { name: 'Pay' }).click();
      expect(await resultOf(page)).toBe(`error|card_error|${code}|${declineCode}|${message}`);
      const after = await h.stripe.paymentIntents.retrieve(pi.id);
      expect(after.status).toBe('requires_payment_method');
      expect(after.last_payment_error?.decline_code).toBe(declineCode);
      assertNoConsoleErrors(errors);
      await close();
    });
  }

  it('4000 0000 0000 0341 attaches (setup succeeds) but fails when charged later', async () => {
    const customer = await h.stripe.customers.create({ email: 'later@example.com' });
    const si = await h.stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
    const { page, errors, close } = await openPage({ cs: si.client_secret!, kind: 'setup' });
    await fillCard(page, { number: '4000000000000341', zip: '94103' });
    await page.getByRole('button', { name: 'Save card' }).click();
    expect(await resultOf(page)).toBe(`ok|${si.id}|succeeded`);
    const pmId = (await h.stripe.setupIntents.retrieve(si.id)).payment_method as string;
    const err = await h.stripe.paymentIntents
      .create({ amount: 1000, currency: 'usd', customer: customer.id, payment_method: pmId, off_session: true, confirm: true })
      .then(
        () => null,
        (e: { type: string; code: string; decline_code: string }) => e,
      );
    expect(err).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    assertNoConsoleErrors(errors);
    await close();
  });

  it("shows inline errors in Stripe's words and blocks submit until the form is valid", async () => {
    const pi = await paymentIntent();
    const { page, errors, close } = await openPage({ cs: pi.client_secret! });
    const f = cardFrame(page);
    // empty submit: elements.submit() reports the first error
    await page.getByRole('button', { name: 'Pay' }).click();
    expect(await resultOf(page)).toBe('error|validation_error|incomplete_number||Your card number is incomplete.');
    await f.getByText('Your card number is incomplete.').waitFor();
    // Luhn failure
    await f.getByLabel('Card number').fill('4242 4242 4242 4241');
    await f.getByText('Your card number is invalid.').waitFor();
    await expect.poll(() => page.locator('#state').textContent()).toBe('Your card number is invalid.');
    // expiry in the past
    await f.getByLabel('Card number').fill('4242 4242 4242 4242');
    await f.getByLabel('Expiration date').fill('01 / 20');
    await f.getByText("Your card's expiration date is in the past.").waitFor();
    // partial CVC on blur
    await f.getByLabel('Expiration date').fill('12 / 34');
    await f.getByLabel('Security code').fill('12');
    await f.getByLabel('Security code').press('Tab');
    await f.getByText("Your card's security code is incomplete.").waitFor();
    // keyboard: Tab moves Security code → Country → ZIP; ZIP hidden for a country without one
    await expect(f.getByLabel('Country').evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await f.getByLabel('Country').selectOption('FR');
    await expect(f.getByLabel('ZIP').isVisible()).resolves.toBe(false);
    await f.getByLabel('Country').selectOption('US');
    await expect(f.getByLabel('ZIP').isVisible()).resolves.toBe(true);
    expect(await page.locator('#state').getAttribute('data-complete')).toBe('false');
    assertNoConsoleErrors(errors);
    await close();
  });

  it('answers CORS preflights from any origin on publishable-key endpoints', async () => {
    const res = await fetch(`${h.emu.url}/v1/payment_methods`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,stripe-version',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });
});
