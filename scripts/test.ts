/**
 * `npm test`: typecheck, vitest (units, integration, emulator contract), `npm run bench -- --quick`, browser and security tests
 * (Chromium; nginx for the reverse-proxy test); one summary at the end. Exits non-zero if any step
 * fails. Installs Debian's Chromium and nginx when missing and this is a root shell on Debian (the
 * machines we build on), since those tests need them.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** Installs a Debian package when `binary` is missing (root on Debian only); `what` says who needs it. */
function ensurePackage(pkg: string, binary: string, envName: string, what: string) {
  if (fs.existsSync(binary)) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    console.error(`${pkg} is missing at ${binary}; ${what} need it. Install it (Debian: apt-get install ${pkg}) or set ${envName}.`);
    process.exit(1);
  }
  console.log(`Installing Debian ${pkg} for ${what} (apt-get install ${pkg})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  }
  if (r.status !== 0 || !fs.existsSync(binary)) {
    console.error(`Could not install ${pkg}.`);
    process.exit(1);
  }
}

interface Step {
  name: string;
  cmd: string;
  args: string[];
  summary?: (out: string) => string;
}

const vitestSummary = (out: string) => {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes (ESC [ … m)
  const clean = out.replace(/\x1b\[[0-9;]*m/g, '');
  const last = (re: RegExp) => [...clean.matchAll(re)].at(-1)?.[1]?.trim();
  const files = last(/^\s*Test Files\s+(.+)$/gm);
  const tests = last(/^\s*Tests\s+(.+)$/gm);
  return [tests && `tests ${tests}`, files && `files ${files}`].filter(Boolean).join(', ');
};

const steps: Step[] = [
  // Format and lint first (prettier, eslint with type-aware rules, knip for unused files and exports).
  { name: 'format (prettier --check)', cmd: 'node_modules/.bin/prettier', args: ['--check', '.', '--log-level', 'warn'] },
  { name: 'lint (eslint, knip)', cmd: 'sh', args: ['-c', 'node_modules/.bin/eslint . && node_modules/.bin/knip --no-progress'] },
  { name: 'typecheck', cmd: 'node_modules/.bin/tsc', args: ['--noEmit'] },
  { name: 'vitest (unit, integration, emulator contract)', cmd: 'node_modules/.bin/vitest', args: ['run'], summary: vitestSummary },
  // A reduced size of every `npm run bench` scenario: correctness only (convergence, no duplicates, no errors), never timings.
  { name: 'bench --quick (correctness only)', cmd: process.execPath, args: ['--import', 'tsx', 'scripts/bench.ts', '--quick'] },
  {
    name: 'browser + security (Chromium, nginx)',
    cmd: 'node_modules/.bin/vitest',
    args: ['run', '-c', 'vitest.e2e.config.ts'],
    summary: vitestSummary,
  },
];

function run(step: Step): Promise<{ ok: boolean; ms: number; out: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n▶ ${step.name}`);
    const child = spawn(step.cmd, step.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => resolve({ ok: code === 0, ms: Date.now() - started, out }));
  });
}

async function main() {
  ensurePackage('chromium', CHROMIUM, 'CHROMIUM_PATH', 'the browser tests');
  ensurePackage('nginx', NGINX, 'NGINX_PATH', 'the reverse-proxy test (tests/security/proxy.test.ts)');
  const results: { step: Step; ok: boolean; ms: number; detail: string }[] = [];
  for (const step of steps) {
    const r = await run(step);
    results.push({ step, ok: r.ok, ms: r.ms, detail: step.summary?.(r.out) ?? '' });
  }
  console.log('\n════════ npm test summary ════════');
  for (const r of results) {
    console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.step.name.padEnd(48)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.detail}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed ? `${failed} step(s) failed.` : 'All steps passed.');
  process.exit(failed ? 1 : 0);
}

void main();
