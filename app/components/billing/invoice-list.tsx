import { Link } from '@remix-run/react';
import type { HistoryEntry } from '~/billing/invoices.server';
import { Badge } from '~/components/billing-ui';
import { formatMoney } from '~/lib/money';
import { mediumDate } from './format';

/** The history's rows: date, number, what it was for, amount, status, and the links. */
export function InvoiceList({ entries }: { entries: HistoryEntry[] }) {
  return (
    <ul className="divide-y divide-slate-100" data-testid="invoice-history">
      <li
        aria-hidden
        className="hidden gap-4 px-6 py-2 text-xs font-semibold uppercase tracking-wide text-slate-500 md:grid md:grid-cols-[7rem_9rem_1fr_6rem_8rem_7rem]"
      >
        <span>Date</span>
        <span>Number</span>
        <span>For</span>
        <span className="text-right">Amount</span>
        <span>Status</span>
        <span />
      </li>
      {entries.map((e) => (
        <li
          key={e.id}
          data-testid="invoice-row"
          data-id={e.id}
          className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1 px-6 py-3 text-sm md:grid-cols-[7rem_9rem_1fr_6rem_8rem_7rem] md:items-center"
        >
          <span className="font-medium">{mediumDate(e.date)}</span>
          <span className="whitespace-nowrap font-mono text-xs text-slate-500 md:order-none">
            {e.number ?? (e.kind === 'payment' ? 'Receipt' : '—')}
          </span>
          <span className="col-span-2 text-slate-700 md:col-span-1" data-testid="invoice-for">
            {e.description}
          </span>
          <span className="font-semibold md:text-right">{formatMoney(e.amount, e.currency)}</span>
          <span>
            <Badge tone={e.badge.tone}>{e.badge.label}</Badge>
          </span>
          <span className="col-span-2 flex gap-4 md:col-span-1 md:justify-end">
            {e.viewHref ? (
              <Link className="font-medium text-brand-700 hover:underline" to={e.viewHref} aria-label={`View invoice ${e.number ?? e.id}`}>
                View
              </Link>
            ) : null}
            {e.pdfHref ? (
              <a
                className="font-medium text-brand-700 hover:underline"
                href={e.pdfHref}
                aria-label={`PDF of invoice ${e.number ?? e.id}`}
                download
              >
                PDF
              </a>
            ) : null}
            {e.receiptUrl ? (
              <a className="font-medium text-brand-700 hover:underline" href={e.receiptUrl} target="_blank" rel="noreferrer">
                Receipt
              </a>
            ) : null}
          </span>
        </li>
      ))}
    </ul>
  );
}
