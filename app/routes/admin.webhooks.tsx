import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { WebhooksAction, WebhooksQuery } from '~/forms/admin.server';
import { requireAdmin } from '~/admin/guard.server';
import { duration, StatusBadge, td, th, utc } from '~/admin/ui';
import { INBOX_VIEWS } from '~/admin/views';
import { listInbox, replayAllFailed, replayEvent } from '~/admin/webhooks.server';
import { Alert, PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Webhooks · Admin · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = WebhooksQuery.safeParse(params);
  if (!parsed.success) throw new Response(parsed.error.issues[0]!.message, { status: 400 });
  const { status, before } = parsed.data;
  const [at, id] = before ? before.split(':') : [];
  const page = listInbox({ view: status, before: before ? { at: Number(at), id: id! } : null });
  const now = Date.now();
  return {
    view: status,
    counts: page.counts,
    next: page.next ? `${page.next.at}:${page.next.id}` : null,
    rows: page.rows.map((r) => ({
      ...r,
      retryIn: r.status === 'pending' && r.attempts > 0 && r.nextAttemptAt > now ? duration(r.nextAttemptAt - now) : null,
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const actor = await requireAdmin(request);
  const parsed = WebhooksAction.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ ok: false, message: parsed.error.issues[0]!.message }, { status: 400 });
  const outcome = parsed.data.intent === 'replay' ? replayEvent({ actor, eventId: parsed.data.eventId }) : replayAllFailed({ actor });
  return outcome.ok
    ? data({ ok: true, message: outcome.message })
    : data({ ok: false, message: outcome.message }, { status: outcome.status });
}

const LABELS: Record<(typeof INBOX_VIEWS)[number], string> = {
  failed: 'Failed',
  pending: 'Pending',
  processed: 'Processed',
  ignored: 'Ignored',
};

export default function AdminWebhooks() {
  const { view, counts, rows, next } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <div className="space-y-6">
      <PageHeader
        title="Webhook inbox"
        description="Every Stripe event the endpoint stored, and what the worker made of it. A replay re-reads the object from Stripe; effects never run twice."
        actions={
          view === 'failed' && counts.failed > 0 ? (
            <Form method="post">
              <input type="hidden" name="intent" value="replay-failed" />
              <button type="submit" className="btn-primary" disabled={busy}>
                Replay all failed ({counts.failed})
              </button>
            </Form>
          ) : null
        }
      />
      {result ? <Alert kind={result.ok ? 'success' : 'error'}>{result.message}</Alert> : null}
      <nav aria-label="Event status" className="flex flex-wrap gap-2">
        {INBOX_VIEWS.map((v) => (
          <Link
            key={v}
            to={`/admin/webhooks?status=${v}`}
            aria-current={v === view ? 'page' : undefined}
            className={`rounded-full px-3 py-1 text-sm font-medium ring-1 ring-inset ${v === view ? 'bg-brand-600 text-white ring-brand-600' : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'}`}
          >
            {LABELS[v]} <span className="tabular-nums">{counts[v]}</span>
          </Link>
        ))}
      </nav>
      <div className="card relative overflow-x-auto p-0">
        {rows.length === 0 ? (
          <p className="p-6 text-sm text-slate-600">No {view} events.</p>
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50">
              <tr>
                <th scope="col" className={th}>
                  Event
                </th>
                <th scope="col" className={th}>
                  Status
                </th>
                <th scope="col" className={th}>
                  Received
                </th>
                <th scope="col" className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((r) => (
                <tr key={r.id} data-event-id={r.id}>
                  <td className={td}>
                    <span className="font-medium">{r.type}</span>
                    <p className="font-mono text-xs text-slate-500">
                      {r.id} · {r.objectId ?? '—'}
                    </p>
                    {r.lastError ? (
                      <p className="mt-1 break-all text-xs text-red-700" data-testid="event-error">
                        {r.lastError}
                      </p>
                    ) : null}
                  </td>
                  <td className={td}>
                    <StatusBadge status={r.status} />
                    <p className="text-xs text-slate-500">
                      {r.attempts} attempt{r.attempts === 1 ? '' : 's'}
                      {r.retryIn ? ` · retry in ${r.retryIn}` : ''}
                    </p>
                  </td>
                  <td className={`${td} whitespace-nowrap text-xs`}>
                    {utc(r.receivedAt)}
                    <p className="text-slate-500">via {r.source}</p>
                  </td>
                  <td className={`${td} text-right`}>
                    {r.status === 'failed' ? (
                      <Form method="post">
                        <input type="hidden" name="intent" value="replay" />
                        <input type="hidden" name="eventId" value={r.id} />
                        <button type="submit" className="btn-secondary" disabled={busy} aria-label={`Replay ${r.id}`}>
                          Replay
                        </button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {next ? (
        <Link to={`/admin/webhooks?${new URLSearchParams({ status: view, before: next })}`} className="btn-secondary">
          Older events
        </Link>
      ) : null}
    </div>
  );
}
