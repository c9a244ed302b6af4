import { Form, Link } from '@remix-run/react';
import { useState } from 'react';
import { CURRENCY, MAX_SEATS, PLAN_LIST, type Interval, type PlanKey } from '~/billing/plans';
import { Alert } from '~/components/app-shell';
import { formatMoney } from '~/lib/money';

export interface PickerCurrent {
  planKey: PlanKey | null;
  interval: Interval | null;
  quantity: number;
}

/**
 * The plan picker of /billing/plans: a GET form, so choosing a plan opens its review at
 * `/billing/plans?plan=&interval=&seats=` (a link that can be reloaded or shared with oneself).
 */
export function PlanPicker(props: {
  current: PickerCurrent;
  initial: { interval: Interval; seats: string };
  error: { message: string; field: 'plan' | 'interval' | 'seats' | null } | null;
  action?: { href: string; label: string } | null;
}) {
  const [interval, setInterval] = useState<Interval>(props.initial.interval);
  const { current } = props;
  const seatsError = props.error?.field === 'seats' ? props.error.message : null;
  return (
    <section aria-labelledby="picker-title" className="space-y-6">
      <div className="card">
        <h2 id="picker-title" className="text-lg font-semibold">
          Pick your new plan
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Pick a plan, interval and seats. You will see exactly what changes, and what it costs, before anything happens.
        </p>
      </div>
      {props.error ? (
        <Alert kind="error">
          <span data-testid="picker-error">{props.error.field === 'seats' ? `Seats: ${props.error.message}` : props.error.message}</span>
          {props.action ? (
            <>
              {' '}
              <a href={props.action.href} className="font-medium underline" target="_blank" rel="noreferrer">
                {props.action.label}
              </a>
            </>
          ) : null}
        </Alert>
      ) : null}
      <Form method="get" action="/billing/plans" className="space-y-6" noValidate>
        <fieldset className="flex justify-center">
          <legend className="sr-only">Billing interval</legend>
          <div className="inline-flex rounded-full bg-slate-100 p-1 text-sm font-medium">
            {(['month', 'year'] as const).map((value) => (
              <label
                key={value}
                className={`cursor-pointer rounded-full px-4 py-1.5 focus-within:ring-2 focus-within:ring-brand-500 ${interval === value ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600'}`}
              >
                <input
                  type="radio"
                  name="interval"
                  value={value}
                  checked={interval === value}
                  onChange={() => setInterval(value)}
                  className="sr-only"
                />
                {value === 'month' ? 'Monthly' : 'Yearly'}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="grid gap-6 md:grid-cols-3">
          {PLAN_LIST.map((plan) => {
            const isCurrent = current.planKey === plan.key && current.interval === interval;
            const price = plan.prices[interval];
            return (
              <section
                key={plan.key}
                aria-labelledby={`pick-${plan.key}`}
                className={`flex flex-col rounded-2xl bg-white p-6 shadow-sm ring-1 ${isCurrent ? 'ring-2 ring-brand-600' : 'ring-slate-200'}`}
              >
                <div className="flex items-center justify-between gap-2">
                  <h3 id={`pick-${plan.key}`} className="text-lg font-semibold">
                    {plan.name}
                  </h3>
                  {current.planKey === plan.key && current.interval === interval ? (
                    <span
                      data-testid={`current-${plan.key}`}
                      className="rounded-full bg-brand-50 px-2.5 py-0.5 text-xs font-semibold text-brand-700 ring-1 ring-inset ring-brand-600/20"
                    >
                      Current plan{plan.perSeat ? ` · ${current.quantity} seats` : ''}
                    </span>
                  ) : null}
                </div>
                <p className="mt-1 text-sm text-slate-600">{plan.tagline}</p>
                <p className="mt-4 flex items-baseline gap-1">
                  <span className="text-3xl font-bold tracking-tight">{formatMoney(price.unitAmount, CURRENCY, { compact: true })}</span>
                  <span className="text-sm text-slate-500">
                    /{interval}
                    {plan.perSeat ? ' per seat' : ''}
                  </span>
                </p>
                <ul className="mt-4 flex-1 space-y-1 text-sm text-slate-700">
                  {plan.highlights
                    .filter((h) => !/trial/i.test(h))
                    .map((h) => (
                      <li key={h} className="flex gap-2">
                        <span aria-hidden className="text-brand-600">
                          ✓
                        </span>
                        {h}
                      </li>
                    ))}
                </ul>
                {plan.perSeat ? (
                  <div className="mt-4">
                    <div className="flex items-center gap-2">
                      <label htmlFor="seats" className="text-sm text-slate-700">
                        Seats
                      </label>
                      <input
                        id="seats"
                        name="seats"
                        type="number"
                        inputMode="numeric"
                        min={1}
                        max={MAX_SEATS}
                        defaultValue={props.initial.seats}
                        aria-invalid={seatsError ? true : undefined}
                        aria-describedby={seatsError ? 'seats-error' : 'seats-hint'}
                        className={`input w-24 ${seatsError ? 'ring-2 ring-red-500' : ''}`}
                      />
                    </div>
                    {seatsError ? (
                      <p id="seats-error" role="alert" data-testid="seats-error" className="mt-1 text-sm text-red-700">
                        {seatsError}
                      </p>
                    ) : (
                      <p id="seats-hint" className="mt-1 text-xs text-slate-500">
                        1 to {MAX_SEATS} seats.
                      </p>
                    )}
                  </div>
                ) : null}
                <button
                  type="submit"
                  name="plan"
                  value={plan.key}
                  className={`mt-4 w-full ${isCurrent && !plan.perSeat ? 'btn-secondary' : 'btn-primary'}`}
                >
                  {isCurrent ? (plan.perSeat ? 'Change seats' : 'Keep this plan') : `Review ${plan.name}`}
                </button>
              </section>
            );
          })}
        </div>
      </Form>
      <p className="text-sm">
        <Link to="/billing" className="font-medium text-brand-700 hover:underline">
          ← Back to billing
        </Link>
      </p>
    </section>
  );
}
