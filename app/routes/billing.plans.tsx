import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import type { z } from 'zod';
import { flash, requireUser } from '~/auth/session.server';
import { asBillingError, BillingError } from '~/billing/errors';
import { getBillingOverview } from '~/billing/overview.server';
import { confirmPlanChange, finishPlanChange, previewPlanChange, type PreviewResult } from '~/billing/plan-changes.server';
import { PromotionCodeInput } from '~/forms/promotion-code.server';
import type { Interval } from '~/billing/plans';
import { Alert, PageHeader } from '~/components/app-shell';
import { PlanNextAction } from '~/components/billing/plan-next-action';
import { PlanPicker } from '~/components/billing/plan-picker';
import { PlanReview } from '~/components/billing/plan-review';
import { ActionSchema, ChoiceSchema } from '~/forms/billing-plans.server';
import { env } from '~/lib/env.server';

export const meta: MetaFunction = () => [{ title: 'Change plan · Acme Cloud' }];

/** The choice, as the picker's GET form and the review's hidden fields send it. Seats count only on a per-seat plan. */

type FieldError = { message: string; field: 'plan' | 'interval' | 'seats' | null };

function firstIssue(error: z.ZodError): FieldError {
  const issue = error.issues[0];
  const field = issue?.path[0];
  return {
    message: issue?.message ?? 'Check your choice and try again.',
    field: field === 'plan' || field === 'interval' || field === 'seats' ? field : null,
  };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const overview = getBillingOverview({ userId: user.id });
  const sub = overview.subscription;
  const url = new URL(request.url);
  const current = { planKey: sub?.planKey ?? null, interval: sub?.interval ?? null, quantity: sub?.quantity ?? 1 };
  const initial = {
    interval: ((url.searchParams.get('interval') ?? sub?.interval) === 'year' ? 'year' : 'month') as Interval,
    // What the customer typed stays in the field, beside its error; otherwise the current seats.
    seats: url.searchParams.get('seats') ?? String(current.planKey === 'team' ? current.quantity : 1),
  };
  const base = {
    current,
    initial,
    publishableKey: env().STRIPE_PUBLISHABLE_KEY ?? null,
    payAction: overview.openInvoiceUrl ? { href: overview.openInvoiceUrl, label: 'Pay the open invoice' } : null,
  };
  const pick = (error: FieldError | null, status = 200) => data({ ...base, preview: null as PreviewResult | null, error }, { status });
  if (!url.searchParams.has('plan')) return pick(null);
  const parsed = ChoiceSchema.safeParse({
    plan: url.searchParams.get('plan'),
    interval: url.searchParams.get('interval') ?? initial.interval,
    seats: url.searchParams.get('seats') ?? undefined,
  });
  if (!parsed.success) return pick(firstIssue(parsed.error), 400);
  // A malformed code is answered beside the field, with the review computed without it.
  const typed = (url.searchParams.get('code') ?? '').slice(0, 200);
  const code = PromotionCodeInput.safeParse(typed);
  try {
    const preview = await previewPlanChange({ userId: user.id, wanted: parsed.data, code: code.success ? code.data : '' });
    if (!code.success && preview.kind === 'review')
      preview.review.code = { typed, applied: null, error: code.error.issues[0]?.message ?? 'Check the code and try again.' };
    if (preview.kind === 'refused') return pick({ message: preview.message, field: null }, 409);
    return data({ ...base, preview: preview as PreviewResult | null, error: null as FieldError | null });
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError) return pick({ message: error.message, field: null }, error.status);
    throw error;
  }
}

export type PlanActionResult =
  | { ok: false; error: string; stale?: undefined; needsAction?: undefined }
  | { ok: false; stale: true; error: string; preview: PreviewResult; needsAction?: undefined }
  | { ok: true; needsAction: { clientSecret: string; token: string }; stale?: undefined };

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data<PlanActionResult>({ ok: false, error: parsed.error.issues[0]?.message ?? 'Invalid request.' }, { status: 400 });
  const input = parsed.data;
  try {
    if (input.intent === 'confirm') {
      const choice = ChoiceSchema.safeParse({ plan: input.plan, interval: input.interval, seats: input.seats });
      if (!choice.success) return data<PlanActionResult>({ ok: false, error: firstIssue(choice.error).message }, { status: 400 });
      const result = await confirmPlanChange({ userId: user.id, token: input.token, expected: choice.data });
      if (result.kind === 'stale')
        return data<PlanActionResult>({ ok: false, stale: true, error: result.message, preview: result.preview }, { status: 409 });
      if (result.kind === 'needs_action')
        return data<PlanActionResult>({ ok: true, needsAction: { clientSecret: result.clientSecret, token: result.token } });
      return flash(request, 'success', result.message, '/billing');
    }
    try {
      const result = await finishPlanChange({ userId: user.id, token: input.token });
      return flash(request, 'success', result.kind === 'done' ? result.message : 'Your plan change is done.', '/billing');
    } catch (caught) {
      const error = asBillingError(caught);
      if (error instanceof BillingError && error.code === 'card_error' && input.failure) {
        throw new BillingError('card_error', `${input.failure} Your plan has not changed.`, { cause: error });
      }
      throw error;
    }
  } catch (caught) {
    const error = asBillingError(caught);
    if (error instanceof BillingError) {
      if (error.code === 'stripe_unavailable' || error.code === 'conflict') {
        const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : String(error.cause ?? '');
        console.warn(`plan change ${input.intent} failed: ${cause || error.message}`);
      }
      return data<PlanActionResult>({ ok: false, error: error.message }, { status: error.status });
    }
    throw error;
  }
}

export default function ChangePlanPage() {
  const loaded = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>() as PlanActionResult | undefined;
  const preview = answer?.stale ? answer.preview : loaded.preview;
  const review = preview?.kind === 'review' ? preview.review : null;
  return (
    <>
      <PageHeader title="Change plan" description="Switch plan, seats or billing interval. The amount you see is the amount you pay." />
      {answer && !answer.ok ? (
        <Alert kind="error">
          <span data-testid="change-error">{answer.error}</span>
        </Alert>
      ) : null}
      {answer?.ok && answer.needsAction && loaded.publishableKey ? (
        <PlanNextAction
          publishableKey={loaded.publishableKey}
          clientSecret={answer.needsAction.clientSecret}
          token={answer.needsAction.token}
        />
      ) : null}
      {review ? (
        <PlanReview key={review.token} review={review} />
      ) : preview?.kind === 'refused' ? (
        <PlanPicker
          current={loaded.current}
          initial={loaded.initial}
          error={{ message: preview.message, field: null }}
          action={loaded.payAction}
        />
      ) : (
        <PlanPicker current={loaded.current} initial={loaded.initial} error={loaded.error} action={loaded.payAction} />
      )}
    </>
  );
}
