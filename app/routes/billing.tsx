import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Outlet } from '@remix-run/react';
import { requireUser } from '~/auth/session.server';

export const meta: MetaFunction = () => [{ title: 'Billing · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUser(request);
  return null;
}

export default function BillingLayout() {
  return (
    <div className="mx-auto max-w-6xl space-y-6 px-4 py-10 sm:px-6">
      <Outlet />
    </div>
  );
}
