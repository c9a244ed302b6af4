import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage, screenshot, signUp, submit, uniqueEmail } from './browser';

const appUrl = inject('appUrl');
const altAppUrl = inject('altAppUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('accounts in a real browser', () => {
  it('shows the landing page with the pricing table', async () => {
    const { page, errors, context } = await newPage(browser);
    await page.goto(appUrl);
    await hydrated(page);
    await expect.poll(() => page.getByRole('heading', { name: 'Simple, honest pricing' }).isVisible()).toBe(true);
    for (const plan of ['Starter', 'Pro', 'Team'])
      expect(await page.getByRole('heading', { name: plan, exact: true }).isVisible()).toBe(true);
    expect(await page.getByText('$49', { exact: true }).isVisible()).toBe(true);
    await page.locator('label', { hasText: 'Yearly' }).click();
    await expect.poll(() => page.getByText('$490', { exact: true }).isVisible()).toBe(true);
    await screenshot(page, 'landing');
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('signs up, reaches the dashboard, logs out and logs back in', async () => {
    const { page, errors, context } = await newPage(browser);
    const { email, password } = await signUp(page, appUrl, { name: 'Margaret Hamilton' });
    // A new account is welcomed; after signing in again it is welcomed back.
    await page.getByRole('heading', { name: 'Welcome, Margaret' }).waitFor();
    expect(await page.getByTestId('signed-in-user').textContent()).toBe('Margaret Hamilton');
    await screenshot(page, 'dashboard');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(appUrl + '/');
    await page.goto(`${appUrl}/dashboard`);
    await page.waitForURL(/\/login\?redirectTo=%2Fdashboard/);
    await hydrated(page);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByRole('heading', { name: 'Welcome back, Margaret' }).waitFor();
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('shows wrong-password and bad sign-up input beside the field', async () => {
    const { page, context } = await newPage(browser, { allow: [/status of 40[019]/] });
    const { email } = await signUp(page, appUrl);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(appUrl + '/');
    await page.goto(`${appUrl}/login`);
    await hydrated(page);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('#field-password-error').textContent()).toBe('That email and password do not match.');
    await screenshot(page, 'login-error');

    await page.goto(`${appUrl}/signup`);
    await hydrated(page);
    await page.getByLabel('Name').fill('Dup');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.locator('#field-password-error').textContent()).toBe('Use at least 10 characters.');
    await page.getByLabel('Password').fill('long-enough-password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.locator('#field-email-error').textContent()).toContain('already exists');
    await screenshot(page, 'signup-error');
    await context.close();
  });

  it('throttles the sixth try after five wrong passwords', async () => {
    const { page, context } = await newPage(browser, { allow: [/status of 40[19]|status of 429/] });
    const { email } = await signUp(page, appUrl);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(appUrl + '/');
    await page.goto(`${appUrl}/login`);
    await hydrated(page);
    // Each attempt waits for its own answer before the next one starts: after the first failure the
    // error text is already on the page, so waiting for it would let attempts overlap.
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(`wrong-password-${i}`);
      const answer = await submit(page, '/login', () => page.getByRole('button', { name: 'Log in' }).click());
      expect(answer.status(), `attempt ${i + 1}`).toBe(401);
    }
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a-long-password-1');
    const response = await submit(page, '/login', () => page.getByRole('button', { name: 'Log in' }).click());
    expect(response.status()).toBe(429);
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toMatch(/Too many failed attempts for this email\. Try again in 1[45] minutes\./);
    await screenshot(page, 'login-throttled');
    await context.close();
  });

  it('rejects a cross-site form post (CSRF) with 403 and changes nothing', async () => {
    const { page, context } = await newPage(browser, { allow: [/403/] });
    await signUp(page, appUrl);
    // A script on another origin (127.0.0.1 is another site than localhost) posting to the app.
    await page.goto(`${altAppUrl}/healthz`);
    const [fetched] = await Promise.all([
      page.waitForResponse(`${appUrl}/api-keys`),
      page.evaluate(async (target) => {
        await fetch(target, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          body: new URLSearchParams({ intent: 'create', name: 'evil' }),
        });
      }, `${appUrl}/api-keys`),
    ]);
    expect(fetched.status()).toBe(403);
    // The browser withholds the body of that cross-site no-cors answer (nosniff on every response, #16:
    // Opaque Response Blocking), so read the reason the app gives from the same request sent directly.
    const direct = await fetch(`${appUrl}/api-keys`, {
      method: 'POST',
      headers: { Origin: altAppUrl, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'intent=create&name=evil',
    });
    expect(direct.status).toBe(403);
    expect(await direct.text()).toContain('not allowed');
    // Through a real cross-origin HTML form as well
    await page.setContent(
      `<form id=f method=post action="${appUrl}/api-keys"><input name=intent value=create><input name=name value=evil></form>`,
    );
    const [res] = await Promise.all([
      page.waitForNavigation({ url: `${appUrl}/api-keys`, waitUntil: 'load' }),
      page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit()),
    ]);
    expect(res?.status()).toBe(403);
    expect(await page.locator('body').textContent()).toContain('Forbidden');
    await page.goto(`${appUrl}/api-keys`);
    await page.getByText('No keys yet').waitFor();
    await context.close();
  });

  it('creates and revokes an API key that works against the API', async () => {
    const { page, errors, context } = await newPage(browser);
    await signUp(page, appUrl, { name: 'Key Maker' });
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/api-keys$/);
    await hydrated(page);
    await page.getByLabel('Key name').fill('Laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())!.trim();
    const ok = await fetch(`${appUrl}/api/v1/hello`, { headers: { Authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(402); // a valid key; no plan yet
    await screenshot(page, 'api-keys');
    await page.getByRole('button', { name: 'Revoke Laptop' }).click();
    const confirmRevoke = page.getByRole('dialog', { name: 'Revoke this API key?' });
    await submit(page, '/api-keys', () => confirmRevoke.getByRole('button', { name: 'Revoke key' }).click());
    await expect.poll(() => page.getByText(/^Revoked /).isVisible()).toBe(true);
    expect((await fetch(`${appUrl}/api/v1/hello`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(401);
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('answers bad requests with a clear 4xx, never a 500', async () => {
    const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(`${appUrl}${path}`, {
        method: 'POST',
        body,
        redirect: 'manual',
        headers: { Origin: appUrl, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      });
    const huge = await post('/signup', 'name=' + 'x'.repeat(2 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain('too large');
    const noOrigin = await fetch(`${appUrl}/signup`, {
      method: 'POST',
      body: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(noOrigin.status).toBe(403);
    const empty = await post('/signup?_data=routes%2Fsignup', '');
    expect(empty.status).toBeLessThan(500);
    const forged = await fetch(`${appUrl}/dashboard`, { redirect: 'manual', headers: { Cookie: '__session=forged.value' } });
    expect(forged.status).toBe(302);
    expect(forged.headers.get('location')).toBe('/login?redirectTo=%2Fdashboard');
    const missing = await fetch(`${appUrl}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Page not found');
    const health = await fetch(`${appUrl}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, db: 'ok', stripe: 'emulator' });
  });
});

export { uniqueEmail };
