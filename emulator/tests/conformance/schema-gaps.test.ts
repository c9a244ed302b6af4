/**
 * The schema gaps issue #10 names, each driven through the SDK (against the emulator, or real Stripe with
 * STRIPE_TEST_SECRET_KEY) so the conformance hook in ../helpers.ts validates every body on the way.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract, uniq } from '../helpers';

const t = setupContract();

async function customerWithSubscription(s: Stripe) {
  const customer = await s.customers.create({ email: `${uniq()}@example.com`, payment_method: 'pm_card_visa' });
  const pm = customer.invoice_settings.default_payment_method ?? (await s.customers.listPaymentMethods(customer.id)).data[0]!.id;
  await s.customers.update(customer.id, { invoice_settings: { default_payment_method: typeof pm === 'string' ? pm : pm.id } });
  const product = await s.products.create({ name: 'Gap plan' });
  const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } });
  const sub = await s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  return { customer, product, price, sub };
}

describe('subscriptions', () => {
  it('carry cancellation_details.feedback_option; pause reports a documented paused type', async () => {
    const s = t.stripe;
    const { sub } = await customerWithSubscription(s);
    expect(sub.cancellation_details).toEqual({ comment: null, feedback: null, feedback_option: null, reason: null });
    const paused = await s.subscriptions.pause(sub.id, { type: 'subscription' });
    expect(paused.status).toBe('paused');
    expect(paused.status_details?.paused?.subscription.type).toBe('pause_requested');
    const canceled = await s.subscriptions.cancel(sub.id, { cancellation_details: { comment: 'moving on', feedback: 'unused' } });
    expect(canceled.cancellation_details).toMatchObject({ comment: 'moving on', feedback: 'unused', feedback_option: null });
  });

  it('proration invoice items carry proration_details.discount_amounts', async () => {
    const s = t.stripe;
    const { sub, product } = await customerWithSubscription(s);
    const bigger = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 4500, recurring: { interval: 'month' } });
    await s.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: bigger.id }],
      proration_behavior: 'create_prorations',
    });
    const items = await s.invoiceItems.list({ customer: sub.customer as string, pending: true });
    const prorations = items.data.filter((i) => i.proration);
    expect(prorations.length).toBeGreaterThan(0);
    prorations.forEach((i) => expect(i.proration_details?.discount_amounts).toEqual([]));
  });
});

describe('billing portal', () => {
  it('configurations: booleans are booleans; subscription_pause, feedback_options, adjustable_quantity are there', async () => {
    const s = t.stripe;
    const product = await s.products.create({ name: 'Portal plan' });
    const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: 900, recurring: { interval: 'month' } });
    const conf = await s.billingPortal.configurations.create({
      business_profile: { headline: 'Gaps' },
      features: {
        invoice_history: { enabled: true },
        subscription_cancel: {
          enabled: true,
          mode: 'at_period_end',
          cancellation_reason: { enabled: true, options: ['too_expensive', 'unused'] },
        },
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price', 'quantity'],
          products: [{ product: product.id, prices: [price.id], adjustable_quantity: { enabled: true, maximum: 10 } }],
        },
      },
    });
    const reason = conf.features.subscription_cancel.cancellation_reason;
    expect(reason.enabled).toBe(true);
    expect(reason.options).toEqual(['too_expensive', 'unused']);
    expect(reason.feedback_options).toBeNull();
    expect(conf.features.subscription_pause.enabled).toBe(false);
    expect(conf.features.subscription_update.products).toEqual([
      { product: product.id, prices: [price.id], adjustable_quantity: { enabled: true, maximum: 10, minimum: 1 } },
    ]);

    const updated = await s.billingPortal.configurations.update(conf.id, {
      features: {
        subscription_cancel: { cancellation_reason: { enabled: false } },
        subscription_pause: { enabled: true },
      },
    });
    expect(updated.features.subscription_cancel.cancellation_reason).toMatchObject({
      enabled: false,
      options: ['too_expensive', 'unused'],
    });
    expect(updated.features.subscription_cancel.mode).toBe('at_period_end');
    expect(updated.features.subscription_pause.enabled).toBe(true);
    expect(updated.features.invoice_history.enabled).toBe(true);
  });

  it('configurations refuse unknown feature fields and values with a 400 naming the parameter', async () => {
    const s = t.stripe;
    const bad = async (features: unknown) => {
      const err = await s.billingPortal.configurations
        .create({ features } as Stripe.BillingPortal.ConfigurationCreateParams)
        .catch((e: Stripe.errors.StripeError) => e);
      expect(err).toBeInstanceOf(Error);
      return err as Stripe.errors.StripeError;
    };
    expect((await bad({ invoice_history: { enabled: true, colour: 'red' } })).param).toBe('features[invoice_history][colour]');
    expect((await bad({ subscription_cancel: { enabled: true, mode: 'sometimes' } })).param).toBe('features[subscription_cancel][mode]');
  });

  it('sessions with flow_data describe the flow, customer_update and subscription_pause included', async () => {
    const s = t.stripe;
    const { customer, sub } = await customerWithSubscription(s);
    const conf = await s.billingPortal.configurations.create({
      features: { invoice_history: { enabled: true }, subscription_pause: { enabled: true } },
      default_return_url: 'https://example.com/account',
    });
    const update = await s.billingPortal.sessions.create({
      customer: customer.id,
      configuration: conf.id,
      flow_data: { type: 'customer_update' as Stripe.BillingPortal.SessionCreateParams.FlowData.Type },
    });
    expect(update.flow).toMatchObject({
      type: 'customer_update',
      customer_update: {},
      subscription_pause: null,
      subscription_cancel: null,
    });
    expect(update.flow?.after_completion).toEqual({ type: 'portal_homepage', hosted_confirmation: null, redirect: null });

    const pause = await s.billingPortal.sessions.create({
      customer: customer.id,
      configuration: conf.id,
      flow_data: {
        type: 'subscription_pause',
        subscription_pause: { subscription: sub.id },
        after_completion: { type: 'redirect', redirect: { return_url: 'https://example.com/done' } },
      },
    });
    expect(pause.flow).toMatchObject({ type: 'subscription_pause', subscription_pause: { subscription: sub.id }, customer_update: null });
    expect(pause.flow?.after_completion.redirect).toEqual({ return_url: 'https://example.com/done' });

    const err = await s.billingPortal.sessions
      .create({ customer: customer.id, configuration: conf.id, flow_data: { type: 'subscription_cancel' } })
      .catch((e: Stripe.errors.StripeError) => e);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(400);
    expect((err as Stripe.errors.StripeError).param).toBe('flow_data[subscription_cancel][subscription]');
  });
});

describe('errors', () => {
  it('a card decline (402) links its request log with a string request_log_url', async () => {
    const s = t.stripe;
    const err = await s.paymentIntents
      .create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      })
      .catch((e: Stripe.errors.StripeError) => e);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(402);
    const raw = (err as Stripe.errors.StripeError).raw as { request_log_url?: unknown };
    expect(raw.request_log_url).toMatch(/^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_\w+/);
  });
});
