import { formatMoney } from '~/lib/money';
import { n } from './format';

export interface UsageBarData {
  total: number;
  allowance: number | null;
  projectedTotal: number | null;
  projectedCost: number | null;
  currency: string;
}

/** "8,412 of 10,000 calls used · projected 11,900 (+$19.00)" with a bar (overview and usage page). */
export function UsageBar({ data, compact = false }: { data: UsageBarData; compact?: boolean }) {
  const { total, allowance, projectedTotal, projectedCost, currency } = data;
  const pct = allowance ? Math.min(100, (total * 100) / allowance) : 0;
  const tone = !allowance ? 'bg-slate-400' : total >= allowance ? 'bg-red-600' : pct >= 80 ? 'bg-amber-500' : 'bg-brand-600';
  const projected =
    projectedTotal !== null ? ` · projected ${n(projectedTotal)}${projectedCost ? ` (+${formatMoney(projectedCost, currency)})` : ''}` : '';
  const text = allowance ? `${n(total)} of ${n(allowance)} calls used${projected}` : `${n(total)} calls this period${projected}`;
  return (
    <div className={compact ? 'space-y-1.5' : 'space-y-2'} data-testid="usage-bar">
      <p className={compact ? 'text-sm text-slate-700' : 'text-sm font-medium text-slate-800'}>{text}</p>
      {allowance ? (
        <div
          className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200"
          role="meter"
          aria-label="API calls used of the included calls"
          aria-valuemin={0}
          aria-valuemax={allowance}
          aria-valuenow={Math.min(total, allowance)}
          aria-valuetext={`${n(total)} of ${n(allowance)}`}
        >
          <div className={`h-full rounded-full ${tone}`} style={{ width: `${pct}%` }} />
        </div>
      ) : null}
    </div>
  );
}

/** The 80% / 100% banner. */
export function UsageAlert({ threshold, allowance, total }: { threshold: 0 | 80 | 100; allowance: number | null; total: number }) {
  if (!threshold || !allowance) return null;
  const over = threshold === 100;
  return (
    <div
      role="status"
      data-testid="usage-alert"
      className={`rounded-md p-3 text-sm ring-1 ring-inset ${over ? 'bg-red-50 text-red-800 ring-red-200' : 'bg-amber-50 text-amber-900 ring-amber-200'}`}
    >
      {over
        ? `You have used all ${n(allowance)} included API calls this period (${n(total)} so far). Calls beyond the allowance are billed at the end of the period.`
        : `You have used ${Math.floor((total * 100) / allowance)}% of the ${n(allowance)} API calls included this period.`}
    </div>
  );
}
