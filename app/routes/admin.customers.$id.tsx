import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CustomerAction, CustomerId } from '~/forms/admin.server';
import { getAdminCustomer, resyncCustomer } from '~/admin/customers.server';
import { reportCustomerDrift, type Difference } from '~/admin/drift.server';
import { requireAdmin } from '~/admin/guard.server';
import { Section, StatusBadge, td, th, utc } from '~/admin/ui';
import { Alert } from '~/components/app-shell';
import { formatMoney } from '~/lib/money';

export const meta: MetaFunction = () => [{ title: 'Customer · Admin · Acme Cloud' }];

const ms = (d: Date | null | undefined) => (d ? d.getTime() : null);

function load(id: string | undefined) {
  const parsed = CustomerId.safeParse(id);
  const view = parsed.success ? getAdminCustomer(parsed.data) : null;
  if (!view) throw new Response('No such customer in the mirror.', { status: 404 });
  return view;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireAdmin(request);
  const v = load(params.id);
  return {
    user: v.user ? { id: v.user.id, email: v.user.email, name: v.user.name, createdAt: ms(v.user.createdAt) } : null,
    customerId: v.customerId,
    customer: v.customer
      ? {
          email: v.customer.email,
          name: v.customer.name,
          balance: v.customer.balance,
          currency: v.customer.currency,
          deleted: v.customer.deleted,
          syncedAt: ms(v.customer.syncedAt),
        }
      : null,
    subscriptions: v.subscriptions.map((s) => ({
      id: s.id,
      status: s.status,
      plan: s.priceLookupKey ?? s.priceId,
      quantity: s.quantity,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      pause: s.pauseBehavior,
      periodEnd: ms(s.currentPeriodEnd),
      syncedAt: ms(s.syncedAt),
    })),
    invoices: v.invoices.map((i) => ({
      id: i.id,
      number: i.number,
      status: i.status,
      total: i.total,
      currency: i.currency,
      created: ms(i.stripeCreated),
    })),
    cards: v.cards.map((c) => ({
      id: c.id,
      brand: c.brand,
      last4: c.last4,
      exp: c.expMonth && c.expYear ? `${String(c.expMonth).padStart(2, '0')}/${c.expYear}` : null,
    })),
    defaultCard: v.customer?.defaultPaymentMethodId ?? null,
    payments: v.payments.map((p) => ({
      id: p.id,
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      kind: p.kind,
      created: ms(p.stripeCreated),
    })),
    usage: v.usage,
    timeline: v.timeline,
  };
}

type ActionResult =
  | { ok: true; intent: 'resync'; message: string; drift: null }
  | {
      ok: true;
      intent: 'drift';
      message: string;
      drift: { differences: Difference[]; checked: { subscriptions: number; paymentMethods: number; invoices: number } };
    }
  | { ok: false; intent: string | null; message: string; drift: null };

export async function action({ request, params }: ActionFunctionArgs) {
  const actor = await requireAdmin(request);
  const view = load(params.id);
  const parsed = CustomerAction.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data<ActionResult>({ ok: false, intent: null, message: parsed.error.issues[0]!.message, drift: null }, { status: 400 });
  const { intent } = parsed.data;
  if (!view.customerId) {
    return data<ActionResult>(
      { ok: false, intent, message: 'This account has no Stripe customer yet: there is nothing to compare or resync.', drift: null },
      { status: 400 },
    );
  }
  if (intent === 'resync') {
    const outcome = await resyncCustomer({ actor, customerId: view.customerId });
    return outcome.ok
      ? data<ActionResult>({ ok: true, intent, message: outcome.message, drift: null })
      : data<ActionResult>({ ok: false, intent, message: outcome.message, drift: null }, { status: outcome.status });
  }
  try {
    const report = await reportCustomerDrift({ actor, customerId: view.customerId });
    const n = report.differences.length;
    return data<ActionResult>({
      ok: true,
      intent,
      message:
        n === 0 ? 'No differences: the mirror matches Stripe for this customer.' : `${n} difference(s) between the mirror and Stripe.`,
      drift: { differences: report.differences, checked: report.checked },
    });
  } catch (error) {
    const e = error as { type?: unknown; message?: unknown };
    return data<ActionResult>(
      {
        ok: false,
        intent,
        message: `Stripe did not answer the drift check: ${typeof e.type === 'string' ? `${e.type}: ` : ''}${String(e.message ?? error)}`,
        drift: null,
      },
      { status: 502 },
    );
  }
}

