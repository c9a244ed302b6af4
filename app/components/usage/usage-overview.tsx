import { Link } from '@remix-run/react';
import { UsageAlert, UsageBar, type UsageBarData } from './usage-bar';

/** The overview's usage card: "8,412 of 10,000 calls used · projected …", the alert, a link to details. */
export function UsageOverviewCard({ usage }: { usage: (UsageBarData & { allowance: number; threshold: 0 | 80 | 100 }) | null }) {
  if (!usage) return null;
  return (
    <section className="card space-y-3" aria-labelledby="usage-overview-title">
      <div className="flex items-baseline justify-between gap-4">
        <h2 id="usage-overview-title" className="text-base font-semibold text-slate-900">
          API usage this period
        </h2>
        <Link to="/billing/usage" className="text-sm font-medium text-brand-700 underline">
          View usage
        </Link>
      </div>
      <UsageBar data={usage} compact />
      <UsageAlert threshold={usage.threshold} allowance={usage.allowance} total={usage.total} />
    </section>
  );
}
