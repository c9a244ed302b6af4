import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { requireUser } from '~/auth/session.server';
import { PageHeader } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Billing · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUser(request);
  return null;
}

export default function Billing() {
  return (
    <div className="mx-auto max-w-6xl space-y-6 px-4 py-10 sm:px-6">
      <PageHeader title="Billing" description="Your plan, payment method and invoices." />
      <div className="card text-center">
        <p className="text-base font-semibold">Billing is coming soon</p>
        <p className="mt-1 text-sm text-slate-600">Subscriptions, invoices and usage will appear here. Nothing is charged yet.</p>
      </div>
    </div>
  );
}
