import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Outlet } from '@remix-run/react';
import { noAdminAction, requireAdmin } from '~/admin/guard.server';
import { AdminTabs } from '~/admin/ui';

export const meta: MetaFunction = () => [{ title: 'Admin · Acme Cloud' }];

/** The console's layout (docs/admin.md). No ErrorBoundary of its own: a refused visitor sees the app's plain 404. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  return null;
}

export async function action({ request }: ActionFunctionArgs) {
  return noAdminAction(request);
}

export default function AdminLayout() {
  return (
    <div className="mx-auto max-w-6xl space-y-6 px-4 py-10 sm:px-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <p className="text-xs font-semibold uppercase tracking-wide text-brand-700">Operator console</p>
      </div>
      <AdminTabs />
      <Outlet />
    </div>
  );
}
