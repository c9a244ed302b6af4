import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from '@remix-run/react';
import { useEffect } from 'react';
import { DriftAction } from '~/forms/admin.server';
import { latestDriftJob, startDriftAll, type DriftAllResult } from '~/admin/drift.server';
import { requireAdmin } from '~/admin/guard.server';
import { Section, StatusBadge, td, th, utc } from '~/admin/ui';
import { Alert, PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Drift · Admin · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  const job = latestDriftJob();
  return {
    job: job
      ? {
          id: job.id,
          status: job.interrupted ? 'interrupted' : job.status,
          startedBy: job.startedBy,
          startedAt: job.startedAt,
          finishedAt: job.finishedAt,
          total: job.total,
          done: job.done,
          error: job.error,
          result: (job.result ?? null) as DriftAllResult | null,
        }
      : null,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireAdmin(request);
  const parsed = DriftAction.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ ok: false, message: parsed.error.issues[0]!.message }, { status: 400 });
  const { started, jobId } = startDriftAll({ actor });
  return started
    ? data({ ok: true, message: `Drift report ${jobId} started.` })
    : data({ ok: false, message: `A drift report (${jobId}) is already running; this page follows it.` }, { status: 409 });
}

export default function AdminDrift() {
  const { job } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const revalidator = useRevalidator();
  const running = job?.status === 'running';
  // Poll the progress row while the job runs (one small loader call a second).
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 1000);
    return () => clearInterval(timer);
  }, [running, revalidator]);
  const r = job?.result;
  const percent = job && job.total > 0 ? Math.round((job.done / job.total) * 100) : running ? 0 : 100;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Drift report"
        description="Every customer's mirror compared with Stripe (subscriptions, cards, recent invoices, the customer), and the Stripe events of the last 3 days the inbox never stored. Reads only; fix a customer with “Resync from Stripe” on their page."
        actions={
          <Form method="post">
            <input type="hidden" name="intent" value="start" />
            <button type="submit" className="btn-primary" disabled={busy || running}>
              Check every customer
            </button>
          </Form>
        }
      />
      {result ? <Alert kind={result.ok ? 'success' : 'error'}>{result.message}</Alert> : null}
      {!job ? (
        <div className="card text-sm text-slate-600">No drift report has run yet.</div>
      ) : (
        <div className="card space-y-3">
          <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
            <span>
              <StatusBadge status={job.status} /> started by {job.startedBy} at {utc(job.startedAt)}
              {job.finishedAt ? `, finished ${utc(job.finishedAt)}` : ''}
            </span>
            <span className="tabular-nums" data-testid="drift-progress">
              {job.done} / {job.total} customers
            </span>
          </div>
          <div
            className="h-2 w-full overflow-hidden rounded-full bg-slate-100"
            role="progressbar"
            aria-label="Customers checked"
            aria-valuemin={0}
            aria-valuemax={job.total}
            aria-valuenow={job.done}
          >
            <div className="h-full bg-brand-600 transition-all" style={{ width: `${percent}%` }} />
          </div>
          {job.error ? <Alert kind="error">The report stopped: {job.error}</Alert> : null}
          {job.status === 'interrupted' ? <Alert kind="error">The server stopped while this report ran; start it again.</Alert> : null}
          {r ? (
            <p className="text-sm" data-testid="drift-summary">
              {r.differenceCount === 0
                ? job.status === 'running'
                  ? 'No differences found so far.'
                  : 'No differences found.'
                : `${r.differenceCount} difference(s) in ${r.customersWithDrift} customer(s).`}{' '}
              {r.events ? `${r.events.missing} Stripe event(s) of the last 3 days missing from the inbox (of ${r.events.seen}).` : ''}
              {r.truncated ? ' Only the first 5,000 customers were checked.' : ''}
            </p>
          ) : null}
        </div>
      )}
      {r && r.differences.length > 0 ? (
        <Section title="Differences">
          <div className="card relative overflow-x-auto p-0">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>
                    Object
                  </th>
                  <th scope="col" className={th}>
                    Field
                  </th>
                  <th scope="col" className={th}>
                    Mirror
                  </th>
                  <th scope="col" className={th}>
                    Stripe
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {r.differences.map((x) => (
                  <tr key={`${x.object}:${x.id}:${x.field}`}>
                    <td className={`${td} font-mono text-xs`}>
                      {x.object} {x.id}
                    </td>
                    <td className={td}>{x.field}</td>
                    <td className={`${td} break-all`}>{x.mirror ?? '—'}</td>
                    <td className={`${td} break-all`}>{x.stripe ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      ) : null}
      {r && r.errors.length > 0 ? (
        <Section title="Customers that could not be checked">
          <ul className="card space-y-1 text-sm">
            {r.errors.map((e) => (
              <li key={e.customerId}>
                <Link to={`/admin/customers/${e.customerId}`} className="font-mono text-brand-700 hover:underline">
                  {e.customerId}
                </Link>{' '}
                {e.message}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      {r?.events && r.events.missingIds.length > 0 ? (
        <Section title="Events missing from the inbox">
          <div className="card space-y-2 text-sm">
            <p>
              Run <code className="rounded bg-slate-100 px-1">npm run stripe:reconcile -- --days 3</code> to store and process them.
            </p>
            <ul className="font-mono text-xs">
              {r.events.missingIds.map((id) => (
                <li key={id}>{id}</li>
              ))}
            </ul>
          </div>
        </Section>
      ) : null}
    </div>
  );
}
