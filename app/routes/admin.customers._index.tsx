import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { CustomerSearch } from '~/forms/admin.server';
import { searchCustomers } from '~/admin/customers.server';
import { noAdminAction, requireAdmin } from '~/admin/guard.server';
import { SearchBox, StatusBadge, td, th } from '~/admin/ui';
import { Alert, PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Customers · Admin · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = CustomerSearch.safeParse(params);
  if (!parsed.success) {
    return data(
      { q: String(params.q ?? '').slice(0, 200), page: 1, hits: [], hasMore: false, error: parsed.error.issues[0]!.message },
      { status: 400 },
    );
  }
  const { q, page } = parsed.data;
  return { q, page, ...searchCustomers({ q, page }), error: null };
}

export async function action({ request }: ActionFunctionArgs) {
  return noAdminAction(request);
}

export default function AdminCustomers() {
  const { q, page, hits, hasMore, error } = useLoaderData<typeof loader>();
  const link = (p: number) => `/admin/customers?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p) })}`;
  return (
    <div className="space-y-6">
      <PageHeader title="Customers" description="Accounts and Stripe customers in the mirror. Search by email, name or Stripe id." />
      <div className="card">
        <SearchBox defaultValue={q} />
      </div>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <div className="card relative overflow-x-auto p-0">
        {hits.length === 0 ? (
          <p className="p-6 text-sm text-slate-600">{q ? `No customer matches “${q}”.` : 'No customers yet.'}</p>
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50">
              <tr>
                <th scope="col" className={th}>
                  Customer
                </th>
                <th scope="col" className={th}>
                  Stripe id
                </th>
                <th scope="col" className={th}>
                  Subscription
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {hits.map((h) => (
                <tr key={h.key}>
                  <td className={td}>
                    <Link to={`/admin/customers/${h.key}`} className="font-medium text-brand-700 hover:underline">
                      {h.name || h.email || h.key}
                    </Link>
                    <p className="text-xs text-slate-500">
                      {h.email}
                      {h.userId ? '' : ' · no account'}
                    </p>
                  </td>
                  <td className={`${td} font-mono text-xs`}>{h.customerId ?? '—'}</td>
                  <td className={td}>
                    <StatusBadge status={h.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {page > 1 || hasMore ? (
        <nav aria-label="Pages" className="flex justify-between">
          {page > 1 ? (
            <Link to={link(page - 1)} className="btn-secondary">
              Previous
            </Link>
          ) : (
            <span />
          )}
          {hasMore ? (
            <Link to={link(page + 1)} className="btn-secondary">
              Next
            </Link>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}
