/**
 * Compatibility app 3: Checkout + customer portal, in the style of Stripe's single-subscription
 * Checkout sample: a form posts the price to /create-checkout-session (303 to the hosted page), the
 * success page reads the session and posts it to /customer-portal (303 to the portal), whose return
 * link comes back. A second button uses the older Stripe.js `redirectToCheckout({ sessionId })`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Stripe from 'stripe';
import { serveApp, type RunningApp } from '../serve';

export interface CheckoutPortalApp extends RunningApp {
  priceId: string;
}

export async function startCheckoutPortalApp(stripe: Stripe, emuUrl: string, publishableKey: string): Promise<CheckoutPortalApp> {
  const product = await stripe.products.create({ name: 'Starter' });
  const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' } });
  let domain = '';
  const createSession = (priceId: string) =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: priceId, quantity: 1 }],
      success_url: `${domain}/success.html?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${domain}/canceled.html`,
    });
  const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');
  const app = await serveApp(
    publicDir,
    {
      'GET /config': () => ({ json: { publishableKey, basicPrice: price.id } }),
      'POST /create-checkout-session': async ({ body }) => ({ redirect: (await createSession(body.priceId!)).url! }),
      'POST /create-checkout-session.json': async ({ body }) => ({ json: { sessionId: (await createSession(body.priceId!)).id } }),
      'GET /checkout-session': async ({ url }) => ({ json: await stripe.checkout.sessions.retrieve(url.searchParams.get('sessionId')!) }),
      'POST /customer-portal': async ({ body }) => {
        // the sample looks the customer up from the Checkout Session it was handed
        const session = await stripe.checkout.sessions.retrieve(body.sessionId!);
        const portal = await stripe.billingPortal.sessions.create({ customer: session.customer as string, return_url: `${domain}/` });
        return { redirect: portal.url };
      },
    },
    () => ({ STRIPE_JS: `${emuUrl}/js/stripe.js` }),
  );
  domain = app.url;
  return { ...app, priceId: price.id };
}
