/**
 * `npm run lighthouse`: Lighthouse's mobile preset (its default config: a mid-range phone on a slow 4G
 * link, simulated) on `/`, `/login` and a signed-in `/billing` with a subscription, against the built
 * portal on the Stripe emulator. Prints performance and accessibility per page (the median of
 * `LIGHTHOUSE_RUNS` runs, 3 by default) and a few metrics, and exits 1 if any score is below 90
 * (docs/performance.md, "Pages").
 *
 * 1. builds if needed, starts the portal as `npm start` does (emulator included) on free ports with
 *    throwaway databases;
 * 2. signs up and subscribes to Starter in Chromium (the app's own pages and the emulator's card form),
 *    so `/billing` is the page a paying customer sees;
 * 3. runs Lighthouse in a headless Chromium of its own (`CHROME_PATH` or `CHROMIUM_PATH`, default
 *    /usr/bin/chromium), the session cookie sent with `extraHeaders`;
 * 4. stops everything it started, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import lighthouse from 'lighthouse';
import { chromium } from 'playwright-core';
import { buildIfNeeded } from './build-if-needed';

// CHROME_PATH as chrome-launcher reads it; CHROMIUM_PATH as the browser tests read it.
const CHROME = process.env.CHROME_PATH ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const PASS = 90;
/** Runs per page (`LIGHTHOUSE_RUNS`, default 3); the table shows the run with the median performance score. */
const RUNS = Math.max(1, Number(process.env.LIGHTHOUSE_RUNS) || 3);
/** `LIGHTHOUSE_REPORTS=dir` keeps each page's full Lighthouse report (JSON, its last run) there. */
const REPORTS = process.env.LIGHTHOUSE_REPORTS;

const stops: (() => Promise<void>)[] = [];

/**
 * A free port for the portal or its emulator, below the kernel's ephemeral range (where outgoing
 * connections take their source ports, so a port found free there can be gone before the child binds
 * it; tests/helpers/ports.ts does the same for the tests).
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found between 20000 and 32767');
}

async function waitFor(url: string, child: ChildProcess, log: () => string, timeoutMs = 90_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the portal exited (${child.exitCode}):\n${log()}`);
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the portal did not answer ${url} in ${timeoutMs / 1000} s:\n${log()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The portal and its emulator, as `npm start` runs them, on free ports with throwaway databases. */
async function startPortal(tmp: string): Promise<string> {
  const [port, emulatorPort] = [await freePort(), await freePort()];
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: path.join(tmp, 'app.sqlite'),
      STRIPE_EMULATOR_PORT: String(emulatorPort),
      STRIPE_EMULATOR_DB: path.join(tmp, 'emulator.sqlite'),
      STRIPE_SECRET_KEY: '',
      STRIPE_PUBLISHABLE_KEY: '',
      STRIPE_WEBHOOK_SECRET: '',
      STRIPE_API_BASE: '',
      APP_URL: `http://localhost:${port}`,
      STRIPE_EMULATOR_PUBLIC_URL: `http://localhost:${emulatorPort}`,
      SESSION_SECRET: `lighthouse-${Date.now()}-0123456789abcdef0123456789`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stops.push(() => stopChild(child));
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitFor(`http://127.0.0.1:${port}/healthz`, child, () => output);
  return `http://localhost:${port}`;
}

