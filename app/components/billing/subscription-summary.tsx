import { Link } from '@remix-run/react';
import type { FormEvent } from 'react';
import type { NextInvoice } from '~/billing/invoices.server';
import type { BillingOverview } from '~/billing/overview.server';
import { PLANS } from '~/billing/plans';
import { Badge, brandName, CardGlyph } from '~/components/billing-ui';
import { formatMoney } from '~/lib/money';
import { longDate, mediumDate } from './format';
import { ManageButton } from './manage-button';
import type { DialogKind } from './use-billing-actions';

type Subscription = NonNullable<BillingOverview['subscription']>;

/** The current subscription with what can be done with it, beside the card on file and the next invoice. */
export function SubscriptionSummary(props: {
  sub: Subscription;
  overview: Pick<BillingOverview, 'paymentMethod' | 'openInvoiceUrl'> & { nextInvoice: NextInvoice | null };
  busy: boolean;
  onFinishPayment: () => void;
  onChooseAnother: () => void;
  onManageSubmit: (event: FormEvent<HTMLFormElement>) => void;
  onOpenDialog: (kind: DialogKind) => void;
}) {
  const { sub, overview, busy } = props;
  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <section aria-labelledby="plan-title" className="card lg:col-span-2">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="plan-title" className="text-xl font-semibold" data-testid="plan-name">
            {sub.planName}
            {sub.interval ? (
              <span className="ml-2 text-base font-normal text-slate-500">{sub.interval === 'month' ? 'Monthly' : 'Yearly'}</span>
            ) : null}
            {sub.quantity > 1 ? <span className="ml-2 text-base font-normal text-slate-500">· {sub.quantity} seats</span> : null}
          </h2>
          <Badge tone={sub.view.tone}>{sub.view.label}</Badge>
        </div>
        <p className="mt-2 text-slate-700" data-testid="status-detail">
          {sub.view.detail}
        </p>
        {sub.pendingChange ? (
          <div
            className="mt-3 flex flex-wrap items-center gap-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-inset ring-amber-600/20"
            data-testid="pending-change"
          >
            <span>
              Switches to {sub.pendingChange.planName}
              {sub.pendingChange.quantity > 1 ? ` (${sub.pendingChange.quantity} seats)` : ''}
              {sub.pendingChange.interval && sub.pendingChange.interval !== sub.interval
                ? `, ${sub.pendingChange.interval === 'year' ? 'yearly' : 'monthly'}`
                : ''}{' '}
              on {mediumDate(sub.pendingChange.at)}
            </span>
            <ManageButton
              intent="undo_plan_change"
              busy={busy}
              className="font-medium text-amber-900 underline hover:no-underline disabled:opacity-50"
              onSubmit={props.onManageSubmit}
            >
              Undo
            </ManageButton>
          </div>
        ) : null}
        {sub.planKey ? (
          <ul className="mt-4 grid gap-x-6 gap-y-1 text-sm text-slate-600 sm:grid-cols-2">
            {PLANS[sub.planKey].highlights
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
        ) : null}
        <div className="mt-6 flex flex-wrap gap-3">
          {sub.needsPayment && sub.planKey && sub.interval ? (
            <>
              <button type="button" className="btn-primary" disabled={busy} onClick={props.onFinishPayment}>
                Finish payment
              </button>
              <button type="button" className="btn-secondary" disabled={busy} onClick={props.onChooseAnother}>
                Choose another plan
              </button>
            </>
          ) : null}
          {overview.openInvoiceUrl ? (
            <a href={overview.openInvoiceUrl} className="btn-primary" target="_blank" rel="noreferrer">
              Pay the open invoice
            </a>
          ) : null}
          {sub.status === 'past_due' || sub.status === 'unpaid' ? (
            <ManageButton intent="portal" busy={busy} className="btn-secondary" onSubmit={props.onManageSubmit}>
              Update card
            </ManageButton>
          ) : null}
          {sub.canChangePlan ? (
            <Link to="/billing/plans" className="btn-secondary">
              Change plan
            </Link>
          ) : null}
          {sub.canResume ? (
            <ManageButton intent="resume" busy={busy} className="btn-primary" onSubmit={props.onManageSubmit}>
              Resume subscription
            </ManageButton>
          ) : null}
          {sub.canReactivate ? (
            <ManageButton intent="reactivate" busy={busy} className="btn-primary" onSubmit={props.onManageSubmit}>
              Keep my subscription
            </ManageButton>
          ) : null}
          {sub.canCancel ? (
            <button type="button" className="btn-secondary" disabled={busy} onClick={() => props.onOpenDialog('cancel')}>
              Cancel subscription
            </button>
          ) : null}
          {sub.canCancelNow ? (
            <button
              type="button"
              className="text-sm font-medium text-red-600 hover:underline disabled:opacity-50"
              disabled={busy}
              onClick={() => props.onOpenDialog('cancel_now')}
            >
              Cancel now
            </button>
          ) : null}
        </div>
      </section>
      <div className="space-y-6">
        <section aria-labelledby="pm-title" className="card">
          <h2 id="pm-title" className="text-sm font-medium text-slate-500">
            Payment method
          </h2>
          {overview.paymentMethod ? (
            <div className="mt-3 flex items-center gap-3" data-testid="payment-method">
              <CardGlyph brand={overview.paymentMethod.brand} />
              <div>
                <p className="font-medium">
                  {brandName(overview.paymentMethod.brand)} ending in {overview.paymentMethod.last4}
                </p>
                <p className={`text-sm ${overview.paymentMethod.expired ? 'text-red-600' : 'text-slate-500'}`}>
                  {overview.paymentMethod.expired ? 'Expired' : 'Expires'} {String(overview.paymentMethod.expMonth).padStart(2, '0')}/
                  {overview.paymentMethod.expYear}
                </p>
              </div>
            </div>
          ) : (
            <p className="mt-3 text-sm text-slate-600">No card on file yet.</p>
          )}
        </section>
        <section aria-labelledby="next-title" className="card">
          <h2 id="next-title" className="text-sm font-medium text-slate-500">
            Next invoice
          </h2>
          {overview.nextInvoice ? (
            <p className="mt-3" data-testid="next-invoice">
              <span className="text-2xl font-bold">{formatMoney(overview.nextInvoice.amount, overview.nextInvoice.currency)}</span>
              <span className="ml-2 text-sm text-slate-600">on {longDate(overview.nextInvoice.date)}</span>
              {overview.nextInvoice.credit > 0 ? (
                <span className="mt-1 block text-sm text-slate-600" data-testid="next-invoice-credit">
                  After {formatMoney(overview.nextInvoice.credit, overview.nextInvoice.currency)} of account credit.
                </span>
              ) : null}
            </p>
          ) : null}
          {overview.nextInvoice?.lines.length ? (
            <ul className="mt-3 space-y-1 border-t border-slate-100 pt-3 text-sm" data-testid="next-invoice-lines">
              {overview.nextInvoice.lines.map((line, i) => (
                <li key={i} className="flex justify-between gap-3">
                  <span className="min-w-0 text-slate-700">
                    {line.description}
                    {line.quantityWords ? <span className="block text-xs text-slate-500">{line.quantityWords}</span> : null}
                  </span>
                  <span className="tabular-nums text-slate-700">{formatMoney(line.amount, overview.nextInvoice!.currency)}</span>
                </li>
              ))}
            </ul>
          ) : null}
          {overview.nextInvoice ? null : (
            <p className="mt-3 text-sm text-slate-600">
              {sub.cancelsAt ? 'None: your subscription ends before then.' : 'Nothing scheduled.'}
            </p>
          )}
        </section>
      </div>
    </div>
  );
}
