import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, useActionData, useNavigation } from '@remix-run/react';
import { CatalogAction } from '~/forms/admin.server';
import { catalogueState } from '~/admin/catalog.server';
import { requireAdmin } from '~/admin/guard.server';
import { StatusBadge, td, th } from '~/admin/ui';
import { Alert, PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Catalogue · Admin · Acme Cloud' }];

const WORDS: Record<string, string> = {
  created: 'would be created',
  replaced: 'would be replaced',
  updated: 'would be updated',
  exists: 'matches',
  skipped: 'skipped',
};

/** The page itself never calls Stripe (page loaders read the mirror only); the comparison is a button. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  return null;
}

export async function action({ request }: ActionFunctionArgs) {
  await requireAdmin(request);
  const parsed = CatalogAction.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ ok: false as const, message: parsed.error.issues[0]!.message, rows: null }, { status: 400 });
  try {
    const { rows, changes } = await catalogueState();
    return data({
      ok: true as const,
      message:
        changes === 0
          ? 'Stripe’s catalogue matches plans.ts: stripe:setup would change nothing.'
          : `stripe:setup would make ${changes} change(s).`,
      rows,
    });
  } catch (error) {
    const e = error as { type?: unknown; message?: unknown };
    return data(
      {
        ok: false as const,
        message: `Stripe did not answer: ${typeof e.type === 'string' ? `${e.type}: ` : ''}${String(e.message ?? error)}`,
        rows: null,
      },
      { status: 502 },
    );
  }
}

export default function AdminCatalog() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <div className="space-y-6">
      <PageHeader
        title="Catalogue"
        description="What npm run stripe:setup would change in Stripe to match app/billing/plans.ts: products, the usage meter, prices by lookup key and the customer-portal configuration. A dry run: nothing is written."
        actions={
          <Form method="post">
            <input type="hidden" name="intent" value="check" />
            <button type="submit" className="btn-primary" disabled={busy}>
              Compare with Stripe
            </button>
          </Form>
        }
      />
      {result ? <Alert kind={result.ok ? 'success' : 'error'}>{result.message}</Alert> : null}
      {result?.rows ? (
        <div className="card relative overflow-x-auto p-0">
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="catalog-table">
            <thead className="bg-slate-50">
              <tr>
                <th scope="col" className={th}>
                  Object
                </th>
                <th scope="col" className={th}>
                  Key
                </th>
                <th scope="col" className={th}>
                  State
                </th>
                <th scope="col" className={th}>
                  Stripe id
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {result.rows.map((row) => (
                <tr key={`${row.object}:${row.key}`}>
                  <td className={td}>{row.object}</td>
                  <td className={`${td} font-mono text-xs`}>{row.key}</td>
                  <td className={td}>
                    <StatusBadge status={row.action} /> <span className="text-xs text-slate-500">{WORDS[row.action]}</span>
                    {row.note ? <p className="text-xs text-slate-500">{row.note}</p> : null}
                  </td>
                  <td className={`${td} font-mono text-xs`}>{row.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <div className="card text-sm text-slate-600">Press “Compare with Stripe” to read the catalogue (a few Stripe list calls).</div>
      )}
    </div>
  );
}
