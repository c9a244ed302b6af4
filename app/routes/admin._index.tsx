import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { listAdminActions } from '~/admin/audit.server';
import { noAdminAction, requireAdmin } from '~/admin/guard.server';
import { consoleHealth } from '~/admin/health.server';
import { duration, SearchBox, Section, Stat, td, th, utc } from '~/admin/ui';
import { PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Health · Admin · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  const health = consoleHealth();
  const now = Date.now();
  return {
    health,
    lastReceivedAgo: health.webhooks.lastReceivedAt ? duration(now - health.webhooks.lastReceivedAt) : null,
    actions: listAdminActions({ limit: 10 }).map((a) => ({
      id: a.id,
      at: a.createdAt,
      actor: a.actorEmail,
      action: a.action,
      target: a.target,
      customerId: a.customerId,
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  return noAdminAction(request);
}

export default function AdminHealth() {
  const { health, lastReceivedAgo, actions } = useLoaderData<typeof loader>();
  const w = health.webhooks;
  return (
    <div className="space-y-8">
      <PageHeader title="Health" description="The webhook inbox, the usage reporter and the mail sender, as of this page load." />
      <div className="card">
        <SearchBox />
      </div>
      <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Stat
          label="Webhook backlog"
          value={String(w.backlog)}
          tone={w.backlog > 100 ? 'bad' : w.backlog > 0 ? 'warn' : 'good'}
          hint="Events stored and waiting for the worker."
        />
        <Stat
          label="Oldest pending event"
          value={w.oldestPendingAgeMs === null ? 'None' : duration(w.oldestPendingAgeMs)}
          tone={w.oldestPendingAgeMs === null ? 'good' : w.oldestPendingAgeMs > 60_000 ? 'bad' : 'warn'}
          hint={w.oldestPendingId ?? 'Nothing waits.'}
        />
        <Stat
          label="Failed events"
          value={String(w.failed)}
          tone={w.failed > 0 ? 'bad' : 'good'}
          hint={w.failed > 0 ? 'Replay them from the Webhooks tab.' : 'None.'}
        />
        <Stat
          label="Last event received"
          value={lastReceivedAgo ? `${lastReceivedAgo} ago` : 'Never'}
          hint={w.lastReceivedAt ? `${w.lastReceivedType} · ${utc(w.lastReceivedAt)}` : 'No event has reached /webhooks/stripe yet.'}
        />
        <Stat
          label="Usage reporter lag"
          value={`${health.usageReporterLagSeconds} s`}
          tone={health.usageReporterLagSeconds > 300 ? 'bad' : health.usageReporterLagSeconds > 120 ? 'warn' : 'good'}
          hint="Age of the oldest API call Stripe has not accepted yet."
        />
        <Stat
          label="Mail sender backlog"
          value={String(health.mail.pending)}
          tone={health.mail.failed > 0 ? 'bad' : health.mail.pending > 0 ? 'warn' : 'good'}
          hint={`${health.mail.failed} failed${health.mail.oldestPendingAgeMs !== null ? ` · oldest waits ${duration(health.mail.oldestPendingAgeMs)}` : ''}`}
        />
      </dl>
      <Section title="Recent admin actions">
        <div className="card relative overflow-x-auto p-0">
          {actions.length === 0 ? (
            <p className="p-6 text-sm text-slate-600">No admin action yet.</p>
          ) : (
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>
                    When
                  </th>
                  <th scope="col" className={th}>
                    Who
                  </th>
                  <th scope="col" className={th}>
                    What
                  </th>
                  <th scope="col" className={th}>
                    Target
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {actions.map((a) => (
                  <tr key={a.id}>
                    <td className={`${td} whitespace-nowrap`}>{utc(a.at)}</td>
                    <td className={td}>{a.actor}</td>
                    <td className={td}>{a.action}</td>
                    <td className={`${td} font-mono text-xs`}>
                      {a.customerId ? (
                        <Link to={`/admin/customers/${a.customerId}`} className="text-brand-700 hover:underline">
                          {a.target}
                        </Link>
                      ) : (
                        a.target
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </Section>
    </div>
  );
}
