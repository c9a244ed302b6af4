/**
 * Compatibility app 2: Card Element + `confirmCardPayment` on an older API version, in the style of
 * Stripe's fixed-price subscription sample of that era. The server pins API version 2023-10-16,
 * creates the subscription `default_incomplete` with `expand: ['latest_invoice.payment_intent']`
 * and hands the PaymentIntent's client secret to the page; its webhook endpoint (created with
 * api_version 2023-10-16) reads `invoice.payment_intent` / `invoice.subscription` from
 * `invoice.payment_succeeded` and makes the card the subscription's default, as that sample did.
 * `/split.html` is the same page with the split card elements (cardNumber, cardExpiry, cardCvc).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { serveApp, type RunningApp } from '../serve';

export const PINNED_VERSION = '2023-10-16';

export interface CardElementApp extends RunningApp {
  /** Events the webhook handler accepted (signature verified), in arrival order. */
  events: Stripe.Event[];
  priceId: string;
}

export async function startCardElementApp(
  emu: { port: number; url: string },
  publishableKey: string,
  secretKey: string,
): Promise<CardElementApp> {
  const stripe = new Stripe(secretKey, {
    apiVersion: PINNED_VERSION as Stripe.LatestApiVersion,
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    telemetry: false,
  });
  const price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 500,
    recurring: { interval: 'month' },
    product_data: { name: 'Basic' },
  });
  const events: Stripe.Event[] = [];
  let webhookSecret = '';
  const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');
  const app = await serveApp(
    publicDir,
    {
      'GET /config': () => ({ json: { publishableKey, priceId: price.id } }),
      'POST /create-customer': async ({ body }) => {
        const customer = await stripe.customers.create({ email: body.email });
        return { json: { customer } };
      },
      'POST /create-subscription': async ({ body }) => {
        const subscription = await stripe.subscriptions.create({
          customer: body.customerId,
          items: [{ price: body.priceId }],
          payment_behavior: 'default_incomplete',
          expand: ['latest_invoice.payment_intent'],
        });
        // the 2023-10-16 shape: the invoice carries its PaymentIntent
        const invoice = subscription.latest_invoice as unknown as { payment_intent: { client_secret: string } };
        return { json: { subscriptionId: subscription.id, clientSecret: invoice.payment_intent.client_secret } };
      },
      'POST /webhook': async ({ raw, headers }) => {
        const event = stripe.webhooks.constructEvent(raw, String(headers['stripe-signature']), webhookSecret);
        events.push(event);
        if (event.type === 'invoice.payment_succeeded') {
          const invoice = event.data.object as unknown as { billing_reason: string; payment_intent: string; subscription: string };
          if (invoice.billing_reason === 'subscription_create') {
            const pi = await stripe.paymentIntents.retrieve(invoice.payment_intent);
            await stripe.subscriptions.update(invoice.subscription, { default_payment_method: pi.payment_method as string });
          }
        }
        return { json: { received: true } };
      },
    },
    () => ({ STRIPE_JS: `${emu.url}/js/stripe.js` }),
  );
  const endpoint = await stripe.webhookEndpoints.create({
    url: `${app.url.replace('localhost', '127.0.0.1')}/webhook`,
    enabled_events: ['invoice.payment_succeeded', 'invoice.payment_failed', 'customer.subscription.updated'],
    api_version: PINNED_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion,
  });
  webhookSecret = endpoint.secret!;
  return { ...app, events, priceId: price.id };
}
