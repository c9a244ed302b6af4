import { longDate, n, shortDay } from './format';
import type { DayPoint } from './usage-charts';

const th = 'px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-600';
const td = 'px-3 py-2 text-sm text-slate-800';
const num = 'px-3 py-2 text-right text-sm tabular-nums text-slate-800';

/** The chart's numbers as a table (for screen readers, and for people who prefer one). */
export function DailyTable({ days, allowance }: { days: DayPoint[]; allowance: number | null }) {
  return (
    <div className="relative overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200">
        <caption className="sr-only">API calls per day this period</caption>
        <thead>
          <tr>
            <th scope="col" className={th}>
              Date (UTC)
            </th>
            <th scope="col" className={`${th} text-right`}>
              Calls
            </th>
            <th scope="col" className={`${th} text-right`}>
              So far
            </th>
            {allowance ? (
              <th scope="col" className={`${th} text-right`}>
                Of included
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {[...days].reverse().map((d) => (
            <tr key={d.date}>
              <th scope="row" className={`${td} font-normal text-left`}>
                {shortDay(d.date)}
              </th>
              <td className={num}>{n(d.calls)}</td>
              <td className={num}>{n(d.cumulative)}</td>
              {allowance ? <td className={num}>{Math.floor((d.cumulative * 100) / allowance)}%</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function KeyTable({
  byKey,
  total,
}: {
  byKey: { apiKeyId: string; name: string; prefix: string | null; revoked: boolean; calls: number }[];
  total: number;
}) {
  return (
    <div className="relative overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200">
        <caption className="sr-only">API calls this period by API key</caption>
        <thead>
          <tr>
            <th scope="col" className={th}>
              Key
            </th>
            <th scope="col" className={`${th} text-right`}>
              Calls
            </th>
            <th scope="col" className={`${th} text-right`}>
              Share
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {byKey.map((k) => (
            <tr key={k.apiKeyId || 'none'}>
              <th scope="row" className={`${td} font-normal text-left`}>
                {k.name}
                {k.prefix ? (
                  <span className="ml-2 hidden whitespace-nowrap font-mono text-xs text-slate-500 sm:inline">{k.prefix}…</span>
                ) : null}
                {k.revoked ? <span className="ml-2 text-xs text-slate-500">(revoked)</span> : null}
              </th>
              <td className={num}>{n(k.calls)}</td>
              <td className={num}>{total ? Math.round((k.calls * 100) / total) : 0}%</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function HistoryTable({ history }: { history: { firstDay: string; lastDay: string; calls: number }[] }) {
  return (
    <div className="relative overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200">
        <caption className="sr-only">API calls in the last 6 periods</caption>
        <thead>
          <tr>
            <th scope="col" className={th}>
              Period
            </th>
            <th scope="col" className={`${th} text-right`}>
              Calls
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {history.map((h, i) => (
            <tr key={h.firstDay}>
              <th scope="row" className={`${td} font-normal text-left`}>
                {longDate(`${h.firstDay}T00:00:00Z`)} – {longDate(`${h.lastDay}T00:00:00Z`)}
                {i === 0 ? <span className="ml-2 text-xs text-slate-500">(current)</span> : null}
              </th>
              <td className={num}>{n(h.calls)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
