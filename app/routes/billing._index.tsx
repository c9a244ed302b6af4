import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Link, useFetcher, useLoaderData, useRevalidator, useSearchParams } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { requireUser } from '~/auth/session.server';
import { BillingError } from '~/billing/errors';
import { getBillingOverview } from '~/billing/overview.server';
import { PLANS, CURRENCY, type Interval, type PlanKey } from '~/billing/plans';
import {
  cancelAtPeriodEnd,
  cancelNow,
  completeSubscription,
  createPortalSession,
  previewCancelNow,
  reactivateSubscription,
  resumeSubscription,
  startSubscription,
  type PaymentStep,
} from '~/billing/subscriptions.server';
import { CANCELLATION_REASONS } from '~/db/schema/subscription-extras';
import { Alert, PageHeader } from '~/components/app-shell';
import { Badge, brandName, CardGlyph, Dialog } from '~/components/billing-ui';
import { PaymentForm } from '~/components/payment-form';
import { PricingTable } from '~/components/pricing-table';
import { env } from '~/lib/env.server';
import { formatMoney } from '~/lib/money';

const Nonce = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'Reload the page and try again.');

const ActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('subscribe'),
    plan: z.enum(['starter', 'pro', 'team'], { message: 'Choose one of the plans shown.' }),
    interval: z.enum(['month', 'year'], { message: 'Choose monthly or yearly.' }),
    seats: z.coerce.number({ message: 'Enter a number of seats.' }).int('Seats must be a whole number.').min(1, 'At least 1 seat.').max(500, 'At most 500 seats; contact us for more.').optional(),
    nonce: Nonce,
  }),
  z.object({ intent: z.literal('confirm') }),
  z.object({
    intent: z.literal('cancel'),
    reason: z.union([z.enum(CANCELLATION_REASONS), z.literal('')]).optional(),
    comment: z.string().max(500, 'Keep the comment under 500 characters.').optional(),
    nonce: Nonce,
  }),
  z.object({ intent: z.literal('reactivate'), nonce: Nonce }),
  z.object({ intent: z.literal('resume'), nonce: Nonce }),
  z.object({ intent: z.literal('cancel_now'), nonce: Nonce }),
  z.object({ intent: z.literal('portal'), nonce: Nonce }),
]);

type ActionResult =
  | { ok: true; intent: 'subscribe'; step: PaymentStep | null; message: string | null }
  | { ok: true; intent: string; step?: undefined; message: string | null }
  | { ok: false; intent: string; error: string; step?: undefined };

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const overview = getBillingOverview({ userId: user.id });
  const url = new URL(request.url);
  const wanted = url.searchParams.get('plan');
  return {
    overview,
    cancelNowPreview: overview.subscription?.canCancelNow ? previewCancelNow({ userId: user.id }) : null,
    trialEligible: !user.hasHadTrial,
    publishableKey: env().STRIPE_PUBLISHABLE_KEY ?? null,
    appUrl: env().APP_URL,
    wantedPlan: wanted && wanted in PLANS ? (wanted as PlanKey) : null,
    wantedInterval: (url.searchParams.get('interval') === 'year' ? 'year' : 'month') as Interval,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return data<ActionResult>({ ok: false, intent: 'invalid', error: parsed.error.issues[0]?.message ?? 'Invalid request.' }, { status: 400 });
  }
  const input = parsed.data;
  try {
    switch (input.intent) {
      case 'subscribe': {
        const result = await startSubscription({ userId: user.id, planKey: input.plan, interval: input.interval, seats: input.seats, nonce: input.nonce });
        return data<ActionResult>({ ok: true, intent: 'subscribe', step: result.kind === 'needs_payment' ? result.step : null, message: result.kind === 'done' ? 'You are subscribed.' : null });
      }
      case 'confirm': {
        const { notice, status } = await completeSubscription({ userId: user.id });
        const message =
          notice ??
          (status === 'trialing'
            ? 'Your free trial has started. Your card is saved and will not be charged until the trial ends.'
            : status === 'active'
              ? 'Payment confirmed. Welcome aboard!'
              : 'We are still waiting for the payment to complete. This page will update when it does.');
        return data<ActionResult>({ ok: true, intent: 'confirm', message });
      }
      case 'cancel':
        await cancelAtPeriodEnd({ userId: user.id, nonce: input.nonce, reason: input.reason || null, comment: input.comment || null });
        return data<ActionResult>({ ok: true, intent: 'cancel', message: 'Your subscription will end at the close of this period.' });
      case 'reactivate':
        await reactivateSubscription({ userId: user.id, nonce: input.nonce });
        return data<ActionResult>({ ok: true, intent: 'reactivate', message: 'Welcome back! Your subscription will renew as usual.' });
      case 'resume':
        await resumeSubscription({ userId: user.id, nonce: input.nonce });
        return data<ActionResult>({ ok: true, intent: 'resume', message: 'Your subscription is running again.' });
      case 'cancel_now':
        await cancelNow({ userId: user.id, nonce: input.nonce });
        return data<ActionResult>({ ok: true, intent: 'cancel_now', message: 'Your subscription is cancelled.' });
      case 'portal':
        return redirect(await createPortalSession({ userId: user.id, nonce: input.nonce }));
    }
  } catch (error) {
    if (error instanceof BillingError) {
      if (error.code === 'stripe_unavailable' || error.code === 'conflict') {
        const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : String(error.cause ?? '');
        console.warn(`billing action ${input.intent} failed: ${cause || error.message}`);
      }
      return data<ActionResult>({ ok: false, intent: input.intent, error: error.message }, { status: error.status });
    }
    throw error;
  }
}

