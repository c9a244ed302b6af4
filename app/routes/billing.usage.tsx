import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { requireUser } from '~/auth/session.server';
import { PageHeader } from '~/components/app-shell';
import { longDate, n } from '~/components/usage/format';
import { UsageAlert, UsageBar } from '~/components/usage/usage-bar';
import { CumulativeLine, DailyBars } from '~/components/usage/lazy-charts';
import { DailyTable, HistoryTable, KeyTable } from '~/components/usage/usage-tables';
import { formatMoney } from '~/lib/money';
import { getUsageSummary } from '~/usage/summary.server';

export const meta: MetaFunction = () => [{ title: 'Usage · Billing · Acme Cloud' }];

/** The usage page: local rollups only, never a Stripe call (app/usage/summary.server.ts). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return getUsageSummary({ userId: user.id });
}

export default function UsagePage() {
  const u = useLoaderData<typeof loader>();
  const lastDay = u.period.lastDay;
  const periodText = `${longDate(u.period.start)} – ${longDate(`${lastDay}T00:00:00Z`)}`;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Usage"
        description={`API calls this period (${periodText}, UTC days)${u.planName ? ` on the ${u.planName} plan` : ''}.`}
        actions={
          <a href="/billing/usage.csv" className="btn-secondary" download>
            Download CSV
          </a>
        }
      />
      <UsageAlert threshold={u.threshold} allowance={u.allowance} total={u.total} />

      <section className="card space-y-4" aria-labelledby="usage-headline">
        <h2 id="usage-headline" className="text-3xl font-bold tracking-tight text-slate-900">
          {n(u.total)} {u.total === 1 ? 'call' : 'calls'} this period
        </h2>
        {/* Without included calls the bar would only repeat the headline. */}
        {u.allowance !== null ? (
          <UsageBar
            data={{
              total: u.total,
              allowance: u.allowance,
              projectedTotal: u.projection?.total ?? null,
              projectedCost: u.projection?.cost ?? null,
              currency: u.currency,
            }}
          />
        ) : null}
        {u.projection ? (
          <p className="text-sm text-slate-600" data-testid="usage-projection">
            Projected by {longDate(u.period.end)}: <strong>{n(u.projection.total)} calls</strong>
            {u.allowance !== null ? (
              <>
                {' '}
                ·{' '}
                {u.projection.overage === 0
                  ? `within the ${n(u.allowance)} included, nothing extra to pay`
                  : u.projection.fromCredits === 0
                    ? `${n(u.projection.overage)} beyond the ${n(u.allowance)} included, about ${formatMoney(u.projection.cost, u.currency)} at ${formatMoney(u.unitAmount, u.currency)} a call`
                    : u.projection.cost === 0
                      ? `${n(u.projection.overage)} beyond the ${n(u.allowance)} included, all paid with your credits, nothing extra to pay`
                      : `${n(u.projection.overage)} beyond the ${n(u.allowance)} included: ${n(u.projection.fromCredits)} paid with your credits, about ${formatMoney(u.projection.cost, u.currency)} for the rest at ${formatMoney(u.unitAmount, u.currency)} a call`}
              </>
            ) : null}
            . Method: {u.projection.method}.
          </p>
        ) : null}
        {u.credits > 0 ? (
          <p className="text-sm text-slate-600" data-testid="usage-credits">
            Credits: <strong>{n(u.credits)}</strong> left. Each pays for one call beyond your plan’s included calls, before anything is
            charged.{' '}
            <Link to="/billing/credits" className="font-medium text-brand-700 underline">
              Credits and purchases
            </Link>
          </p>
        ) : null}
        <p className="text-sm text-slate-600" data-testid="usage-reported">
          Reported to Stripe: {n(u.reported.sent)} of {n(u.total)} calls ({n(u.reported.pending)} pending
          {u.reported.failed ? `, ${n(u.reported.failed)} refused by Stripe` : ''}).
        </p>
        {!u.planName ? (
          <p className="text-sm text-slate-600">
            No plan includes API calls for you yet.{' '}
            <Link to="/billing" className="font-medium text-brand-700 underline">
              Choose a plan
            </Link>{' '}
            to use the API.
          </p>
        ) : null}
      </section>

      {u.total === 0 ? (
        <section className="card text-sm text-slate-600" data-testid="usage-empty">
          <h2 className="text-base font-semibold text-slate-900">No API calls yet this period</h2>
          <p className="mt-2">
            Calls made with your API keys show up here within a second of being answered.{' '}
            <Link to="/api-keys" className="font-medium text-brand-700 underline">
              Create an API key
            </Link>{' '}
            and call <code className="rounded bg-slate-100 px-1">GET /api/v1/hello</code> with it.
          </p>
        </section>
      ) : (
        <>
          <div className="grid gap-6 lg:grid-cols-2">
            <section className="card min-w-0 space-y-3" aria-labelledby="daily-title">
              <h2 id="daily-title" className="text-base font-semibold text-slate-900">
                Calls per day
              </h2>
              <DailyBars days={u.days} />
            </section>
            <section className="card min-w-0 space-y-3" aria-labelledby="cumulative-title">
              <h2 id="cumulative-title" className="text-base font-semibold text-slate-900">
                Calls so far{u.allowance ? ' against the included calls' : ''}
              </h2>
              <CumulativeLine
                days={u.days}
                allowance={u.allowance}
                projection={u.projection ? { date: lastDay, total: u.projection.total } : null}
              />
              <p className="text-xs text-slate-500">Solid: calls so far. Dashed: projected to the period end. Red: included calls.</p>
            </section>
          </div>
          <div className="grid gap-6 lg:grid-cols-2">
            <section className="card min-w-0 space-y-3" aria-labelledby="keys-title">
              <h2 id="keys-title" className="text-base font-semibold text-slate-900">
                By API key
              </h2>
              <KeyTable byKey={u.byKey} total={u.total} />
            </section>
            <section className="card min-w-0 space-y-3" aria-labelledby="history-title">
              <h2 id="history-title" className="text-base font-semibold text-slate-900">
                Last 6 periods
              </h2>
              <HistoryTable history={u.history} />
            </section>
          </div>
          <section className="card min-w-0 space-y-3" aria-labelledby="table-title">
            <h2 id="table-title" className="text-base font-semibold text-slate-900">
              The numbers per day
            </h2>
            <DailyTable days={u.days} allowance={u.allowance} />
          </section>
        </>
      )}
    </div>
  );
}
