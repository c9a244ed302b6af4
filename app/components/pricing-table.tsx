import { useState } from 'react';
import { PLAN_LIST, METERED, ONE_TIME, CURRENCY, type Interval, type Plan } from '~/billing/plans';
import { formatMoney, yearlySavingPercent } from '~/lib/money';

function IntervalToggle({ interval, onChange }: { interval: Interval; onChange: (i: Interval) => void }) {
  const saving = Math.max(...PLAN_LIST.map((p) => yearlySavingPercent(p.prices.month.unitAmount, p.prices.year.unitAmount)));
  return (
    <fieldset className="inline-flex rounded-full bg-slate-100 p-1 text-sm font-medium">
      <legend className="sr-only">Billing interval</legend>
      {(['month', 'year'] as const).map((value) => (
        <label
          key={value}
          className={`cursor-pointer rounded-full px-4 py-1.5 focus-within:ring-2 focus-within:ring-brand-500 ${
            interval === value ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600'
          }`}
        >
          <input
            type="radio"
            name="interval-toggle"
            value={value}
            checked={interval === value}
            onChange={() => onChange(value)}
            className="sr-only"
          />
          {value === 'month' ? 'Monthly' : 'Yearly'}
          {value === 'year' && saving > 0 ? <span className="ml-1.5 text-emerald-800">save {saving}%</span> : null}
        </label>
      ))}
    </fieldset>
  );
}

function PlanPrice({ plan, interval }: { plan: Plan; interval: Interval }) {
  const price = plan.prices[interval];
  return (
    <p className="mt-4 flex items-baseline gap-1">
      <span className="text-4xl font-bold tracking-tight">{formatMoney(price.unitAmount, CURRENCY, { compact: true })}</span>
      <span className="text-sm text-slate-500">
        /{interval === 'month' ? 'month' : 'year'}
        {plan.perSeat ? ' per seat' : ''}
      </span>
    </p>
  );
}

/** The public pricing table; `renderAction` lets the billing page put its own buttons in. */
export function PricingTable({
  renderAction,
  initialInterval = 'month',
}: {
  renderAction: (plan: Plan, interval: Interval) => React.ReactNode;
  initialInterval?: Interval;
}) {
  const [interval, setInterval] = useState<Interval>(initialInterval);
  return (
    <div>
      <div className="flex justify-center">
        <IntervalToggle interval={interval} onChange={setInterval} />
      </div>
      <div className="mt-8 grid gap-6 md:grid-cols-3">
        {PLAN_LIST.map((plan) => {
          const featured = plan.key === 'pro';
          const saving = yearlySavingPercent(plan.prices.month.unitAmount, plan.prices.year.unitAmount);
          return (
            <section
              key={plan.key}
              aria-labelledby={`plan-${plan.key}`}
              className={`relative flex flex-col rounded-2xl bg-white p-6 shadow-sm ring-1 ${featured ? 'ring-2 ring-brand-600' : 'ring-slate-200'}`}
            >
              {featured ? (
                <span className="absolute -top-3 left-6 rounded-full bg-brand-600 px-3 py-0.5 text-xs font-semibold text-white">
                  Most popular
                </span>
              ) : null}
              <h3 id={`plan-${plan.key}`} className="text-lg font-semibold">
                {plan.name}
              </h3>
              <p className="mt-1 text-sm text-slate-600">{plan.tagline}</p>
              <PlanPrice plan={plan} interval={interval} />
              <p className="mt-1 h-5 text-xs text-slate-500">
                {interval === 'year' && saving > 0
                  ? `${formatMoney(plan.prices.month.unitAmount * 12 - plan.prices.year.unitAmount, CURRENCY)} less than monthly`
                  : plan.trialDays > 0
                    ? `${plan.trialDays}-day free trial`
                    : '\u00a0'}
              </p>
              <ul className="mt-6 flex-1 space-y-2 text-sm text-slate-700">
                {plan.highlights.map((h) => (
                  <li key={h} className="flex gap-2">
                    <svg aria-hidden viewBox="0 0 20 20" className="mt-0.5 h-4 w-4 flex-none fill-brand-600">
                      <path d="M7.7 13.3 4.4 10l-1.1 1.1 4.4 4.4 9-9-1.1-1.1z" />
                    </svg>
                    {h}
                  </li>
                ))}
              </ul>
              <div className="mt-6">{renderAction(plan, interval)}</div>
            </section>
          );
        })}
      </div>
      <div className="mt-8 grid gap-4 md:grid-cols-2">
        <div className="rounded-xl bg-white p-5 text-sm shadow-sm ring-1 ring-slate-200">
          <p className="font-semibold">{METERED.name}</p>
          <p className="mt-1 text-slate-600">
            {formatMoney(METERED.price.unitAmount, CURRENCY)} per {METERED.price.per}. {METERED.description}
          </p>
        </div>
        <div className="rounded-xl bg-white p-5 text-sm shadow-sm ring-1 ring-slate-200">
          <p className="font-semibold">
            {ONE_TIME.credit_pack.name} · {formatMoney(ONE_TIME.credit_pack.unitAmount, CURRENCY)} once
          </p>
          <p className="mt-1 text-slate-600">{ONE_TIME.credit_pack.description}</p>
        </div>
      </div>
    </div>
  );
}