const longDate = (iso: string) => new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

const mediumDate = (iso: string) => new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

const REASON_LABELS: Record<(typeof CANCELLATION_REASONS)[number], string> = {
  too_expensive: 'It is too expensive',
  missing_features: 'It is missing features I need',
  switched_service: 'I switched to another service',
  unused: 'I do not use it enough',
  other: 'Something else',
};

export default function BillingOverviewPage() {
  const { overview, trialEligible, publishableKey, appUrl, wantedPlan, wantedInterval, cancelNowPreview } = useLoaderData<typeof loader>();
  const subscribe = useFetcher<ActionResult>({ key: 'subscribe' });
  const confirm = useFetcher<ActionResult>({ key: 'confirm' });
  const manage = useFetcher<ActionResult>({ key: 'manage' });
  const revalidator = useRevalidator();
  const [params, setParams] = useSearchParams();
  const [step, setStep] = useState<PaymentStep | null>(null);
  const [dialog, setDialog] = useState<'cancel' | 'cancel_now' | null>(null);
  const confirmedRedirect = useRef(false);
  // One nonce per attempt: a resubmitted form reuses its idempotency key; a new action gets a new one.
  const [formNonce, setFormNonce] = useState('');
  useEffect(() => setFormNonce(newNonce()), []);

  useEffect(() => {
    if (subscribe.state === 'idle' && subscribe.data?.ok && subscribe.data.intent === 'subscribe') setStep(subscribe.data.step ?? null);
  }, [subscribe.state, subscribe.data]);

  useEffect(() => {
    if (confirm.state === 'idle' && confirm.data?.ok) setStep(null);
  }, [confirm.state, confirm.data]);

  useEffect(() => {
    if (manage.state === 'idle' && manage.data) {
      setDialog(null);
      setFormNonce(newNonce());
    }
  }, [manage.state, manage.data]);

  // Back from a redirect-based confirmation (Stripe appends redirect_status): finish once.
  useEffect(() => {
    const status = params.get('redirect_status');
    if (status && !confirmedRedirect.current) {
      confirmedRedirect.current = true;
      if (status === 'succeeded') confirm.submit({ intent: 'confirm' }, { method: 'post' });
      setParams({}, { replace: true });
    }
  }, [params, setParams, confirm]);

  const sub = overview.subscription;
  // The banner shows the outcome of the latest action, whichever fetcher ran it.
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const outcome = (d: ActionResult | undefined) =>
    d ? (d.ok ? (d.message ? { kind: 'success' as const, text: d.message } : null) : { kind: 'error' as const, text: d.error }) : null;
  useEffect(() => setMessage(outcome(subscribe.data)), [subscribe.data]);
  useEffect(() => setMessage(outcome(confirm.data)), [confirm.data]);
  useEffect(() => setMessage(outcome(manage.data)), [manage.data]);

  const startPlan = (plan: PlanKey, interval: Interval, seats?: number) =>
    subscribe.submit({ intent: 'subscribe', plan, interval, nonce: newNonce(), ...(seats ? { seats: String(seats) } : {}) }, { method: 'post' });

  const busy = subscribe.state !== 'idle' || confirm.state !== 'idle' || manage.state !== 'idle';

  return (
    <>
      <PageHeader
        title="Billing"
        description="Your plan, payment method and invoices."
        actions={
          overview.subscription || overview.invoices.length ? (
            <manage.Form method="post" onSubmit={() => setTimeout(() => setFormNonce(newNonce()), 0)}>
              <input type="hidden" name="intent" value="portal" />
              <input type="hidden" name="nonce" value={formNonce} />
              <button type="submit" className="btn-secondary" disabled={busy}>
                Open Stripe customer portal
              </button>
            </manage.Form>
          ) : null
        }
      />
      {message?.text ? <Alert kind={message.kind}>{message.text}</Alert> : null}

      {step && publishableKey ? (
        <section aria-labelledby="checkout-title" className="card">
          <div className="flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="checkout-title" className="text-lg font-semibold">
              {step.intentType === 'setup' ? `Start your ${PLANS[step.planKey].name} trial` : `Subscribe to ${PLANS[step.planKey].name}`}
            </h2>
            <p className="text-sm text-slate-600">
              {PLANS[step.planKey].name} · {step.interval === 'month' ? 'Monthly' : 'Yearly'}
              {step.intentType === 'setup' && step.trialEnd ? ` · free until ${longDate(new Date(step.trialEnd).toISOString())}` : ` · ${formatMoney(step.amountDue, step.currency)} due today`}
            </p>
          </div>
          {step.resumed ? <p className="mt-1 text-sm text-slate-500">We picked up where you left off.</p> : null}
          <div className="mt-5 max-w-xl">
            <PaymentForm
              key={step.clientSecret}
              publishableKey={publishableKey}
              step={step}
              returnUrl={`${appUrl}/billing`}
              submitLabel={step.intentType === 'setup' ? 'Start free trial' : `Pay ${formatMoney(step.amountDue, step.currency)}`}
              onConfirmed={() => confirm.submit({ intent: 'confirm' }, { method: 'post' })}
              onCancel={sub ? undefined : () => setStep(null)}
            />
          </div>
        </section>
      ) : null}

      {sub && !(step && sub.needsPayment) ? (
        <div className="grid gap-6 lg:grid-cols-3">
          <section aria-labelledby="plan-title" className="card lg:col-span-2">
            <div className="flex flex-wrap items-center gap-3">
              <h2 id="plan-title" className="text-xl font-semibold" data-testid="plan-name">
                {sub.planName}
                {sub.interval ? <span className="ml-2 text-base font-normal text-slate-500">{sub.interval === 'month' ? 'Monthly' : 'Yearly'}</span> : null}
                {sub.quantity > 1 ? <span className="ml-2 text-base font-normal text-slate-500">· {sub.quantity} seats</span> : null}
              </h2>
              <Badge tone={sub.view.tone}>{sub.view.label}</Badge>
            </div>
            <p className="mt-2 text-slate-700" data-testid="status-detail">
              {sub.view.detail}
            </p>
            {sub.planKey ? (
              <ul className="mt-4 grid gap-x-6 gap-y-1 text-sm text-slate-600 sm:grid-cols-2">
                {PLANS[sub.planKey].highlights.filter((h) => !/trial/i.test(h)).map((h) => (
                  <li key={h} className="flex gap-2">
                    <span aria-hidden className="text-brand-600">✓</span>
                    {h}
                  </li>
                ))}
              </ul>
            ) : null}
            <div className="mt-6 flex flex-wrap gap-3">
              {sub.needsPayment && sub.planKey && sub.interval ? (
                <button type="button" className="btn-primary" disabled={busy} onClick={() => startPlan(sub.planKey!, sub.interval!, sub.quantity)}>
                  Finish payment
                </button>
              ) : null}
              {overview.openInvoiceUrl ? (
                <a href={overview.openInvoiceUrl} className="btn-primary" target="_blank" rel="noreferrer">
                  Pay the open invoice
                </a>
              ) : null}
              {sub.status === 'past_due' || sub.status === 'unpaid' ? (
                <ManageButton intent="portal" nonce={formNonce} busy={busy} className="btn-secondary">
                  Update card
                </ManageButton>
              ) : null}
              {sub.canResume ? (
                <ManageButton intent="resume" nonce={formNonce} busy={busy} className="btn-primary">
                  Resume subscription
                </ManageButton>
              ) : null}
              {sub.canReactivate ? (
                <ManageButton intent="reactivate" nonce={formNonce} busy={busy} className="btn-primary">
                  Keep my subscription
                </ManageButton>
              ) : null}
              {sub.canCancel ? (
                <button type="button" className="btn-secondary" disabled={busy} onClick={() => setDialog('cancel')}>
                  Cancel subscription
                </button>
              ) : null}
              {sub.canCancelNow ? (
                <button type="button" className="text-sm font-medium text-red-600 hover:underline disabled:opacity-50" disabled={busy} onClick={() => setDialog('cancel_now')}>
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
                      {overview.paymentMethod.expired ? 'Expired' : 'Expires'} {String(overview.paymentMethod.expMonth).padStart(2, '0')}/{overview.paymentMethod.expYear}
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
                  <span className="ml-2 text-sm text-slate-500">on {longDate(overview.nextInvoice.date)}</span>
                </p>
              ) : (
                <p className="mt-3 text-sm text-slate-600">{sub.cancelsAt ? 'None: your subscription ends before then.' : 'Nothing scheduled.'}</p>
              )}
            </section>
          </div>
        </div>
      ) : !step ? (
        <section aria-labelledby="choose-title" className="space-y-6">
          <div className="card text-center">
            <h2 id="choose-title" className="text-lg font-semibold">
              You have no subscription yet
            </h2>
            <p className="mt-1 text-sm text-slate-600">
              Choose a plan to get started. {trialEligible ? 'Pro comes with a 14-day free trial. ' : ''}Pay securely without leaving this page; cancel any time.
            </p>
          </div>
          <PricingTable
            initialInterval={wantedInterval}
            renderAction={(plan, interval) => (
              <PlanButton
                planKey={plan.key}
                label={plan.trialDays > 0 && trialEligible ? `Start ${plan.trialDays}-day trial` : `Subscribe to ${plan.name}`}
                perSeat={plan.perSeat}
                featured={plan.key === (wantedPlan ?? 'pro')}
                disabled={busy || !publishableKey}
                onChoose={(seats) => startPlan(plan.key, interval, seats)}
              />
            )}
          />
          {!publishableKey ? <Alert kind="info">Payments are not configured on this server (no Stripe keys).</Alert> : null}
        </section>
      ) : null}

      <section aria-labelledby="invoices-title" className="card p-0">
        <h2 id="invoices-title" className="px-6 pt-5 text-base font-semibold">
          Recent invoices
        </h2>
        {overview.invoices.length === 0 ? (
          <p className="px-6 pb-6 pt-2 text-sm text-slate-600">No invoices yet. They appear here after your first payment.</p>
        ) : (
          <ul className="mt-3 divide-y divide-slate-100" data-testid="invoice-list">
            {overview.invoices.map((inv) => (
              <li key={inv.id} className="flex flex-wrap items-center gap-x-6 gap-y-1 px-6 py-3 text-sm">
                <span className="w-32 font-medium">{mediumDate(inv.created)}</span>
                <span className="w-36 whitespace-nowrap font-mono text-xs text-slate-500">{inv.number ?? 'Draft'}</span>
                <span className="w-24 font-semibold">{formatMoney(inv.total, inv.currency)}</span>
                <span className="w-24 capitalize">
                  <Badge tone={inv.status === 'paid' ? 'green' : inv.status === 'open' ? 'amber' : 'gray'}>{inv.status ?? 'draft'}</Badge>
                </span>
                <span className="ml-auto flex gap-4">
                  {inv.hostedInvoiceUrl ? (
                    <a className="font-medium text-brand-700 hover:underline" href={inv.hostedInvoiceUrl} target="_blank" rel="noreferrer">
                      View
                    </a>
                  ) : null}
                  {inv.invoicePdf ? (
                    <a className="font-medium text-brand-700 hover:underline" href={inv.invoicePdf} target="_blank" rel="noreferrer">
                      PDF
                    </a>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <Dialog open={dialog === 'cancel' && Boolean(sub)} title="Cancel your subscription?" onClose={() => setDialog(null)}>
        <manage.Form method="post" className="space-y-4">
          <input type="hidden" name="intent" value="cancel" />
          <input type="hidden" name="nonce" value={formNonce} />
          <p className="text-sm text-slate-700">
            You keep full access until <strong>{sub?.currentPeriodEnd ? longDate(sub.trialEnd && sub.status === 'trialing' ? sub.trialEnd : sub.currentPeriodEnd) : 'the end of the period'}</strong>. Nothing more will be charged, and you can change your mind until then.
          </p>
          <div>
            <label htmlFor="cancel-reason" className="label">
              Why are you leaving? <span className="font-normal text-slate-500">(optional)</span>
            </label>
            <select id="cancel-reason" name="reason" className="input mt-1" defaultValue="">
              <option value="">Prefer not to say</option>
              {CANCELLATION_REASONS.map((r) => (
                <option key={r} value={r}>
                  {REASON_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
          <div className="flex justify-end gap-3">
            <button type="button" className="btn-secondary" onClick={() => setDialog(null)}>
              Keep subscription
            </button>
            <button type="submit" className="btn-danger" disabled={busy}>
              Cancel at period end
            </button>
          </div>
        </manage.Form>
      </Dialog>

      <Dialog open={dialog === 'cancel_now' && Boolean(sub)} title="Cancel immediately?" onClose={() => setDialog(null)}>
        <manage.Form method="post" className="space-y-4">
          <input type="hidden" name="intent" value="cancel_now" />
          <input type="hidden" name="nonce" value={formNonce} />
          <p className="text-sm text-slate-700">
            Access ends right away.{' '}
            {cancelNowPreview && cancelNowPreview.credit > 0
              ? `You get a credit of about ${formatMoney(cancelNowPreview.credit, cancelNowPreview.currency)} for the unused time, added to your account balance for future invoices.`
              : 'There is no unused paid time to credit.'}
          </p>
          <div className="flex justify-end gap-3">
            <button type="button" className="btn-secondary" onClick={() => setDialog(null)}>
              Go back
            </button>
            <button type="submit" className="btn-danger" disabled={busy}>
              Cancel now
            </button>
          </div>
        </manage.Form>
      </Dialog>
      <p className="text-xs text-slate-500">
        Prices in {CURRENCY.toUpperCase()}. Questions about a charge? <Link to="/dashboard" className="underline">Contact support</Link>.
      </p>
    </>
  );
}

function newNonce() {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/** A one-button form for a manage action (shares the page's `manage` fetcher by key). */
function ManageButton(props: { intent: string; nonce: string; busy: boolean; className: string; children: React.ReactNode }) {
  const manage = useFetcher<ActionResult>({ key: 'manage' });
  return (
    <manage.Form method="post">
      <input type="hidden" name="intent" value={props.intent} />
      <input type="hidden" name="nonce" value={props.nonce} />
      <button type="submit" className={props.className} disabled={props.busy}>
        {props.children}
      </button>
    </manage.Form>
  );
}

function PlanButton(props: { planKey: PlanKey; label: string; perSeat: boolean; featured: boolean; disabled: boolean; onChoose: (seats?: number) => void }) {
  const [seats, setSeats] = useState(1);
  return (
    <div className="space-y-3">
      {props.perSeat ? (
        <div className="flex items-center gap-2">
          <label htmlFor={`seats-${props.planKey}`} className="text-sm text-slate-700">
            Seats
          </label>
          <input
            id={`seats-${props.planKey}`}
            type="number"
            min={1}
            max={500}
            value={seats}
            onChange={(e) => setSeats(Math.max(1, Math.min(500, Number(e.target.value) || 1)))}
            className="input w-24"
          />
        </div>
      ) : null}
      <button type="button" className={props.featured ? 'btn-primary w-full' : 'btn-secondary w-full'} disabled={props.disabled} onClick={() => props.onChoose(props.perSeat ? seats : undefined)}>
        {props.label}
      </button>
    </div>
  );
}
