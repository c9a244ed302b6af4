import type { InvoiceDetail } from '~/billing/invoices.server';
import type { PostalAddress } from '~/db/schema';
import { Badge } from '~/components/billing-ui';
import { formatMoney } from '~/lib/money';
import { longDate, mediumDate } from './format';

function addressLines(a: PostalAddress | null): string[] {
  if (!a) return [];
  const cityLine = [a.postal_code, a.city, a.state].filter(Boolean).join(' ');
  return [a.line1, a.line2, cityLine, a.country].filter((s): s is string => !!s);
}

function Row({ label, value, strong, testId }: { label: string; value: string; strong?: boolean; testId?: string }) {
  return (
    <div className={`flex justify-between gap-4 py-1 ${strong ? 'font-semibold text-slate-900' : 'text-slate-700'}`} data-testid={testId}>
      <dt>{label}</dt>
      <dd className="tabular-nums">{value}</dd>
    </div>
  );
}

/** One invoice in the app: what it was for, its lines, the sums, the payments and whom it billed. */
export function InvoiceDetailView({ invoice }: { invoice: InvoiceDetail }) {
  const money = (n: number) => formatMoney(n, invoice.currency);
  const billed = invoice.billedTo;
  return (
    <article aria-labelledby="invoice-title" className="card space-y-6">
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 id="invoice-title" className="text-2xl font-bold tracking-tight">
            Invoice {invoice.number ?? ''}
          </h1>
          <p className="mt-1 text-sm text-slate-600">{invoice.description}</p>
          <p className="mt-1 text-sm text-slate-500">
            Issued {longDate(invoice.created)}
            {invoice.dueDate ? ` · due ${longDate(invoice.dueDate)}` : ''}
            {invoice.paidAt ? ` · paid ${longDate(invoice.paidAt)}` : ''}
          </p>
        </div>
        <div className="flex flex-col items-start gap-2 sm:items-end">
          <Badge tone={invoice.badge.tone}>{invoice.badge.label}</Badge>
          <p className="text-2xl font-semibold tabular-nums">{money(invoice.total)}</p>
          <div className="flex gap-4 text-sm">
            {invoice.pdfHref ? (
              <a href={invoice.pdfHref} className="font-medium text-brand-700 hover:underline" download>
                Download PDF
              </a>
            ) : null}
            {invoice.hostedInvoiceUrl ? (
              <a href={invoice.hostedInvoiceUrl} className="font-medium text-brand-700 hover:underline" target="_blank" rel="noreferrer">
                Stripe’s invoice page
              </a>
            ) : null}
          </div>
        </div>
      </header>

      <section aria-labelledby="lines-title">
        <h2 id="lines-title" className="text-base font-semibold">
          Lines
        </h2>
        <ul className="mt-2 divide-y divide-slate-100 border-y border-slate-100" data-testid="invoice-lines">
          {invoice.lines.map((line) => (
            <li key={line.id} className="flex flex-wrap items-baseline justify-between gap-x-6 gap-y-1 py-3 text-sm">
              <div className="min-w-0 flex-1">
                <p className="font-medium text-slate-900">{line.description}</p>
                {/* Usage: the words are what the line charges for ("12,345 calls × $0.01 beyond 10,000 included"). */}
                {line.usage && line.quantityWords ? <p className="text-slate-700">{line.quantityWords}</p> : null}
                <p className="text-xs text-slate-500">
                  {[line.usage ? null : line.quantityWords, line.period, line.proration ? 'Proration' : null].filter(Boolean).join(' · ')}
                </p>
              </div>
              <span className="font-medium tabular-nums">{money(line.amount)}</span>
            </li>
          ))}
        </ul>
      </section>

      <div className="grid gap-8 md:grid-cols-2">
        <section aria-labelledby="billed-title" className="text-sm">
          <h2 id="billed-title" className="text-base font-semibold">
            Billed to
          </h2>
          <address className="mt-2 not-italic text-slate-700" data-testid="billed-to">
            {[billed.name, billed.email, ...addressLines(billed.address)].filter(Boolean).map((line) => (
              <span key={line} className="block">
                {line}
              </span>
            ))}
            {billed.taxIds.map((t) => (
              <span key={`${t.type}:${t.value}`} className="block">
                Tax ID: {t.value} ({t.type.replace('_', ' ').toUpperCase()})
              </span>
            ))}
          </address>
        </section>
        <section aria-labelledby="sums-title" className="text-sm">
          <h2 id="sums-title" className="sr-only">
            Amounts
          </h2>
          <dl className="divide-y divide-slate-100">
            <Row label="Subtotal" value={money(invoice.subtotal)} />
            {invoice.discount > 0 ? <Row label="Discount" value={`−${money(invoice.discount)}`} /> : null}
            {invoice.billingCredits > 0 ? (
              <Row label="Credits applied" value={`−${money(invoice.billingCredits)}`} testId="billing-credits" />
            ) : null}
            {invoice.tax > 0 ? <Row label="Tax" value={money(invoice.tax)} /> : null}
            <Row label="Total" value={money(invoice.total)} strong />
            {invoice.creditApplied > 0 ? <Row label="Credit balance applied" value={`−${money(invoice.creditApplied)}`} /> : null}
            <Row label="Amount paid" value={money(invoice.amountPaid)} testId="amount-paid" />
            <Row
              label="Amount remaining"
              value={money(invoice.amountRemaining)}
              strong={invoice.amountRemaining > 0}
              testId="amount-remaining"
            />
            {invoice.credited > 0 ? <Row label="Refunded or credited" value={money(invoice.credited)} /> : null}
          </dl>
        </section>
      </div>

      {invoice.payments.length ? (
        <section aria-labelledby="payments-title" className="text-sm">
          <h2 id="payments-title" className="text-base font-semibold">
            Payments
          </h2>
          <ul className="mt-2 space-y-1 text-slate-700">
            {invoice.payments.map((p) => (
              <li key={p.id}>
                {money(p.amount)} · {p.status === 'paid' ? 'paid' : p.status === 'open' ? 'not paid yet' : p.status}
                {p.date ? ` on ${mediumDate(p.date)}` : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </article>
  );
}
