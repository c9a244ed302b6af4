import { lazy, Suspense, type ComponentProps } from 'react';
import type { CumulativeLine as CumulativeLineChart, DailyBars as DailyBarsChart } from './usage-charts';

/**
 * The usage charts, with recharts (about 135 KiB of gzipped JS) kept out of the page's own bundle: the
 * chart module is a separate chunk the browser fetches after the page itself (docs/performance.md).
 * The server renders the charts in full, so the first paint has them and hydration keeps that markup
 * until the chunk arrives (React leaves a server-rendered Suspense boundary as it is while its lazy
 * code loads). The fallback, drawn only if a render has to wait for the chunk (the server's first
 * render after a start, or a client render before the chunk is in), is an empty box of the chart's
 * own size, so nothing moves when the chart replaces it. The numbers are in the tables below, always
 * server-rendered.
 */
const charts = () => import('./usage-charts');
const LazyDailyBars = lazy(() => charts().then((m) => ({ default: m.DailyBars })));
const LazyCumulativeLine = lazy(() => charts().then((m) => ({ default: m.CumulativeLine })));

function ChartBox() {
  return <div aria-hidden="true" className="h-56 w-full" data-testid="chart-loading" />;
}

export function DailyBars(props: ComponentProps<typeof DailyBarsChart>) {
  return (
    <Suspense fallback={<ChartBox />}>
      <LazyDailyBars {...props} />
    </Suspense>
  );
}

export function CumulativeLine(props: ComponentProps<typeof CumulativeLineChart>) {
  return (
    <Suspense fallback={<ChartBox />}>
      <LazyCumulativeLine {...props} />
    </Suspense>
  );
}
