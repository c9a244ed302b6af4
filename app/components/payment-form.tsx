import { lazy, Suspense, type ComponentProps } from 'react';
import type { PaymentForm as PaymentFormElements } from './payment-form-elements';

/**
 * The embedded payment form (app/components/payment-form-elements.tsx), loaded when a form opens:
 * Stripe's React bindings and the Stripe.js loader are a chunk of their own, not part of every page
 * that can show a form (docs/performance.md), just as Stripe.js itself is fetched only then. Until the
 * chunk is in, the form's place shows the same "loading" line the form shows while Stripe.js loads.
 */
const LazyPaymentForm = lazy(() => import('./payment-form-elements').then((m) => ({ default: m.PaymentForm })));

export function PaymentForm(props: ComponentProps<typeof PaymentFormElements>) {
  return (
    <Suspense
      fallback={
        <div className="min-h-[180px]">
          <p className="text-sm text-slate-500">Loading the secure card form…</p>
        </div>
      }
    >
      <LazyPaymentForm {...props} />
    </Suspense>
  );
}
