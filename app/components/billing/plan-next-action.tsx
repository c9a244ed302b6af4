import { useSubmit } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import { loadStripeJs, useStripeJsUrl } from '~/lib/stripe-js';

/**
 * The bank asked for 3D Secure on the proration charge: Stripe.js shows the challenge in the page
 * (`handleNextAction` on the invoice's payment), then the page tells the server to finish, which
 * applies the change if the invoice got paid and voids it otherwise (docs/billing.md).
 */
export function PlanNextAction(props: { publishableKey: string; clientSecret: string; token: string }) {
  const submit = useSubmit();
  const started = useRef<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const scriptUrl = useStripeJsUrl();
  useEffect(() => {
    if (started.current === props.clientSecret) return;
    started.current = props.clientSecret;
    void (async () => {
      let message: string | null = null;
      try {
        const stripe = await loadStripeJs(props.publishableKey, scriptUrl);
        if (!stripe) throw new Error('Stripe.js did not load. Reload the page and try again.');
        const result = await stripe.handleNextAction({ clientSecret: props.clientSecret });
        if (result.error) message = result.error.message ?? 'The payment was not authenticated.';
      } catch (e) {
        message = e instanceof Error ? e.message : String(e);
      }
      setError(message);
      submit({ intent: 'finish', token: props.token, ...(message ? { failure: message.slice(0, 300) } : {}) }, { method: 'post' });
    })();
  }, [props.clientSecret, props.publishableKey, props.token, scriptUrl, submit]);
  return (
    <section className="card" aria-live="polite" data-testid="plan-next-action">
      <p className="font-medium">Your bank wants to confirm this payment.</p>
      <p className="mt-1 text-sm text-slate-600">
        {error ? error : 'Follow the steps in the window that opens. Your plan changes once the payment is confirmed.'}
      </p>
    </section>
  );
}
