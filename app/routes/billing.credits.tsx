import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { data } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { ActionSchema } from '~/forms/billing-credits.server';
import { requireUser } from '~/auth/session.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { completeCreditPackPurchase, creditsOverview, startCreditPackPurchase, type PurchaseStep } from '~/billing/payments.server';
import { CURRENCY, ONE_TIME } from '~/billing/plans';
import { HeaderWithStatus } from '~/components/app-shell';
import { Badge } from '~/components/billing-ui';
import { mediumDate } from '~/components/billing/format';
import { newNonce } from '~/components/billing/nonce';
import { PaymentForm } from '~/components/payment-form';
import { env } from '~/lib/env.server';
import { formatMoney } from '~/lib/money';

type CreditsResult = { ok: true; step: PurchaseStep | null; message: string | null } | { ok: false; error: string };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return { ...creditsOverview({ userId: user.id }), publishableKey: env().STRIPE_PUBLISHABLE_KEY ?? null, appUrl: env().APP_URL };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data<CreditsResult>({ ok: false, error: parsed.error.issues[0]?.message ?? 'Invalid request.' }, { status: 400 });
  try {
    if (parsed.data.intent === 'buy') {
      return data<CreditsResult>({
        ok: true,
        step: await startCreditPackPurchase({ userId: user.id, nonce: parsed.data.nonce }),
        message: null,
      });
    }
    const { status, credits } = await completeCreditPackPurchase({ userId: user.id, clientSecret: parsed.data.clientSecret });
    return data<CreditsResult>({
      ok: true,
      step: null,
      message:
        status === 'succeeded'
          ? `Thank you! Your credits are ready: ${credits.toLocaleString('en-US')} in total.`
          : 'We are waiting for your bank to confirm the payment. Your credits appear here when it does.',
    });
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError) return data<CreditsResult>({ ok: false, error: error.message }, { status: error.status });
    throw error;
  }
}

export default function CreditsPage() {
  const { credits, purchases, publishableKey, appUrl } = useLoaderData<typeof loader>();
  const buy = useFetcher<CreditsResult>({ key: 'credits-buy' });
  const confirm = useFetcher<CreditsResult>({ key: 'credits-confirm' });
  const [latest, setLatest] = useState<'buy' | 'confirm' | null>(null);
  const [closed, setClosed] = useState<string | null>(null);
  const offered = buy.data?.ok ? buy.data.step : null;
  const step = offered && offered.clientSecret !== closed ? offered : null;
  const answer = latest === 'buy' ? buy.data : latest === 'confirm' ? confirm.data : undefined;
  const pack = ONE_TIME.credit_pack;
  const price = formatMoney(pack.unitAmount, CURRENCY);

  return (
    <>
      <HeaderWithStatus
        title="Credits"
        description="API credits you buy once and use whenever you like."
        testId="credits-status"
        answer={answer}
      />
      <div className="grid gap-6 md:grid-cols-2">
        <section aria-labelledby="balance-title" className="card">
          <h2 id="balance-title" className="text-base font-semibold">
            Your balance
          </h2>
          <p className="mt-2 text-3xl font-bold tracking-tight" data-testid="credit-balance">
            Credits: {credits.toLocaleString('en-US')}
          </p>
          <p className="mt-1 text-sm text-slate-600">
            One credit pays for one API call beyond your plan’s included calls: at the end of each billing period they are spent before
            anything is charged. Credits never expire. Refunded packs take back their unused credits.
          </p>
        </section>
        <section aria-labelledby="pack-title" className="card">
          <h2 id="pack-title" className="text-base font-semibold">
            {pack.name} · {price}
          </h2>
          <p className="mt-1 text-sm text-slate-600">{pack.description}</p>
          {step && publishableKey ? (
            <div className="mt-4">
              <PaymentForm
                key={step.clientSecret}
                publishableKey={publishableKey}
                step={step}
                returnUrl={`${appUrl}/billing/credits`}
                submitLabel={`Pay ${formatMoney(step.amountDue, step.currency)}`}
                cancelLabel="Cancel"
                onCancel={() => setClosed(step.clientSecret)}
                onConfirmed={() => {
                  setClosed(step.clientSecret);
                  setLatest('confirm');
                  confirm.submit({ intent: 'confirm', clientSecret: step.clientSecret }, { method: 'post' });
                }}
              />
            </div>
          ) : publishableKey ? (
            <button
              type="button"
              className="btn-primary mt-4"
              disabled={buy.state !== 'idle' || confirm.state !== 'idle'}
              onClick={() => {
                setLatest('buy');
                buy.submit({ intent: 'buy', nonce: newNonce() }, { method: 'post' });
              }}
            >
              Buy for {price}
            </button>
          ) : (
            <p className="mt-4 text-sm text-slate-600">Payments are not configured on this server.</p>
          )}
        </section>
      </div>
      <section aria-labelledby="purchases-title" className="card p-0">
        <h2 id="purchases-title" className="px-6 pt-5 text-base font-semibold">
          Purchases
        </h2>
        {purchases.length === 0 ? (
          <p className="px-6 pb-6 pt-2 text-sm text-slate-600">No purchases yet.</p>
        ) : (
          <ul className="mt-3 divide-y divide-slate-100" data-testid="purchase-list">
            {purchases.map((p) => (
              <li key={p.id} className="flex flex-wrap items-center gap-x-6 gap-y-1 px-6 py-3 text-sm">
                <span className="w-28 font-medium">{mediumDate(p.date)}</span>
                <span className="flex-1">{p.name}</span>
                <span className="w-20 font-semibold">{formatMoney(p.amount, p.currency)}</span>
                <Badge tone={p.badge.tone}>{p.badge.label}</Badge>
                {p.receiptUrl ? (
                  <a href={p.receiptUrl} className="font-medium text-brand-700 hover:underline" target="_blank" rel="noreferrer">
                    Receipt
                  </a>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
