/**
 * Stripe-hosted pages served by the emulator: Checkout (subscription + one-time payment), the
 * billing portal (cancel a subscription) and the hosted invoice page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, newPage, screenshot } from '../../../tests/e2e/browser';
import { cardFrame, fillCard, startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function recurringPrice(amount = 2000, name = 'Pro') {
  const product = await h.stripe.products.create({ name });
  return h.stripe.prices.create({ product: product.id, unit_amount: amount, currency: 'usd', recurring: { interval: 'month' } });
}

async function subscribedCustomer(email: string) {
  const customer = await h.stripe.customers.create({ email, name: 'Portal User' });
  const pm = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const price = await recurringPrice(2000, 'Pro');
  const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  return { customer, sub, price };
}

describe('hosted Checkout', () => {
  it('completes a subscription and returns to success_url with the session id', async () => {
    const price = await recurringPrice(2000, 'Pro plan');
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      customer_email: 'checkout-sub@example.com',
      allow_promotion_codes: true,
      success_url: `${h.merchantUrl}/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${h.merchantUrl}/cancel`,
    });
    expect(session.url).toBe(`${h.emu.url}/checkout/${session.id}`);
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(session.url!);
    await expect(page.locator('#headline').textContent()).resolves.toContain('$20.00');
    await expect(page.getByText('Subscribe to Pro plan').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Add promotion code' }).count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'Back to the merchant' }).getAttribute('href')).resolves.toBe(`${h.merchantUrl}/cancel`);
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe('checkout-sub@example.com');
    await fillCard(page, { number: '4242424242424242', zip: '94103' });
    await page.getByLabel('Cardholder name').fill('Jenny Rosen');
    await screenshot(page, 'emulator-checkout');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL(/\/success\?/);
    expect(new URL(page.url()).searchParams.get('session_id')).toBe(session.id);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done.status).toBe('complete');
    expect(done.payment_status).toBe('paid');
    const sub = done.subscription as { status: string; customer: string };
    expect(sub.status).toBe('active');
    const customer = await h.stripe.customers.retrieve(sub.customer);
    expect(customer).toMatchObject({ email: 'checkout-sub@example.com' });
    const events = await h.stripe.events.list({ type: 'checkout.session.completed' });
    expect(events.data.some((e) => (e.data.object as { id: string }).id === session.id)).toBe(true);
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('completes a one-time payment and returns to success_url', async () => {
    const product = await h.stripe.products.create({ name: 'Setup fee' });
    const price = await h.stripe.prices.create({ product: product.id, unit_amount: 4500, currency: 'usd' });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 2 }],
      customer_creation: 'always',
      success_url: `${h.merchantUrl}/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${h.merchantUrl}/cancel`,
    });
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(session.url!);
    await expect(page.locator('#headline').textContent()).resolves.toBe('$90.00');
    await expect(page.getByText('Qty 2 · $45.00 each').count()).resolves.toBe(1);
    await page.getByLabel('Email').fill('one-time@example.com');
    // an incomplete card is refused inline before anything is sent
    await cardFrame(page).getByLabel('Card number').fill('4242 4242');
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect(cardFrame(page).getByText('Your card number is incomplete.').count()).resolves.toBe(1);
    await fillCard(page, { number: '4242424242424242', zip: '94103' });
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/success\?/);
    const done = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', amount_total: 9000 });
    const pi = await h.stripe.paymentIntents.retrieve(done.payment_intent as string);
    expect(pi).toMatchObject({ status: 'succeeded', amount: 9000 });
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('shows the trial and the cancel link goes to cancel_url', async () => {
    const price = await recurringPrice(1500, 'Team');
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      subscription_data: { trial_period_days: 14 },
      success_url: `${h.merchantUrl}/success`,
      cancel_url: `${h.merchantUrl}/cancel`,
    });
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(session.url!);
    await expect(page.locator('#headline').textContent()).resolves.toBe('14 days free');
    await expect(page.getByText(/Then \$15\.00 per month starting/).count()).resolves.toBe(1);
    await expect(page.locator('#total').textContent()).resolves.toBe('$0.00');
    await expect(page.getByRole('button', { name: 'Start trial' }).count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'Back to the merchant' }).click();
    await page.waitForURL(`${h.merchantUrl}/cancel`);
    assertNoConsoleErrors(errors);
    await context.close();
  });
});

describe('billing portal', () => {
  it('shows the plan, payment method and invoices, and cancels the subscription at period end', async () => {
    const { customer, sub } = await subscribedCustomer('portal@example.com');
    const portal = await h.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: `${h.merchantUrl}/account` });
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(portal.url);
    const card = page.locator(`[data-subscription="${sub.id}"]`);
    await expect(card.getByText('Pro', { exact: true }).count()).resolves.toBe(1);
    await expect(card.getByText('Active').count()).resolves.toBe(1);
    await expect(page.getByText('•••• 4242').count()).resolves.toBe(1);
    await expect(page.getByRole('cell', { name: '$20.00' }).count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: /Return to/ }).getAttribute('href')).resolves.toBe(`${h.merchantUrl}/account`);
    await screenshot(page, 'emulator-portal');
    await card.getByRole('link', { name: 'Cancel plan' }).click();
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Your subscription has been canceled');
    await expect(
      page
        .locator(`[data-subscription="${sub.id}"]`)
        .getByText(/^Cancels /)
        .count(),
    ).resolves.toBe(1);
    const after = await h.stripe.subscriptions.retrieve(sub.id);
    expect(after.cancel_at_period_end).toBe(true);
    expect(after.status).toBe('active');
    // and renew it again
    await page.getByRole('button', { name: 'Renew plan' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('renewed');
    expect((await h.stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(false);
    await page.getByRole('link', { name: /Return to/ }).click();
    await page.waitForURL(`${h.merchantUrl}/account`);
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('cancels immediately when the configuration says so, and switches plans within the configuration', async () => {
    const { customer, sub, price } = await subscribedCustomer('portal2@example.com');
    const bigger = await h.stripe.prices.create({
      product: price.product as string,
      unit_amount: 5000,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    const conf = await h.stripe.billingPortal.configurations.create({
      features: {
        subscription_cancel: { enabled: true, mode: 'immediately' },
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          products: [{ product: price.product as string, prices: [price.id, bigger.id] }],
          proration_behavior: 'none',
        },
        payment_method_update: { enabled: true },
        invoice_history: { enabled: true },
      },
    });
    const portal = await h.stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: `${h.merchantUrl}/account`,
      configuration: conf.id,
    });
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(portal.url);
    await page.getByRole('link', { name: 'Update plan' }).click();
    await page.getByRole('button', { name: 'Select Pro' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Your plan has been updated');
    const switched = await h.stripe.subscriptions.retrieve(sub.id);
    expect(switched.items.data[0]!.price.id).toBe(bigger.id);
    await page.getByRole('link', { name: 'Cancel plan' }).click();
    await page.getByText('will be canceled immediately').waitFor();
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await page.getByText('You have no active subscriptions.').waitFor();
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('updates the payment method with the card form', async () => {
    const { customer } = await subscribedCustomer('portal3@example.com');
    const portal = await h.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: `${h.merchantUrl}/account` });
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(portal.url);
    await page.getByRole('link', { name: 'Update payment method' }).click();
    await fillCard(page, { number: '5555555555554444', zip: '10001' });
    await page.getByRole('button', { name: 'Add' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('payment method has been updated');
    await expect(page.getByText('•••• 4444').count()).resolves.toBe(1);
    const c = await h.stripe.customers.retrieve(customer.id, { expand: ['invoice_settings.default_payment_method'] });
    expect(
      (c as { invoice_settings: { default_payment_method: { card: { last4: string } } } }).invoice_settings.default_payment_method.card
        .last4,
    ).toBe('4444');
    assertNoConsoleErrors(errors);
    await context.close();
  });
});

describe('hosted invoice page', () => {
  it('pays an open invoice with the card form', async () => {
    const customer = await h.stripe.customers.create({ email: 'invoice@example.com' });
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 3300, currency: 'usd', description: 'Consulting' });
    const draft = await h.stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'include',
    });
    const inv = await h.stripe.invoices.finalizeInvoice(draft.id!);
    expect(inv.hosted_invoice_url).toBe(`${h.emu.url}/invoices/${inv.id}`);
    const { page, errors, context } = await newPage(h.browser);
    await page.goto(inv.hosted_invoice_url!);
    await expect(page.locator('#amount').textContent()).resolves.toBe('$33.00');
    await expect(page.getByText('Consulting').count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'Download invoice' }).getAttribute('href')).resolves.toBe(inv.invoice_pdf);
    await fillCard(page, { number: '4242424242424242', zip: '94103' });
    await screenshot(page, 'emulator-invoice');
    await page.getByRole('button', { name: 'Pay $33.00' }).click();
    await page.getByRole('heading', { name: 'Invoice paid' }).waitFor();
    expect((await h.stripe.invoices.retrieve(inv.id!)).status).toBe('paid');
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
