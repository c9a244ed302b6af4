import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { readFlash, requireUser } from '~/auth/session.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { endedNotice } from '~/billing/dunning.server';
import { nextInvoice } from '~/billing/invoices.server';
import { getBillingOverview } from '~/billing/overview.server';
import { undoScheduledChange } from '~/billing/plan-changes.server';
import { getBillingState } from '~/billing/queries.server';
import { CURRENCY, isPlanKey, type Interval } from '~/billing/plans';
import {
  abandonUnpaidAttempt,
  cancelAtPeriodEnd,
  cancelNow,
  completeSubscription,
  createPortalSession,
  pauseCollection,
  previewCancelNow,
  reactivateSubscription,
  resumeSubscription,
  startSubscription,
} from '~/billing/subscriptions.server';
import { Alert, PageHeader } from '~/components/app-shell';
import type { BillingActionResult } from '~/components/billing/action-result';
import { CancelDialog, CancelNowDialog } from '~/components/billing/cancel-dialogs';
import { Checkout } from '~/components/billing/checkout';
import { ChoosePlan } from '~/components/billing/choose-plan';
import { longDate } from '~/components/billing/format';
import { ManageButton } from '~/components/billing/manage-button';
import { PausePayments } from '~/components/billing/pause-payments';
import { RecentInvoices } from '~/components/billing/recent-invoices';
import { SubscriptionSummary } from '~/components/billing/subscription-summary';
import { useBillingActions, useConfirmAfterRedirect } from '~/components/billing/use-billing-actions';
import { ActionSchema } from '~/forms/billing-index.server';
import { UsageOverviewCard } from '~/components/usage/usage-overview';
import { env } from '~/lib/env.server';
import { formatMoney } from '~/lib/money';
import { getUsageBar } from '~/usage/summary.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  // The mirror's billing state, read once for the overview, its next invoice, the usage bar and the
  // cancel-now preview (docs/performance.md, "The billing page").
  const state = getBillingState({ userId: user.id });
  const overview = getBillingOverview({ userId: user.id, state });
  const url = new URL(request.url);
  const wanted = url.searchParams.get('plan');
  // What a finished plan change said (billing.plans.tsx redirects here with it).
  const { flash, setCookie } = await readFlash(request);
  return data(
    {
      flash,
      // The next invoice with its lines (Stripe's stored preview), as on the invoices page.
      overview: { ...overview, nextInvoice: nextInvoice({ userId: user.id, state, overview }) },
      usage: getUsageBar({ userId: user.id, state }),
      cancelNowPreview: overview.subscription?.canCancelNow ? previewCancelNow({ userId: user.id, state }) : null,
      // How the last subscription ended, when it did (a failed-payment ending says how to start again).
      ended: overview.subscription ? null : endedNotice(user.id),
      trialEligible: !user.hasHadTrial,
      publishableKey: env().STRIPE_PUBLISHABLE_KEY ?? null,
      appUrl: env().APP_URL,
      supportHref: env().supportHref,
      wantedPlan: wanted && isPlanKey(wanted) ? wanted : null,
      wantedInterval: (url.searchParams.get('interval') === 'year' ? 'year' : 'month') as Interval,
    },
    setCookie ? { headers: { 'Set-Cookie': setCookie } } : undefined,
  );
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return data<BillingActionResult>(
      { ok: false, intent: 'invalid', error: parsed.error.issues[0]?.message ?? 'Invalid request.' },
      { status: 400 },
    );
  }
  const input = parsed.data;
  try {
    switch (input.intent) {
      case 'subscribe': {
        const result = await startSubscription({
          userId: user.id,
          planKey: input.plan,
          interval: input.interval,
          seats: input.seats,
          code: input.code || undefined,
          nonce: input.nonce,
        });
        return data<BillingActionResult>({
          ok: true,
          intent: 'subscribe',
          step: result.kind === 'needs_payment' ? result.step : null,
          message: result.kind === 'done' ? 'You are subscribed.' : null,
        });
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
        return data<BillingActionResult>({ ok: true, intent: 'confirm', message });
      }
      case 'cancel':
        await cancelAtPeriodEnd({ userId: user.id, nonce: input.nonce, reason: input.reason || null, comment: input.comment || null });
        return data<BillingActionResult>({
          ok: true,
          intent: 'cancel',
          message: 'Your subscription will end at the close of this period.',
        });
      case 'reactivate':
        await reactivateSubscription({ userId: user.id, nonce: input.nonce });
        return data<BillingActionResult>({
          ok: true,
          intent: 'reactivate',
          message: 'Welcome back! Your subscription will renew as usual.',
        });
      case 'pause': {
        const paused = await pauseCollection({ userId: user.id, months: input.months, nonce: input.nonce });
        const until = paused?.pauseResumesAt ? longDate(paused.pauseResumesAt.toISOString()) : null;
        return data<BillingActionResult>({
          ok: true,
          intent: 'pause',
          message: `Payments are paused${until ? ` until ${until}` : ''}. Nothing will be charged until then.`,
        });
      }
      case 'resume':
        await resumeSubscription({ userId: user.id, nonce: input.nonce });
        return data<BillingActionResult>({ ok: true, intent: 'resume', message: 'Your subscription is running again.' });
      case 'cancel_now':
        await cancelNow({ userId: user.id, nonce: input.nonce });
        return data<BillingActionResult>({ ok: true, intent: 'cancel_now', message: 'Your subscription is cancelled.' });
      case 'portal':
        return redirect(await createPortalSession({ userId: user.id, nonce: input.nonce }));
      case 'abandon':
        await abandonUnpaidAttempt({ userId: user.id });
        return data<BillingActionResult>({
          ok: true,
          intent: 'abandon',
          message: 'The unpaid attempt is cancelled and nothing is owed. Choose a plan.',
        });
      case 'undo_plan_change':
        return data<BillingActionResult>({
          ok: true,
          intent: 'undo_plan_change',
          message: await undoScheduledChange({ userId: user.id, nonce: input.nonce }),
        });
    }
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError) {
      if (error.code === 'stripe_unavailable' || error.code === 'conflict') {
        const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : String(error.cause ?? '');
        console.warn(`billing action ${input.intent} failed: ${cause || error.message}`);
      }
      const field = error.code === 'invalid_code' ? ({ field: 'code' } as const) : {};
      return data<BillingActionResult>({ ok: false, intent: input.intent, error: error.message, ...field }, { status: error.status });
    }
    throw error;
  }
}

