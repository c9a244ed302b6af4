/**
 * Compatibility app 1: Payment Element + Link Authentication Element with the current SDK, in the
 * style of Stripe's "accept a payment" quickstart (create a PaymentIntent with automatic payment
 * methods, mount linkAuthentication + payment (+ expressCheckout), confirmPayment, a completion page
 * that retrieves the intent). The page loads Stripe.js from https://js.stripe.com/v3/ unmodified; the
 * test maps that host to the emulator.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Stripe from 'stripe';
import { serveApp, type RunningApp } from '../serve';

export function startPaymentElementApp(stripe: Stripe, publishableKey: string): Promise<RunningApp> {
  const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');
  return serveApp(
    publicDir,
    {
      'GET /config': () => ({ json: { publishableKey } }),
      'POST /create-payment-intent': async ({ body }) => {
        const items = (body.items ?? []) as unknown as { id: string; amount: number }[];
        const amount = items.reduce((s, i) => s + i.amount, 0) || 1400;
        const pi = await stripe.paymentIntents.create({ amount, currency: 'usd', automatic_payment_methods: { enabled: true } });
        return { json: { clientSecret: pi.client_secret } };
      },
    },
    () => ({}),
  );
}
