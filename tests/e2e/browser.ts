import fs from 'node:fs';
import path from 'node:path';
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
export async function newPage(browser: Browser, opts: { allow?: RegExp[] } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
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

/** Waits until Remix has hydrated, so clicks are handled by React. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => Boolean((window as unknown as { __remixRouter?: unknown }).__remixRouter));
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