export default function BillingOverviewPage() {
  const {
    flash,
    overview,
    usage,
    trialEligible,
    publishableKey,
    appUrl,
    supportHref,
    wantedPlan,
    wantedInterval,
    cancelNowPreview,
    ended,
  } = useLoaderData<typeof loader>();
  const actions = useBillingActions();
  useConfirmAfterRedirect(actions.confirmPayment);
  const { busy, step } = actions;
  const sub = overview.subscription;

  return (
    <>
      {/* The header and, in one region that is always there, what the last action did: screen readers
          announce the change (a region inserted together with its text may go unannounced). */}
      <div>
        <PageHeader
          title="Billing"
          description="Your plan, payment method and invoices."
          actions={
            overview.subscription || overview.invoices.length ? (
              <ManageButton intent="portal" busy={busy} className="btn-secondary" onSubmit={actions.manageSubmitted}>
                Open Stripe customer portal
              </ManageButton>
            ) : null
          }
        />
        <div aria-live="polite" data-testid="billing-status">
          {actions.outcome ? (
            <div className="mt-6">
              <Alert kind={actions.outcome.kind}>{actions.outcome.text}</Alert>
            </div>
          ) : flash ? (
            <div className="mt-6">
              <Alert kind={flash.kind}>
                <span data-testid="flash">{flash.message}</span>
              </Alert>
            </div>
          ) : null}
        </div>
      </div>

      {ended && !sub ? (
        <div data-testid="ended-notice">
          <Alert kind={ended.reason === 'payment_failed' ? 'error' : 'info'}>
            {ended.reason === 'payment_failed'
              ? `Your subscription ended${ended.endedOn ? ` on ${ended.endedOn}` : ''} because we could not collect payment after several tries, so the paid features are off. To start again, choose a plan below: your account, API keys and invoices are kept.`
              : `Your subscription ended${ended.endedOn ? ` on ${ended.endedOn}` : ''}. To start again, choose a plan below.`}
          </Alert>
        </div>
      ) : null}

      {step && publishableKey ? (
        <Checkout
          step={step}
          publishableKey={publishableKey}
          appUrl={appUrl}
          onConfirmed={() => actions.confirmPayment(step.clientSecret)}
          onCancel={actions.abandonAttempt}
        />
      ) : null}

      {sub && !(step && sub.needsPayment) ? (
        <SubscriptionSummary
          sub={sub}
          overview={overview}
          busy={busy}
          onFinishPayment={() => actions.startPlan(sub.planKey!, sub.interval!, sub.quantity)}
          onChooseAnother={actions.abandonAttempt}
          onManageSubmit={actions.manageSubmitted}
          onOpenDialog={actions.openDialog}
        />
      ) : !step ? (
        <ChoosePlan
          trialEligible={trialEligible}
          canPay={Boolean(publishableKey)}
          busy={busy}
          wantedPlan={wantedPlan}
          wantedInterval={wantedInterval}
          onChoose={actions.startPlan}
          codeError={actions.codeError}
        />
      ) : null}

      {sub?.status === 'active' && !sub.canResume && !sub.cancelsAt ? (
        <PausePayments busy={busy} onSubmit={actions.manageSubmitted} />
      ) : null}

      {overview.credit ? (
        <section aria-labelledby="credit-title" className="card" data-testid="credit-balance">
          <h2 id="credit-title" className="text-sm font-medium text-slate-600">
            Account credit
          </h2>
          <p className="mt-2 text-slate-700">
            <span className="text-2xl font-bold text-slate-900">{formatMoney(overview.credit.amount, overview.credit.currency)}</span>
            <span className="ml-2 text-sm">is taken off your next invoices before your card is charged.</span>
          </p>
        </section>
      ) : null}

      <UsageOverviewCard usage={usage} />

      <RecentInvoices invoices={overview.invoices} />

      <CancelDialog
        open={actions.dialog === 'cancel' && Boolean(sub)}
        sub={sub}
        busy={busy}
        onSubmit={actions.manageSubmitted}
        onClose={actions.closeDialog}
      />
      <CancelNowDialog
        open={actions.dialog === 'cancel_now' && Boolean(sub)}
        preview={cancelNowPreview}
        busy={busy}
        onSubmit={actions.manageSubmitted}
        onClose={actions.closeDialog}
      />
      <p className="text-xs text-slate-600">
        Prices in {CURRENCY.toUpperCase()}.
        {supportHref ? (
          <>
            {' '}
            Questions about a charge?{' '}
            <a href={supportHref} className="underline" data-testid="support-link">
              Contact support
            </a>
            .
          </>
        ) : null}
      </p>
    </>
  );
}
