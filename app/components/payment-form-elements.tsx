import { useMemo, useState } from 'react';
import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import type { Appearance } from '@stripe/stripe-js';
import { formatMoney } from '~/lib/money';
import { loadStripeJs, useStripeJsUrl } from '~/lib/stripe-js';

/** Our look for Stripe's Payment Element (Stripe.js or the emulator's; both honour these). */
const STRIPE_APPEARANCE: Appearance = {
  theme: 'stripe',
  variables: {
    colorPrimary: '#4f46e5',
    borderRadius: '6px',
    fontFamily: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  },
};

interface ConfirmStep {
  intentType: 'payment' | 'setup';
  clientSecret: string;
  amountDue: number;
  currency: string;
}

/**
 * The embedded payment: the real `<PaymentElement>` confirmed with `redirect: 'if_required'`, so cards
 * (and 3D Secure challenges) finish in the page. `onConfirmed` runs once Stripe says it succeeded.
 * Pages use it through app/components/payment-form.tsx, which loads this module when a form opens.
 */
export function PaymentForm(props: {
  publishableKey: string;
  step: ConfirmStep;
  submitLabel: string;
  returnUrl: string;
  onConfirmed: () => void;
  onCancel?: () => void;
  /** Defaults suit the subscription checkout; other pages say what they do. */
  cancelLabel?: string;
  setupNote?: string;
}) {
  // Stripe.js is fetched now that the form opens, not with the page (app/lib/stripe-js.ts).
  const scriptUrl = useStripeJsUrl();
  const stripePromise = useMemo(() => loadStripeJs(props.publishableKey, scriptUrl), [props.publishableKey, scriptUrl]);
  return (
    <Elements stripe={stripePromise} options={{ clientSecret: props.step.clientSecret, appearance: STRIPE_APPEARANCE }}>
      <ConfirmForm {...props} />
    </Elements>
  );
}

function ConfirmForm({ step, submitLabel, returnUrl, onConfirmed, onCancel, cancelLabel, setupNote }: Parameters<typeof PaymentForm>[0]) {
  const stripe = useStripe();
  const elements = useElements();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [ready, setReady] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!stripe || !elements || busy) return;
    setBusy(true);
    setError(null);
    try {
      const { error: submitError } = await elements.submit();
      if (submitError) {
        setError(submitError.message ?? 'Check your card details.');
        return;
      }
      const result =
        step.intentType === 'setup'
          ? await stripe.confirmSetup({
              elements,
              clientSecret: step.clientSecret,
              confirmParams: { return_url: returnUrl },
              redirect: 'if_required',
            })
          : await stripe.confirmPayment({
              elements,
              clientSecret: step.clientSecret,
              confirmParams: { return_url: returnUrl },
              redirect: 'if_required',
            });
      if (result.error) {
        setError(result.error.message ?? 'Your card could not be charged. Try another card.');
        return;
      }
      onConfirmed();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Payment details">
      <div className="min-h-[180px]">
        <PaymentElement onReady={() => setReady(true)} options={{ layout: 'tabs' }} />
        {!ready ? <p className="text-sm text-slate-500">Loading the secure card form…</p> : null}
      </div>
      {error ? (
        <p
          role="alert"
          data-testid="payment-error"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 ring-1 ring-inset ring-red-200"
        >
          {error}
        </p>
      ) : null}
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" className="btn-primary" disabled={!stripe || !ready || busy}>
          {busy ? 'Processing…' : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="btn-secondary" onClick={onCancel} disabled={busy}>
            {cancelLabel ?? 'Choose another plan'}
          </button>
        ) : null}
        <p className="text-xs text-slate-500">
          {step.intentType === 'setup'
            ? (setupNote ?? 'Your card is saved for when the trial ends. You are not charged today.')
            : `You will be charged ${formatMoney(step.amountDue, step.currency)} today.`}
        </p>
      </div>
    </form>
  );
}
