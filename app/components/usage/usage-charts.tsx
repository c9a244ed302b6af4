import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { n, shortDay } from './format';

export interface DayPoint {
  date: string;
  calls: number;
  cumulative: number;
}

const axis = { fontSize: 12, fill: '#475569' };

/** Daily calls this period, as bars. Decorative for screen readers: the table below has the numbers. */
export function DailyBars({ days }: { days: DayPoint[] }) {
  return (
    <div aria-hidden="true" className="h-56 w-full">
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height: 224 }}>
        <BarChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="date" tickFormatter={shortDay} tick={axis} minTickGap={16} />
          <YAxis tickFormatter={(v: number) => n(v)} tick={axis} width={56} allowDecimals={false} />
          <Tooltip formatter={(v) => [n(Number(v)), 'Calls']} labelFormatter={(l) => shortDay(String(l))} />
          <Bar dataKey="calls" fill="#4f46e5" radius={[3, 3, 0, 0]} maxBarSize={40} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Cumulative calls against the included allowance (marked), with the projection to the period end. */
export function CumulativeLine({
  days,
  allowance,
  projection,
}: {
  days: DayPoint[];
  allowance: number | null;
  projection: { date: string; total: number } | null;
}) {
  const data: Array<{ date: string; cumulative?: number; projected?: number }> = days.map((d) => ({
    date: d.date,
    cumulative: d.cumulative,
  }));
  if (projection && days.length > 0) {
    const last = data[data.length - 1]!;
    last.projected = last.cumulative;
    if (projection.date !== last.date) data.push({ date: projection.date, projected: projection.total });
  }
  const top = Math.max(allowance ?? 0, projection?.total ?? 0, days.at(-1)?.cumulative ?? 0);
  return (
    <div aria-hidden="true" className="h-56 w-full">
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height: 224 }}>
        <LineChart data={data} margin={{ top: 16, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="date" tickFormatter={shortDay} tick={axis} minTickGap={16} />
          <YAxis
            tickFormatter={(v: number) => n(v)}
            tick={axis}
            width={56}
            domain={[0, Math.ceil(top * 1.1) || 10]}
            allowDecimals={false}
          />
          <Tooltip
            formatter={(v, name) => [n(Number(v)), name === 'projected' ? 'Projected' : 'Calls so far']}
            labelFormatter={(l) => shortDay(String(l))}
          />
          {allowance ? (
            <ReferenceLine
              y={allowance}
              stroke="#dc2626"
              strokeDasharray="6 4"
              label={{ value: `Included: ${n(allowance)}`, position: 'insideTopLeft', fontSize: 12, fill: '#b91c1c' }}
            />
          ) : null}
          <Line type="monotone" dataKey="cumulative" stroke="#4f46e5" strokeWidth={2} dot={false} isAnimationActive={false} connectNulls />
          <Line
            type="linear"
            dataKey="projected"
            stroke="#64748b"
            strokeWidth={2}
            strokeDasharray="4 4"
            dot={false}
            isAnimationActive={false}
            connectNulls
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
