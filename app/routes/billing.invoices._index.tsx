import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { requireUser } from '~/auth/session.server';
import { invoiceHistory, nextInvoice, parseCursor } from '~/billing/invoices.server';
import { PageHeader } from '~/components/app-shell';
import { InvoiceList } from '~/components/billing/invoice-list';
import { UpcomingInvoice } from '~/components/billing/invoice-upcoming';
import { QuerySchema } from '~/forms/billing-invoices-index.server';

const FILTERS = [
  { label: 'All', status: null },
  { label: 'Paid', status: 'paid' },
  { label: 'Open', status: 'open' },
  { label: 'Void', status: 'void' },
  { label: 'Uncollectible', status: 'uncollectible' },
] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const url = new URL(request.url);
  const parsed = QuerySchema.safeParse({
    status: url.searchParams.get('status') || undefined,
    cursor: url.searchParams.get('cursor') || undefined,
  });
  if (!parsed.success) throw new Response(parsed.error.issues[0]?.message ?? 'That page link is not valid.', { status: 400 });
  const status = parsed.data.status ?? null;
  const cursor = parsed.data.cursor ? parseCursor(parsed.data.cursor) : null;
  return {
    status,
    history: invoiceHistory({ userId: user.id, status, cursor }),
    upcoming: cursor ? null : nextInvoice({ userId: user.id }),
  };
}

function href(status: string | null, cursor: string | null) {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  const q = params.toString();
  return `/billing/invoices${q ? `?${q}` : ''}`;
}

export default function InvoicesPage() {
  const { status, history, upcoming } = useLoaderData<typeof loader>();
  const filterName = FILTERS.find((f) => f.status === status)?.label.toLowerCase();
  return (
    <>
      <PageHeader title="Invoices" description="Every invoice and receipt, newest first." />
      {upcoming ? <UpcomingInvoice upcoming={upcoming} /> : null}
      <section aria-labelledby="history-title" className="card p-0">
        <div className="flex flex-wrap items-center justify-between gap-3 px-6 pt-5">
          <h2 id="history-title" className="text-base font-semibold">
            History
          </h2>
          <nav aria-label="Filter by status" className="flex flex-wrap gap-1 text-sm">
            {FILTERS.map((f) => (
              <Link
                key={f.label}
                to={href(f.status, null)}
                aria-current={f.status === status ? 'page' : undefined}
                className={`rounded-full px-3 py-1 font-medium ${f.status === status ? 'bg-brand-600 text-white' : 'bg-slate-100 text-slate-700 hover:bg-slate-200'}`}
              >
                {f.label}
              </Link>
            ))}
          </nav>
        </div>
        {history.entries.length === 0 ? (
          <p className="px-6 pb-6 pt-4 text-sm text-slate-600" data-testid="invoices-empty">
            {status
              ? `No ${filterName} invoices.`
              : history.prev
                ? 'No older invoices.'
                : 'No invoices yet. Your first one appears here when you subscribe or buy credits.'}
          </p>
        ) : (
          <div className="mt-3">
            <InvoiceList entries={history.entries} />
          </div>
        )}
        {history.prev || history.next ? (
          <nav aria-label="Pages" className="flex justify-between border-t border-slate-100 px-6 py-3 text-sm">
            {history.prev ? (
              <Link to={href(status, history.prev)} className="font-medium text-brand-700 hover:underline" rel="prev">
                ← Previous
              </Link>
            ) : (
              <span />
            )}
            {history.next ? (
              <Link to={href(status, history.next)} className="font-medium text-brand-700 hover:underline" rel="next">
                Next →
              </Link>
            ) : null}
          </nav>
        ) : null}
      </section>
    </>
  );
}
