/**
 * Runs the browser billing flows with the emulator's clock starting on days that break date math:
 * the last day of a month before a short one, 28 February and 31 December (see E2E_START_AT in
 * tests/e2e/global-setup.ts). `npm run test:e2e:dates [-- <vitest args>]`; exits non-zero on a failure.
 */
import { spawnSync } from 'node:child_process';

const DAYS = ['2027-01-31T15:00:00Z', '2027-02-28T15:00:00Z', '2027-12-31T15:00:00Z'];
const extra = process.argv.slice(2);
const files = extra.length ? extra : ['tests/e2e/billing.e2e.test.ts'];

const results: { day: string; ok: boolean; seconds: number }[] = [];
for (const day of DAYS) {
  console.log(`\n▶ browser billing flows with the clock starting at ${day}`);
  const started = Date.now();
  const r = spawnSync('node_modules/.bin/vitest', ['run', '-c', 'vitest.e2e.config.ts', ...files], {
    stdio: 'inherit',
    env: { ...process.env, E2E_START_AT: day },
  });
  results.push({ day, ok: r.status === 0, seconds: (Date.now() - started) / 1000 });
}
console.log('\n════════ dates summary ════════');
for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.day}  ${r.seconds.toFixed(1)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
