/**
 * The 404 page hydrates cleanly wherever the missing path is: at the top level and below a layout
 * route (`/billing/…`, `/admin/…`), where lazy route discovery used to hydrate it against a different
 * set of routes than the server rendered (React's hydration error #418; app/routes/$.tsx).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage } from './browser';

const appUrl = inject('appUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('the 404 page', () => {
  it('answers 404 and hydrates without errors at any depth', async () => {
    // The document's own 404 is logged by Chromium as a failed resource; nothing else may be.
    const { page, errors, context } = await newPage(browser, { allow: [/status of 404/] });
    for (const path of ['/no-such-page', '/billing/no-such-page', '/billing/invoices/in_x/no-such-page', '/admin/no/such/page']) {
      const res = await page.goto(`${appUrl}${path}`);
      expect(res?.status(), path).toBe(404);
      await hydrated(page);
      expect(await page.getByRole('heading', { level: 1 }).textContent(), path).toBe('Page not found');
      // Its way out works.
      await page.getByRole('link', { name: 'Back home' }).click();
      await page.waitForURL(`${appUrl}/`);
    }
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
