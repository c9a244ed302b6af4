import { useRouteLoaderData } from '@remix-run/react';
import type { Stripe } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';

/**
 * Stripe.js, loaded only when a payment form opens (docs/performance.md): the script from the URL the
 * root loader names (js.stripe.com with real keys, the emulator's copy without), added to the page on
 * first use, then `loadStripe` (the `pure` entry, which finds `window.Stripe` and injects nothing of
 * its own). Pages without a payment form never download it. A failed load is forgotten, so the next
 * attempt tries again.
 */
const scripts = new Map<string, Promise<void>>();
const instances = new Map<string, Promise<Stripe | null>>();

function addScript(url: string): Promise<void> {
  if ((window as { Stripe?: unknown }).Stripe) return Promise.resolve();
  let promise = scripts.get(url);
  if (!promise) {
    promise = new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.async = true;
      script.addEventListener('load', () => resolve());
      script.addEventListener('error', () => {
        script.remove();
        scripts.delete(url);
        reject(new Error('Stripe.js did not load. Check your connection and try again.'));
      });
      document.head.appendChild(script);
    });
    scripts.set(url, promise);
  }
  return promise;
}

export function loadStripeJs(publishableKey: string, scriptUrl: string | null): Promise<Stripe | null> {
  const key = `${scriptUrl ?? ''} ${publishableKey}`;
  let promise = instances.get(key);
  if (!promise) {
    promise = (scriptUrl ? addScript(scriptUrl) : Promise.resolve()).then(() => loadStripe(publishableKey));
    promise.catch(() => instances.delete(key));
    instances.set(key, promise);
  }
  return promise;
}

/** The Stripe.js URL the root loader chose for this deployment (null when Stripe is not configured). */
export function useStripeJsUrl(): string | null {
  const root = useRouteLoaderData('root') as { stripeJsUrl?: string | null } | undefined;
  return root?.stripeJsUrl ?? null;
}
