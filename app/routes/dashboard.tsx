import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { listApiKeys } from '~/auth/api-keys.server';
import { currentSession, isFirstVisit, requireUser } from '~/auth/session.server';
import { PageHeader } from '~/components/app-shell';
import { Badge } from '~/components/billing-ui';
import { getBillingOverview } from '~/billing/overview.server';

export const meta: MetaFunction = () => [{ title: 'Dashboard · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const keys = listApiKeys({ userId: user.id });
  const billing = getBillingOverview({ userId: user.id });
  const session = (await currentSession(request))?.session;
  const firstVisit = session ? isFirstVisit(session) : false;
  return {
    firstVisit,
    plan: billing.subscription
      ? {
          name: billing.subscription.planName,
          label: billing.subscription.view.label,
          tone: billing.subscription.view.tone,
          detail: billing.subscription.view.detail,
        }
      : null,
    name: user.name,
    memberSince: user.createdAt.toISOString(),
    activeKeys: keys.filter((k) => !k.revokedAt).length,
    lastUsed: keys.map((k) => k.lastUsedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0) || null,
  };
}

export default function Dashboard() {
  const d = useLoaderData<typeof loader>();
  const first = d.name.split(' ')[0];
  return (
    <div className="mx-auto max-w-6xl space-y-8 px-4 py-10 sm:px-6">
      <PageHeader title={d.firstVisit ? `Welcome, ${first}` : `Welcome back, ${first}`} description="Your workspace at a glance." />
      <div className="grid gap-6 md:grid-cols-3">
        <div className="card">
          <h2 className="text-sm font-medium text-slate-500">Plan</h2>
          {d.plan ? (
            <>
              <p className="mt-2 flex items-center gap-2 text-lg font-semibold">
                {d.plan.name} <Badge tone={d.plan.tone}>{d.plan.label}</Badge>
              </p>
              <p className="mt-1 text-sm text-slate-600">{d.plan.detail}</p>
            </>
          ) : (
            <>
              <p className="mt-2 text-lg font-semibold">No plan yet</p>
              <p className="mt-1 text-sm text-slate-600">Choose a plan to use the API.</p>
            </>
          )}
          <Link to="/billing" className="mt-4 inline-block text-sm font-medium text-brand-700 hover:underline">
            {d.plan ? 'Manage billing →' : 'Choose a plan →'}
          </Link>
        </div>
        <div className="card">
          <h2 className="text-sm font-medium text-slate-500">Active API keys</h2>
          <p className="mt-2 text-3xl font-bold" data-testid="active-keys">
            {d.activeKeys}
          </p>
          <Link to="/api-keys" className="mt-4 inline-block text-sm font-medium text-brand-700 hover:underline">
            Manage keys →
          </Link>
        </div>
        <div className="card">
          <h2 className="text-sm font-medium text-slate-500">Last API call</h2>
          <p className="mt-2 text-lg font-semibold">
            {d.lastUsed ? new Date(d.lastUsed).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' }) : 'No calls yet'}
          </p>
          <p className="mt-4 text-sm text-slate-500">
            Try it: <code className="rounded bg-slate-100 px-1.5 py-0.5 text-slate-800">GET /api/v1/hello</code>
          </p>
        </div>
      </div>
      <div className="card">
        <h2 className="text-base font-semibold">Getting started</h2>
        <ol className="mt-3 list-decimal space-y-1 pl-5 text-sm text-slate-700">
          <li>Choose a plan on the Billing page.</li>
          <li>Create an API key.</li>
          <li>
            Call{' '}
            <code className="rounded bg-slate-100 px-1">
              curl -H &quot;Authorization: Bearer &lt;key&gt;&quot; {'<this site>'}/api/v1/hello
            </code>
          </li>
        </ol>
      </div>
    </div>
  );
}
