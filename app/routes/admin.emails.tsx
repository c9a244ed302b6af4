import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { EmailsQuery } from '~/forms/admin.server';
import { getOutboxMessage, listOutbox } from '~/admin/emails.server';
import { OUTBOX_VIEWS } from '~/admin/views';
import { noAdminAction, requireAdmin } from '~/admin/guard.server';
import { Section, StatusBadge, td, th, utc } from '~/admin/ui';
import { PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Emails · Admin · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  const parsed = EmailsQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw new Response(parsed.error.issues[0]!.message, { status: 400 });
  const { status, before, id } = parsed.data;
  const page = listOutbox({ view: status, before: before ?? null });
  const selected = id ? getOutboxMessage(id) : null;
  if (id && !selected) throw new Response(`No message ${id} in the outbox.`, { status: 404 });
  return { view: status, ...page, selected };
}

export async function action({ request }: ActionFunctionArgs) {
  return noAdminAction(request);
}

export default function AdminEmails() {
  const { view, items, next, counts, selected } = useLoaderData<typeof loader>();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const query = (extra: Record<string, string>) => `/admin/emails?${new URLSearchParams({ status: view, ...extra })}`;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Emails"
        description="The outbox: every message the app decided to send, once per cause. Without SMTP_URL they stay pending here."
      />
      <nav aria-label="Email status" className="flex flex-wrap gap-2">
        {OUTBOX_VIEWS.map((v) => (
          <Link
            key={v}
            to={`/admin/emails?status=${v}`}
            aria-current={v === view ? 'page' : undefined}
            className={`rounded-full px-3 py-1 text-sm font-medium capitalize ring-1 ring-inset ${v === view ? 'bg-brand-600 text-white ring-brand-600' : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'}`}
          >
            {v} <span className="tabular-nums">{v === 'all' ? total : (counts[v] ?? 0)}</span>
          </Link>
        ))}
      </nav>
      <div className={`grid gap-6 ${selected ? 'lg:grid-cols-2' : ''}`}>
        <div className="card relative overflow-x-auto p-0">
          {items.length === 0 ? (
            <p className="p-6 text-sm text-slate-600">No {view === 'all' ? '' : `${view} `}messages.</p>
          ) : (
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>
                    Message
                  </th>
                  <th scope="col" className={th}>
                    Status
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {items.map((m) => (
                  <tr key={m.id} className={selected?.id === m.id ? 'bg-brand-50' : ''}>
                    <td className={td}>
                      <Link to={query({ id: String(m.id) })} className="font-medium text-brand-700 hover:underline">
                        {m.subject ?? m.template}
                      </Link>
                      <p className="text-xs text-slate-500">
                        #{m.id} · {m.template} · to {m.toEmail ?? '(no address)'} · {utc(m.createdAt)}
                      </p>
                      {m.lastError ? <p className="break-all text-xs text-red-700">{m.lastError}</p> : null}
                    </td>
                    <td className={td}>
                      <StatusBadge status={m.status} />
                      <p className="whitespace-nowrap text-xs text-slate-500">
                        {m.attempts} attempt{m.attempts === 1 ? '' : 's'}
                        {m.sentAt ? ` · sent ${utc(m.sentAt)}` : ''}
                      </p>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        {selected ? (
          <Section
            title={`Preview of #${selected.id}`}
            actions={
              <Link to={query({})} className="text-sm text-brand-700 hover:underline">
                Close preview
              </Link>
            }
          >
            <div className="card space-y-3 p-4">
              <dl className="grid grid-cols-[auto,1fr] gap-x-3 gap-y-1 text-sm">
                <dt className="text-slate-500">To</dt>
                <dd className="break-all">{selected.toEmail ?? '—'}</dd>
                <dt className="text-slate-500">Subject</dt>
                <dd>{selected.subject ?? `(${selected.template})`}</dd>
              </dl>
              {selected.html ? (
                // sandbox="" : no scripts, no forms, a unique origin — the message cannot touch the console.
                <iframe
                  title={`Email #${selected.id}`}
                  sandbox=""
                  srcDoc={selected.html}
                  className="h-[32rem] w-full rounded-md bg-white ring-1 ring-slate-200"
                />
              ) : selected.text ? (
                <pre className="max-h-[32rem] overflow-auto whitespace-pre-wrap rounded-md bg-slate-50 p-3 text-sm ring-1 ring-slate-200">
                  {selected.text}
                </pre>
              ) : (
                <>
                  <p className="text-sm text-slate-600">This message has not been rendered yet; its data:</p>
                  <pre className="max-h-[32rem] overflow-auto rounded-md bg-slate-50 p-3 text-xs ring-1 ring-slate-200">
                    {selected.data}
                  </pre>
                </>
              )}
            </div>
          </Section>
        ) : null}
      </div>
      {next ? (
        <Link to={query({ before: String(next) })} className="btn-secondary">
          Older messages
        </Link>
      ) : null}
    </div>
  );
}
