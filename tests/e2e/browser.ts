import fs from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
}

/** A page that records console errors and uncaught exceptions; `assertNoConsoleErrors` checks them. */
export async function newPage(
  browser: Browser,
  opts: { allow?: RegExp[] } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !opts.allow?.some((re) => re.test(msg.text()))) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return { context, page, errors };
}

export function assertNoConsoleErrors(errors: string[]) {
  expect(errors, 'browser console errors').toEqual([]);
}

/**
 * Waits until React has hydrated the document (app/root.tsx marks it in an effect), so clicks are
 * handled by React. `window.__remixRouter` exists before hydration ends: a click in that gap submits
 * the form natively and the page's fetcher never sees the answer.
 */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true');
}

/** Waits until the Remix router has no navigation, revalidation or fetcher in flight. */
export async function settled(page: Page) {
  await page.waitForFunction(() => {
    const router = (
      window as unknown as {
        __remixRouter?: { state: { navigation: { state: string }; revalidation: string; fetchers: Map<string, { state: string }> } };
      }
    ).__remixRouter;
    if (!router) return false;
    const { navigation, revalidation, fetchers } = router.state;
    return navigation.state === 'idle' && revalidation === 'idle' && [...fetchers.values()].every((f) => f.state === 'idle');
  });
}

/**
 * Clicks `trigger` and returns the response to the POST it sends to `path` — that request's own
 * answer, never an earlier one still in flight — after the page has finished reacting to it.
 */
export async function submit(page: Page, path: string, trigger: () => Promise<void>) {
  await settled(page);
  const response = page.waitForResponse(
    (r) => [path, `${path}.data`].includes(new URL(r.url()).pathname) && r.request().method() === 'POST',
  );
  await trigger();
  const answered = await response;
  await settled(page);
  return answered;
}

export async function screenshot(page: Page, name: string) {
  const dir = path.resolve('tests/.artifacts/screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

let n = 0;
export function uniqueEmail(prefix = 'e2e') {
  return `${prefix}-${Date.now()}-${n++}@example.com`;
}

export async function signUp(page: Page, appUrl: string, opts: { name?: string; email?: string; password?: string } = {}) {
  const email = opts.email ?? uniqueEmail();
  const password = opts.password ?? 'a-long-password-1';
  await page.goto(`${appUrl}/signup`);
  await hydrated(page);
  await page.getByLabel('Name').fill(opts.name ?? 'Test User');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/dashboard$/);
  return { email, password };
}

export interface A11yViolation {
  id: string;
  impact: string | null | undefined;
  help: string;
  nodes: string[];
}

const AXE_SOURCE = axe.source;

/**
 * Runs axe-core on the page as it is now, its frames included (the card form, the 3D Secure
 * challenge), and returns the serious and critical violations. axe is injected through the
 * debugging protocol, so the page's Content-Security-Policy neither blocks nor changes it.
 */
export async function axeCheck(page: Page): Promise<A11yViolation[]> {
  await Promise.all(page.frames().map((frame) => frame.evaluate(AXE_SOURCE).catch(() => undefined)));
  return page.evaluate(async () => {
    type AxeResult = {
      violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
    };
    const runner = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }).axe;
    const result = await runner.run(document, { resultTypes: ['violations'], iframes: true });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} :: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
      }));
  });
}

/** How wide the document is at the current viewport (wider than the viewport = it scrolls sideways). */
export async function documentWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}
