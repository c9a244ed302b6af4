/**
 * The shape every `npm run bench` scenario answers with (scripts/bench.ts prints one table of them).
 */

/** One line of the table: the figure, the app's value, the baseline measured in the same run, the ratio. */
export type BenchRow = [figure: string, app: string, baseline: string, ratio: string];

export interface ScenarioResult {
  rows: BenchRow[];
  /** Lines printed under the table (counts, what was checked). */
  notes: string[];
  /** Correctness failures (errors, divergence, duplicates): any of them makes the bench exit 1. */
  failures: string[];
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const ratio = (a: number, b: number, digits = 2) => `${(a / Math.max(1e-9, b)).toFixed(digits)}×`;

export const mib = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MiB`;

export function printTable(rows: BenchRow[]): void {
  const head: BenchRow = ['figure', 'app', 'baseline (same run)', 'ratio'];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(`\n${line(head)}`);
  console.log(line(widths.map((w) => '-'.repeat(w))));
  rows.forEach((r) => console.log(line(r)));
}
