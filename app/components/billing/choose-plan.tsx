import { useState } from 'react';
import { MAX_SEATS, type Interval, type PlanKey } from '~/billing/plans';
import { Alert } from '~/components/app-shell';
import { PricingTable } from '~/components/pricing-table';

/** No subscription yet: the plans, each with its own button (and a seat count for per-seat plans). */
export function ChoosePlan(props: {
  trialEligible: boolean;
  canPay: boolean;
  busy: boolean;
  wantedPlan: PlanKey | null;
  wantedInterval: Interval;
  onChoose: (plan: PlanKey, interval: Interval, seats?: number, code?: string) => void;
  codeError: string | null;
}) {
  const { trialEligible } = props;
  const [code, setCode] = useState('');
  return (
    <section aria-labelledby="choose-title" className="space-y-6">
      <div className="card text-center">
        <h2 id="choose-title" className="text-lg font-semibold">
          You have no subscription yet
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Choose a plan to get started. {trialEligible ? 'Pro comes with a 14-day free trial. ' : ''}Pay securely without leaving this page;
          cancel any time.
        </p>
      </div>
      <details className="card" open={props.codeError ? true : undefined} data-testid="subscribe-code">
        <summary className="cursor-pointer text-sm font-medium text-slate-800">Have a code?</summary>
        <div className="mt-3 space-y-2">
          <label htmlFor="subscribe-code-input" className="block text-sm text-slate-700">
            Promotion code (applied to the plan you choose below)
          </label>
          <input
            id="subscribe-code-input"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            maxLength={64}
            className="input w-48 uppercase"
            aria-invalid={props.codeError ? true : undefined}
            aria-describedby={props.codeError ? 'subscribe-code-error' : undefined}
          />
          {props.codeError ? (
            <p id="subscribe-code-error" role="alert" className="text-sm text-red-700">
              {props.codeError}
            </p>
          ) : null}
        </div>
      </details>
      <PricingTable
        initialInterval={props.wantedInterval}
        renderAction={(plan, interval) => (
          <PlanButton
            planKey={plan.key}
            label={plan.trialDays > 0 && trialEligible ? `Start ${plan.trialDays}-day trial` : `Subscribe to ${plan.name}`}
            perSeat={plan.perSeat}
            featured={plan.key === (props.wantedPlan ?? 'pro')}
            disabled={props.busy || !props.canPay}
            onChoose={(seats) => props.onChoose(plan.key, interval, seats, code.trim() || undefined)}
          />
        )}
      />
      {!props.canPay ? <Alert kind="info">Payments are not configured on this server (no Stripe keys).</Alert> : null}
    </section>
  );
}

function PlanButton(props: {
  planKey: PlanKey;
  label: string;
  perSeat: boolean;
  featured: boolean;
  disabled: boolean;
  onChoose: (seats?: number) => void;
}) {
  const [seats, setSeats] = useState(1);
  return (
    <div className="space-y-3">
      {props.perSeat ? (
        <div className="flex items-center gap-2">
          <label htmlFor={`seats-${props.planKey}`} className="text-sm text-slate-700">
            Seats
          </label>
          <input
            id={`seats-${props.planKey}`}
            type="number"
            min={1}
            max={MAX_SEATS}
            value={seats}
            onChange={(e) => setSeats(Math.max(1, Math.min(MAX_SEATS, Number(e.target.value) || 1)))}
            className="input w-24"
          />
        </div>
      ) : null}
      <button
        type="button"
        className={props.featured ? 'btn-primary w-full' : 'btn-secondary w-full'}
        disabled={props.disabled}
        onClick={() => props.onChoose(props.perSeat ? seats : undefined)}
      >
        {props.label}
      </button>
    </div>
  );
}