function Empty({ children }: { children: React.ReactNode }) {
  return <p className="p-4 text-sm text-slate-600">{children}</p>;
}

export default function AdminCustomer() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const title = d.user?.name || d.customer?.name || d.user?.email || d.customerId || 'Customer';
  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0">
          <h1 className="break-words text-2xl font-bold tracking-tight text-slate-900">{title}</h1>
          <dl className="mt-1 grid grid-cols-[auto,1fr] gap-x-3 text-sm text-slate-600">
            <dt>Email</dt>
            <dd className="break-all">{d.user?.email ?? d.customer?.email ?? '—'}</dd>
            <dt>Stripe</dt>
            <dd className="break-all font-mono text-xs leading-5">{d.customerId ?? 'no Stripe customer yet'}</dd>
            <dt>Account</dt>
            <dd className="break-all font-mono text-xs leading-5">{d.user?.id ?? 'none (created outside the app)'}</dd>
          </dl>
        </div>
        {d.customerId ? (
          <Form method="post" className="flex flex-wrap gap-2">
            <button type="submit" name="intent" value="drift" className="btn-secondary" disabled={busy}>
              Check drift
            </button>
            <button type="submit" name="intent" value="resync" className="btn-primary" disabled={busy}>
              Resync from Stripe
            </button>
          </Form>
        ) : null}
      </div>
      {result ? <Alert kind={result.ok ? 'success' : 'error'}>{result.message}</Alert> : null}
      {result?.drift && result.drift.differences.length > 0 ? (
        <Section title="Drift: mirror vs Stripe">
          <div className="card relative overflow-x-auto p-0">
            <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="drift-table">
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
                {result.drift.differences.map((x) => (
                  <tr key={`${x.id}:${x.field}`}>
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

      <Section title="Subscriptions">
        <div className="card relative overflow-x-auto p-0">
          {d.subscriptions.length === 0 ? (
            <Empty>No subscription in the mirror.</Empty>
          ) : (
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className={th}>
                    Subscription
                  </th>
                  <th scope="col" className={th}>
                    Status
                  </th>
                  <th scope="col" className={th}>
                    Plan
                  </th>
                  <th scope="col" className={th}>
                    Period ends
                  </th>
                  <th scope="col" className={th}>
                    Synced
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {d.subscriptions.map((s) => (
                  <tr key={s.id}>
                    <td className={`${td} font-mono text-xs`}>{s.id}</td>
                    <td className={td}>
                      <StatusBadge status={s.status} />
                      {s.cancelAtPeriodEnd ? <p className="text-xs text-slate-500">cancels at period end</p> : null}
                      {s.pause ? <p className="text-xs text-slate-500">collection paused ({s.pause})</p> : null}
                    </td>
                    <td className={td}>
                      {s.plan ?? '—'}
                      {s.quantity && s.quantity > 1 ? ` × ${s.quantity}` : ''}
                    </td>
                    <td className={`${td} whitespace-nowrap`}>{utc(s.periodEnd)}</td>
                    <td className={`${td} whitespace-nowrap text-xs text-slate-500`}>{utc(s.syncedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </Section>

      <div className="grid gap-8 lg:grid-cols-2">
        <Section title="Invoices">
          <div className="card relative overflow-x-auto p-0">
            {d.invoices.length === 0 ? (
              <Empty>No invoice in the mirror.</Empty>
            ) : (
              <table className="min-w-full divide-y divide-slate-200 text-sm">
                <thead className="bg-slate-50">
                  <tr>
                    <th scope="col" className={th}>
                      Invoice
                    </th>
                    <th scope="col" className={th}>
                      Status
                    </th>
                    <th scope="col" className={`${th} text-right`}>
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {d.invoices.map((i) => (
                    <tr key={i.id}>
                      <td className={td}>
                        <span className="font-medium">{i.number ?? i.id}</span>
                        <p className="text-xs text-slate-500">{utc(i.created)}</p>
                      </td>
                      <td className={td}>
                        <StatusBadge status={i.status} />
                      </td>
                      <td className={`${td} text-right tabular-nums`}>{formatMoney(i.total, i.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </Section>
        <div className="space-y-8">
          <Section title="Cards">
            <div className="card p-0">
              {d.cards.length === 0 ? (
                <Empty>No card on file.</Empty>
              ) : (
                <ul className="divide-y divide-slate-100 text-sm">
                  {d.cards.map((c) => (
                    <li key={c.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-2">
                      <span>
                        <span className="font-medium capitalize">{c.brand ?? 'card'}</span> •••• {c.last4}{' '}
                        <span className="text-slate-500">{c.exp}</span>
                      </span>
                      {c.id === d.defaultCard ? (
                        <StatusBadge status="default" />
                      ) : (
                        <span className="font-mono text-xs text-slate-400">{c.id}</span>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </Section>
          <Section title={`Usage, last ${d.usage.days} days`}>
            <div className="card space-y-2 text-sm">
              {d.usage.meters.length === 0 ? (
                <p className="text-slate-600">No metered calls.</p>
              ) : (
                <ul>
                  {d.usage.meters.map((m) => (
                    <li key={m.meter} className="flex justify-between">
                      <span>{m.meter}</span>
                      <span className="tabular-nums">{m.calls.toLocaleString('en-US')} calls</span>
                    </li>
                  ))}
                </ul>
              )}
              <p className="text-xs text-slate-500">
                Meter reports: {d.usage.reports.sent} sent, {d.usage.reports.pending} pending, {d.usage.reports.failed} failed · last sent{' '}
                {utc(d.usage.reports.lastSentAt)}
              </p>
            </div>
          </Section>
        </div>
      </div>

      {d.payments.length > 0 ? (
        <Section title="One-time payments">
          <div className="card p-0">
            <ul className="divide-y divide-slate-100 text-sm">
              {d.payments.map((p) => (
                <li key={p.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-2">
                  <span>
                    {formatMoney(p.amount, p.currency)} · {p.kind ?? 'payment'} · {utc(p.created)}
                  </span>
                  <StatusBadge status={p.status} />
                </li>
              ))}
            </ul>
          </div>
        </Section>
      ) : null}

      <Section title="Timeline">
        <div className="card p-0">
          {d.timeline.length === 0 ? (
            <Empty>Nothing has happened to this customer yet.</Empty>
          ) : (
            <ol className="divide-y divide-slate-100 text-sm" data-testid="timeline">
              {d.timeline.map((t) => (
                <li key={`${t.kind}:${t.ref}`} className="px-4 py-2 sm:flex sm:gap-4">
                  <p className="flex shrink-0 gap-3 text-xs text-slate-500 sm:w-64">
                    <span className="whitespace-nowrap">{utc(t.at)}</span>
                    <span className="font-semibold uppercase tracking-wide">{t.kind.replace('-', ' ')}</span>
                  </p>
                  <div className="min-w-0 flex-1">
                    <span className="break-all font-medium">{t.title}</span> {t.status ? <StatusBadge status={t.status} /> : null}
                    {t.detail ? <p className="break-all text-xs text-slate-500">{t.detail}</p> : null}
                  </div>
                </li>
              ))}
            </ol>
          )}
        </div>
      </Section>
      <p className="text-sm">
        <Link to="/admin/customers" className="text-brand-700 hover:underline">
          ← All customers
        </Link>
      </p>
    </div>
  );
}
