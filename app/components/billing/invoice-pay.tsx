import { useFetcher } from '@remix-run/react';
import { useState } from 'react';
import type { InvoiceDetail, InvoicePaymentStep } from '~/billing/invoices.server';
import { Alert } from '~/components/app-shell';
import { PaymentForm } from '~/components/payment-form';
import { formatMoney } from '~/lib/money';
import { fillNonce } from './nonce';

/** What the invoice page's action answers. */
export type InvoicePayResult = { ok: true; step: InvoicePaymentStep | null; message: string | null } | { ok: false; error: string };

/**
 * Pay an open invoice in the page: with a saved card (`invoices.pay`), or a new card in the Payment
 * Element confirming the invoice's own PaymentIntent (3D Secure in the page), then the action syncs.
 */
export function InvoicePay(props: {
  invoice: InvoiceDetail;
  cards: { id: string; label: string; isDefault: boolean }[];
  publishableKey: string | null;
  returnUrl: string;
}) {
  const { invoice } = props;
  const start = useFetcher<InvoicePayResult>({ key: `invoice-pay-start:${invoice.id}` });
  const saved = useFetcher<InvoicePayResult>({ key: `invoice-pay-saved:${invoice.id}` });
  const complete = useFetcher<InvoicePayResult>({ key: `invoice-pay-complete:${invoice.id}` });
  const [latest, setLatest] = useState<'start' | 'saved' | 'complete' | null>(null);
  const busy = start.state !== 'idle' || saved.state !== 'idle' || complete.state !== 'idle';
  const step = start.data?.ok && start.data.step && !(latest === 'complete' && complete.data?.ok) ? start.data.step : null;
  const answer = latest === 'start' ? start.data : latest === 'saved' ? saved.data : latest === 'complete' ? complete.data : undefined;
  const amount = formatMoney(invoice.amountRemaining, invoice.currency);

  return (
    <section aria-labelledby="pay-title" className="card space-y-4 ring-1 ring-amber-200">
      <div>
        <h2 id="pay-title" className="text-lg font-semibold">
          {amount} to pay
        </h2>
        <p className="text-sm text-slate-600">Pay this invoice now with a saved card or a new one.</p>
      </div>
      {answer && !answer.ok ? <Alert kind="error">{answer.error}</Alert> : null}
      {answer?.ok && answer.message ? <Alert kind="success">{answer.message}</Alert> : null}
      {!step ? (
        <div className="flex flex-wrap gap-3">
          {props.cards.map((card) => (
            <saved.Form key={card.id} method="post" onSubmit={(e) => (fillNonce(e), setLatest('saved'))}>
              <input type="hidden" name="intent" value="pay_saved" />
              <input type="hidden" name="paymentMethod" value={card.id} />
              <input type="hidden" name="nonce" defaultValue="" />
              <button type="submit" className={card.isDefault ? 'btn-primary' : 'btn-secondary'} disabled={busy}>
                Pay {amount} with {card.label}
              </button>
            </saved.Form>
          ))}
          {props.publishableKey ? (
            <start.Form method="post" onSubmit={() => setLatest('start')}>
              <input type="hidden" name="intent" value="pay_start" />
              <button type="submit" className={props.cards.length ? 'btn-secondary' : 'btn-primary'} disabled={busy}>
                {props.cards.length ? 'Pay with a new card' : 'Pay now'}
              </button>
            </start.Form>
          ) : null}
        </div>
      ) : props.publishableKey ? (
        <div className="max-w-xl">
          <PaymentForm
            key={step.clientSecret}
            publishableKey={props.publishableKey}
            step={step}
            returnUrl={props.returnUrl}
            submitLabel={`Pay ${formatMoney(step.amountDue, step.currency)}`}
            onConfirmed={() => {
              setLatest('complete');
              complete.submit({ intent: 'pay_complete' }, { method: 'post' });
            }}
          />
        </div>
      ) : null}
    </section>
  );
}
