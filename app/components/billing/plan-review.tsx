import { Form, Link, useNavigation } from '@remix-run/react';
import type { PlanChangeReview } from '~/billing/plan-changes.server';
import type { Interval } from '~/billing/plans';
import { brandName } from '~/components/billing-ui';
import { formatMoney } from '~/lib/money';
import { mediumDate } from './format';

const per = (interval: Interval) => (interval === 'month' ? 'month' : 'year');

function describe(choice: { name: string; interval: Interval; seats: number; plan: string }) {
  const seats = choice.plan === 'team' ? `, ${choice.seats} seat${choice.seats === 1 ? '' : 's'}` : '';
  return `${choice.name} (${choice.interval === 'month' ? 'monthly' : 'yearly'}${seats})`;
}

/**
 * "Have a code?": a GET back to this review with `code=`, so the amounts shown are Stripe's with the
 * code applied, and a refusal stands beside the field in Stripe's words.
 */
function CodeField({ review }: { review: PlanChangeReview }) {
  const { code } = review;
  const navigation = useNavigation();
  const applying = navigation.state === 'loading' && navigation.location?.search.includes('code=');
  return (
    <details className="rounded-md border border-slate-200 px-4 py-3" open={code.typed !== '' || undefined} data-testid="promo-code">
      <summary className="cursor-pointer text-sm font-medium text-slate-800">Have a code?</summary>
      <Form method="get" action="/billing/plans" className="mt-3 space-y-2">
        <input type="hidden" name="plan" value={review.wanted.plan} />
        <input type="hidden" name="interval" value={review.wanted.interval} />
        <input type="hidden" name="seats" value={review.wanted.seats} />
        <label htmlFor="promo-code-input" className="block text-sm text-slate-700">
          Promotion code
        </label>
        <div className="flex flex-wrap gap-2">
          <input
            id="promo-code-input"
            name="code"
            defaultValue={code.typed}
            autoComplete="off"
            spellCheck={false}
            maxLength={64}
            className="input w-48 uppercase"
            aria-invalid={code.error ? true : undefined}
            aria-describedby={code.error ? 'promo-code-error' : code.applied ? 'promo-code-applied' : undefined}
          />
          <button type="submit" className="btn-secondary" disabled={applying}>
            {applying ? 'Checking…' : 'Apply'}
          </button>
        </div>
        {code.error ? (
          <p id="promo-code-error" role="alert" className="text-sm text-red-700" data-testid="promo-code-error">
            {code.error}
          </p>
        ) : code.applied ? (
          <p id="promo-code-applied" role="status" className="text-sm text-emerald-800" data-testid="promo-code-applied">
            {code.applied.code} applied: {code.applied.label}.
          </p>
        ) : null}
      </Form>
    </details>
  );
}

