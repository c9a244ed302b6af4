import { Link } from '@remix-run/react';
import type { BillingOverview } from '~/billing/overview.server';
import { Badge } from '~/components/billing-ui';
import { formatMoney } from '~/lib/money';
import { mediumDate } from './format';

export function RecentInvoices({ invoices }: { invoices: BillingOverview['invoices'] }) {
  return (
    <section aria-labelledby="invoices-title" className="card p-0">
      <div className="flex items-baseline justify-between gap-4 px-6 pt-5">
        <h2 id="invoices-title" className="text-base font-semibold">
          Recent invoices
        </h2>
        {invoices.length ? (
          <Link to="/billing/invoices" className="text-sm font-medium text-brand-700 hover:underline">
            All invoices
          </Link>
        ) : null}
      </div>
      {invoices.length === 0 ? (
        <p className="px-6 pb-6 pt-2 text-sm text-slate-600">No invoices yet. They appear here after your first payment.</p>
      ) : (
        <ul className="mt-3 divide-y divide-slate-100" data-testid="invoice-list">
          {invoices.map((inv) => (
            <li key={inv.id} className="flex flex-wrap items-center gap-x-6 gap-y-1 px-6 py-3 text-sm">
              <span className="w-32 font-medium">{mediumDate(inv.created)}</span>
              <span className="w-36 whitespace-nowrap font-mono text-xs text-slate-500">{inv.number ?? 'Draft'}</span>
              <span className="w-24 font-semibold">{formatMoney(inv.total, inv.currency)}</span>
              <span className={inv.trialStarted ? 'w-28 whitespace-nowrap' : 'w-24 capitalize'}>
                {inv.trialStarted ? (
                  <Badge tone="blue">Trial started</Badge>
                ) : (
                  <Badge tone={inv.status === 'paid' ? 'green' : inv.status === 'open' ? 'amber' : 'gray'}>{inv.status ?? 'draft'}</Badge>
                )}
              </span>
              <span className="ml-auto flex gap-4">
                {inv.status && inv.status !== 'draft' ? (
                  <Link className="font-medium text-brand-700 hover:underline" to={`/billing/invoices/${inv.id}`}>
                    View
                  </Link>
                ) : null}
                {inv.invoicePdf ? (
                  <a className="font-medium text-brand-700 hover:underline" href={`/billing/invoices/${inv.id}/pdf`} download>
                    PDF
                  </a>
                ) : null}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
