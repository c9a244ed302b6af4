import { lazy, Suspense, type ComponentProps } from 'react';
import type { CumulativeLine as CumulativeLineChart, DailyBars as DailyBarsChart } from './usage-charts';

/**
 * The usage charts, with recharts (about 132 KiB of gzipped JS) kept out of the page's own bundle: the
 * chart module is a chunk of its own that the browser fetches while the page hydrates, not before
 * (docs/performance.md). Recharts draws only in the browser: the server renders each chart's box at
 * its final size (`h-56`), and so does the fallback shown until the chunk is in, so nothing moves when
 * the chart appears. The numbers themselves are in the tables below, always server-rendered.
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