/** Signs up and subscribes to Starter with a test card; returns the session's Cookie header. */
async function payingCustomer(appUrl: string): Promise<string> {
  const browser = await chromium.launch({ executablePath: CHROME, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const hydrated = () => page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true');
    await page.goto(`${appUrl}/signup`);
    await hydrated();
    await page.getByLabel('Name').fill('Lighthouse Customer');
    await page.getByLabel('Email').fill(`lighthouse-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('a-long-password-1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.goto(`${appUrl}/billing`);
    await hydrated();
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    const card = page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
    await card.getByLabel('Card number').fill('4242424242424242', { timeout: 60_000 });
    await card.getByLabel('Expiration date').fill('12 / 34');
    await card.getByLabel('Security code').fill('123');
    await card.getByLabel('ZIP').fill('94103');
    await page.getByRole('button', { name: 'Pay $12.00' }).click();
    await page
      .getByTestId('status-badge')
      .filter({ hasText: /^\s*Active\s*$/ })
      .first()
      .waitFor({ timeout: 60_000 });
    const cookies = await page.context().cookies(appUrl);
    if (!cookies.length) throw new Error('no session cookie after signing up');
    return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  } finally {
    await browser.close();
  }
}

/** A headless Chromium with a debugging port, for Lighthouse; returns the port. */
async function startChromium(tmp: string): Promise<number> {
  const child = spawn(
    CHROME,
    [...FLAGS, '--headless=new', '--remote-debugging-port=0', `--user-data-dir=${path.join(tmp, 'chromium')}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  stops.push(() => stopChild(child));
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Chromium (${CHROME}) did not start:\n${err}`)), 30_000);
    child.once('error', (e) => reject(new Error(`Chromium (${CHROME}) did not start: ${e.message}`)));
    child.stderr!.on('data', (d) => {
      err += d;
      const port = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
  });
}

/** A run Lighthouse itself reports as failed (`lhr.runtimeError`). */
class LighthouseRunError extends Error {}

interface PageResult {
  page: string;
  performance: number;
  accessibility: number;
  fcp: string;
  lcp: string;
  tbt: string;
  cls: string;
  scriptKiB: number;
  failing: string[];
  /** Lighthouse's own run warnings (e.g. a CPU slower than it expects: a busy machine). */
  warnings: string[];
}

async function audit(url: string, label: string, port: number, cookie?: string): Promise<PageResult> {
  const result = await lighthouse(url, {
    port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility'],
    extraHeaders: cookie ? { Cookie: cookie } : undefined,
  });
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { lhr } = result;
  if (REPORTS)
    fs.writeFileSync(
      path.join(REPORTS, `${label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'landing'}.json`),
      String(result.report),
    );
  if (lhr.runtimeError) throw new LighthouseRunError(`Lighthouse could not load ${url}: ${lhr.runtimeError.message}`);
  const score = (id: string) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
  const shown = (id: string) => lhr.audits[id]?.displayValue ?? '?';
  const items = (lhr.audits['resource-summary']?.details as { items?: { resourceType: string; transferSize: number }[] } | undefined)
    ?.items;
  const scriptBytes = items?.find((i) => i.resourceType === 'script')?.transferSize ?? 0;
  // The audits that cost points, for whoever has to fix a score.
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual')
    .map((a) => `${a.id}${a.displayValue ? ` (${a.displayValue})` : ''}`);
  return {
    page: label,
    performance: score('performance'),
    accessibility: score('accessibility'),
    fcp: shown('first-contentful-paint'),
    lcp: shown('largest-contentful-paint'),
    tbt: shown('total-blocking-time'),
    cls: shown('cumulative-layout-shift'),
    scriptKiB: Math.round((scriptBytes / 1024) * 10) / 10,
    failing,
    warnings: lhr.runWarnings.map(String),
  };
}

/**
 * Lighthouse sometimes fails to record a trace (NO_NAVSTART and the like, "Please run Lighthouse
 * again"); such a run is tried again, twice at most. Any other failure stops the script.
 */
async function auditWithRetry(url: string, label: string, port: number, cookie?: string): Promise<PageResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await audit(url, label, port, cookie);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof LighthouseRunError)) throw error;
      console.log(`  ${error.message}; running it again`);
    }
  }
}

async function main() {
  buildIfNeeded();
  if (REPORTS) fs.mkdirSync(REPORTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-lighthouse-'));
  stops.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const appUrl = await startPortal(tmp);
  console.log(`Portal on ${appUrl}; signing up a customer with a Starter subscription…`);
  const cookie = await payingCustomer(appUrl);
  const port = await startChromium(tmp);
  const results: PageResult[] = [];
  for (const [pathname, label, withCookie] of [
    ['/', '/', false],
    ['/login', '/login', false],
    ['/billing', '/billing (signed in, subscribed)', true],
  ] as const) {
    // Scores vary from run to run (Lighthouse's own advice: take the median of several runs).
    const runs: PageResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      console.log(`Lighthouse (mobile): ${label}, run ${run} of ${RUNS}…`);
      runs.push(await auditWithRetry(`${appUrl}${pathname}`, label, port, withCookie ? cookie : undefined));
    }
    runs.sort((a, b) => a.performance - b.performance);
    if (RUNS > 1) console.log(`  performance per run: ${runs.map((r) => r.performance).join(', ')}`);
    results.push(runs[Math.floor((runs.length - 1) / 2)]!);
  }
  console.log('\n| page | performance | accessibility | FCP | LCP | TBT | CLS | JS transferred |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.page} | ${r.performance} | ${r.accessibility} | ${r.fcp} | ${r.lcp} | ${r.tbt} | ${r.cls} | ${r.scriptKiB} KiB |`);
  }
  for (const warning of new Set(results.flatMap((r) => r.warnings))) console.log(`\nLighthouse warns: ${warning}`);
  const below = results.filter((r) => r.performance < PASS || r.accessibility < PASS);
  for (const r of below) console.log(`\n${r.page} is below ${PASS}; audits that cost points: ${r.failing.join(', ') || 'none listed'}`);
  if (below.length) process.exitCode = 1;
  else console.log(`\nEvery score is ${PASS} or more.`);
}

async function stopAll() {
  for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error(e));
}

process.once('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});
main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  })
  .finally(stopAll);
