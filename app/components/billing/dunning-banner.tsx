import { Link } from '@remix-run/react';
import type { DunningNotice } from '~/billing/dunning.server';
import { formatMoney } from '~/lib/money';

/**
 * On every page while a payment is owed (app/billing/dunning.server.ts): what failed and when, the
 * days of access left, and the way to fix it (the open invoice's page: saved card, new card, 3D Secure).
 */
export function DunningBanner({ notice }: { notice: DunningNotice }) {
  // The subscription's webhook can come before its invoice's: say no amount rather than a wrong one.
  const payment = notice.amount === null ? 'Your payment' : `Your payment of ${formatMoney(notice.amount, notice.currency)}`;
  const what = notice.actionRequired
    ? `${payment}${notice.failedOn ? ` on ${notice.failedOn}` : ''} needs your confirmation`
    : `${payment} failed${notice.failedOn ? ` on ${notice.failedOn}` : ''}`;
  const todo = notice.actionRequired ? 'confirm it with your bank' : 'update your card';
  const grace =
    notice.status === 'unpaid'
      ? 'Access is suspended until it is paid.'
      : notice.graceDaysLeft !== null
        ? `${notice.graceDaysLeft} day${notice.graceDaysLeft === 1 ? '' : 's'} of access left.`
        : 'Access is suspended until it is paid.';
  return (
    <div role="alert" data-testid="dunning-banner" className="border-b border-red-200 bg-red-50">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 text-sm text-red-900 sm:px-6">
        <p className="min-w-0 flex-1">
          <span className="font-semibold">
            {what}: {todo}.
          </span>{' '}
          {grace}
        </p>
        <Link
          to={notice.fixPath}
          className="whitespace-nowrap rounded-md bg-red-700 px-3 py-2 font-medium text-white hover:bg-red-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 focus-visible:ring-offset-2"
        >
          {notice.actionRequired ? 'Confirm payment' : 'Fix payment'}
        </Link>
      </div>
    </div>
  );
}
