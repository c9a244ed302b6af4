import type { NextInvoice } from '~/billing/invoices.server';
import { formatMoney } from '~/lib/money';
import { longDate } from './format';

/** The next invoice as the mirror knows it: Stripe's preview with its lines, or the plan's price. */
export function UpcomingInvoice({ upcoming }: { upcoming: NextInvoice }) {
  const money = (n: number) => formatMoney(n, upcoming.currency);
  return (
    <section aria-labelledby="upcoming-title" className="card" data-testid="upcoming-invoice">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="upcoming-title" className="text-base font-semibold">
          Next invoice
        </h2>
        <p className="text-sm text-slate-700">
          <span className="font-semibold">{money(upcoming.amount)}</span> on {longDate(upcoming.date)}
        </p>
      </div>
      {upcoming.lines.length ? (
        <ul className="mt-3 divide-y divide-slate-100 border-t border-slate-100 text-sm">
          {upcoming.lines.map((line, i) => (
            <li key={i} className="flex flex-wrap justify-between gap-x-6 py-2">
              <span className="min-w-0 flex-1 text-slate-700">
                {line.description}
                {line.quantityWords || line.period ? (
                  <span className="block text-xs text-slate-500">{[line.quantityWords, line.period].filter(Boolean).join(' · ')}</span>
                ) : null}
              </span>
              <span className="tabular-nums">{money(line.amount)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {upcoming.credit > 0 ? (
        <p className="mt-3 text-sm text-slate-700" data-testid="upcoming-credit">
          Account credit applied: −{money(upcoming.credit)}
        </p>
      ) : null}
    </section>
  );
}