/** The review step: what changes, what is due today (the preview is the charge), and the confirm button. */
export function PlanReview({ review }: { review: PlanChangeReview }) {
  const navigation = useNavigation();
  const sending = navigation.state !== 'idle' && navigation.formMethod?.toLowerCase() === 'post';
  const { decision, currency } = review;
  const money = (amount: number) => formatMoney(amount, currency);
  const charged = decision.kind === 'now' && decision.charge;
  const label =
    decision.kind === 'keep_current'
      ? `Keep ${review.current.name}`
      : decision.kind === 'period_end'
        ? `Switch to ${review.wanted.name} on ${mediumDate(review.effectiveAt!)}`
        : charged
          ? `Pay ${money(review.dueToday)} and switch`
          : decision.kind === 'now' &&
              review.wanted.name === review.current.name &&
              review.wanted.interval === review.current.interval &&
              review.wanted.seats === review.current.seats
            ? 'Keep my subscription'
            : `Switch to ${review.wanted.name}`;

  return (
    <section aria-labelledby="review-title" className="card space-y-5" data-testid="plan-review" data-kind={decision.kind}>
      <div>
        <h2 id="review-title" className="text-lg font-semibold">
          Review your change
        </h2>
        <p className="mt-1 text-slate-700">
          From <strong>{describe(review.current)}</strong> to <strong>{describe(review.wanted)}</strong>
        </p>
      </div>

      {charged ? (
        <div>
          <p className="flex flex-wrap items-baseline gap-x-3">
            <span className="text-slate-600">Due today</span>
            <span className="text-3xl font-bold" data-testid="due-today">
              {money(review.dueToday)}
            </span>
          </p>
          <ul className="mt-3 divide-y divide-slate-100 text-sm" data-testid="review-lines">
            {review.lines.map((line, i) => (
              <li key={i} className="flex justify-between gap-4 py-1.5">
                <span className="text-slate-700">{line.description}</span>
                <span className="whitespace-nowrap font-medium tabular-nums">
                  {line.amount < 0 ? `−${money(-line.amount)}` : `+${money(line.amount)}`}
                </span>
              </li>
            ))}
            {review.discount > 0 ? (
              <li className="flex justify-between gap-4 py-1.5" data-testid="review-discount">
                <span className="text-slate-700">{review.discountLabel}</span>
                <span className="font-medium tabular-nums">−{money(review.discount)}</span>
              </li>
            ) : null}
            {review.creditApplied > 0 ? (
              <li className="flex justify-between gap-4 py-1.5">
                <span className="text-slate-700">Credit from your balance</span>
                <span className="font-medium tabular-nums">−{money(review.creditApplied)}</span>
              </li>
            ) : null}
          </ul>
          <p className="mt-3 text-sm text-slate-600" data-testid="review-card">
            {review.card
              ? `Charged to ${brandName(review.card.brand)} ending in ${review.card.last4}.`
              : 'No card on file: add one on the Billing page first.'}
          </p>
          {review.renewal ? (
            <p className="mt-1 text-sm text-slate-600" data-testid="review-renewal">
              Then {money(review.renewal.amount)}/{per(review.wanted.interval)} from {mediumDate(review.renewal.date)}.
            </p>
          ) : null}
          <p className="mt-1 text-xs text-slate-500">
            If the payment does not go through, nothing changes: you stay on {review.current.name}.
          </p>
        </div>
      ) : decision.kind === 'period_end' ? (
        <div data-testid="review-scheduled">
          <p className="text-lg">
            From {mediumDate(review.effectiveAt!)} you pay {money(review.renewal!.amount)}/{per(review.wanted.interval)}; until then you
            keep {review.current.name}.
          </p>
          <p className="mt-1 text-sm text-slate-600">Nothing is due today. You can undo this on the Billing page until then.</p>
        </div>
      ) : decision.kind === 'keep_current' ? (
        <div data-testid="review-keep">
          <p className="text-lg">
            You keep {describe(review.current)}
            {review.pending
              ? `; the switch to ${review.pending.name}${review.pending.at ? ` on ${mediumDate(review.pending.at)}` : ''} is cancelled`
              : ''}
            .
          </p>
          <p className="mt-1 text-sm text-slate-600">Nothing is due today.</p>
        </div>
      ) : (
        <div data-testid="review-free">
          <p className="flex flex-wrap items-baseline gap-x-3">
            <span className="text-slate-600">Due today</span>
            <span className="text-3xl font-bold" data-testid="due-today">
              {money(0)}
            </span>
          </p>
          <p className="mt-2 text-sm text-slate-600">
            {review.trialEnd
              ? `Your free trial still ends on ${mediumDate(review.trialEnd)}; then you pay ${money(review.renewal?.amount ?? 0)}/${per(review.wanted.interval)}.`
              : review.renewal
                ? `You pay ${money(review.renewal.amount)}/${per(review.wanted.interval)} from ${mediumDate(review.renewal.date)}.`
                : null}
          </p>
        </div>
      )}

      {review.pending && decision.kind !== 'keep_current' ? (
        <p className="text-sm text-amber-800" data-testid="review-replaces">
          This replaces the switch to {review.pending.name} scheduled{review.pending.at ? ` for ${mediumDate(review.pending.at)}` : ''}.
        </p>
      ) : null}
      {review.cancelsAt ? (
        <p className="text-sm text-amber-800" data-testid="review-uncancel">
          Your subscription is set to end on {mediumDate(review.cancelsAt)}. Confirming this change keeps it running: it will renew instead.
        </p>
      ) : null}

      {decision.kind !== 'keep_current' ? <CodeField review={review} /> : null}

      <Form method="post" className="flex flex-wrap items-center gap-3">
        <input type="hidden" name="intent" value="confirm" />
        <input type="hidden" name="token" value={review.token} />
        <input type="hidden" name="plan" value={review.wanted.plan} />
        <input type="hidden" name="interval" value={review.wanted.interval} />
        <input type="hidden" name="seats" value={review.wanted.seats} />
        <button type="submit" className="btn-primary" disabled={sending} data-testid="confirm-change">
          {sending ? 'Working…' : label}
        </button>
        <Link to="/billing/plans" className="btn-secondary">
          Choose another plan
        </Link>
      </Form>
    </section>
  );
}
