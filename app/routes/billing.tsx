import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { NavLink, Outlet } from '@remix-run/react';
import { requireUser } from '~/auth/session.server';

export const meta: MetaFunction = () => [{ title: 'Billing · Acme Cloud' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context);
  return null;
}

/** The billing tabs; NavLink marks the open one with `aria-current="page"`. */
const TABS = [
  { to: '/billing', label: 'Overview', end: true },
  { to: '/billing/usage', label: 'Usage', end: true },
  { to: '/billing/invoices', label: 'Invoices', end: false },
  { to: '/billing/payment-methods', label: 'Payment methods', end: true },
  { to: '/billing/details', label: 'Billing details', end: true },
  { to: '/billing/credits', label: 'Credits', end: true },
];

export default function BillingLayout() {
  return (
    <div className="mx-auto max-w-6xl space-y-6 px-4 py-10 sm:px-6">
      <nav aria-label="Billing" className="-mx-4 overflow-x-auto border-b border-slate-200 px-4 sm:mx-0 sm:px-0">
        <ul className="flex gap-1">
          {TABS.map((tab) => (
            <li key={tab.to}>
              <NavLink
                to={tab.to}
                end={tab.end}
                prefetch="intent"
                className={({ isActive }) =>
                  `-mb-px inline-block whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 ${
                    isActive
                      ? 'border-brand-600 text-brand-700'
                      : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900'
                  }`
                }
              >
                {tab.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </div>
  );
}
