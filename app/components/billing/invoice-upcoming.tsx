import type { BillingOverview } from '~/billing/overview.server';
import { formatMoney } from '~/lib/money';
import { longDate } from './format';

/** The next invoice as the mirror knows it (the plan in force at renewal, less any credit). */
export function UpcomingInvoice({ upcoming }: { upcoming: NonNullable<BillingOverview['nextInvoice']> }) {
  return (
    <section aria-labelledby="upcoming-title" className="card flex flex-wrap items-baseline justify-between gap-2" data-testid="upcoming-invoice">
      <h2 id="upcoming-title" className="text-base font-semibold">
        Next invoice
      </h2>
      <p className="text-sm text-slate-700">
        <span className="font-semibold">{formatMoney(upcoming.amount, upcoming.currency)}</span> on {longDate(upcoming.date)}
      </p>
    </section>
  );
}
