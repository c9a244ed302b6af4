import { PLANS } from '~/billing/plans';
import type { PaymentStep } from '~/billing/subscriptions.server';
import { PaymentForm } from '~/components/payment-form';
import { formatMoney } from '~/lib/money';
import { longDate } from './format';

/** The embedded checkout for a payment step: the first invoice's payment, or a trial's card setup. */
export function Checkout(props: {
  step: PaymentStep;
  publishableKey: string;
  appUrl: string;
  onConfirmed: () => void;
  onCancel?: () => void;
}) {
  const { step } = props;
  const plan = PLANS[step.planKey];
  return (
    <section aria-labelledby="checkout-title" className="card">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="checkout-title" className="text-lg font-semibold">
          {step.intentType === 'setup' ? `Start your ${plan.name} trial` : `Subscribe to ${plan.name}`}
        </h2>
        <p className="text-sm text-slate-600">
          {plan.name} · {step.interval === 'month' ? 'Monthly' : 'Yearly'}
          {step.intentType === 'setup' && step.trialEnd
            ? ` · free until ${longDate(new Date(step.trialEnd).toISOString())}`
            : ` · ${formatMoney(step.amountDue, step.currency)} due today`}
        </p>
      </div>
      {step.resumed ? <p className="mt-1 text-sm text-slate-500">We picked up where you left off.</p> : null}
      <div className="mt-5 max-w-xl">
        <PaymentForm
          key={step.clientSecret}
          publishableKey={props.publishableKey}
          step={step}
          returnUrl={`${props.appUrl}/billing`}
          submitLabel={step.intentType === 'setup' ? 'Start free trial' : `Pay ${formatMoney(step.amountDue, step.currency)}`}
          onConfirmed={props.onConfirmed}
          onCancel={props.onCancel}
        />
      </div>
    </section>
  );
}
