/**
 * The billing flow without a mouse: sign up, subscribe, cancel through the dialog and reactivate with
 * Tab, Enter, Space and Escape only (typing into the card form's frame is the one thing done by
 * filling). The dialog takes focus, keeps it, closes on Escape and gives focus back to its opener.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assertNoConsoleErrors, hydrated, launch, newPage, uniqueEmail } from './browser';

const appUrl = inject('appUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** The focused element's name as a person hears it: its aria-label, its label, or its text. */
function focusedName(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as (HTMLElement & { labels?: NodeListOf<HTMLLabelElement> | null }) | null;
    if (!el || el === document.body) return '';
    return (el.getAttribute('aria-label') ?? el.labels?.[0]?.innerText ?? el.innerText ?? '').trim();
  });
}

function focusIsInDialog(page: Page) {
  return page.evaluate(() => document.activeElement?.closest('dialog[open]') != null);
}

/** Presses Tab until the focused element is called `name` (Tab wraps round the page). */
async function tabTo(page: Page, name: string | RegExp, max = 80) {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const current = await focusedName(page);
    if (typeof name === 'string' ? current === name : name.test(current)) return;
    seen.push(current);
  }
  throw new Error(`Tab never reached "${String(name)}"; it went through: ${seen.join(' | ')}`);
}

async function badgeText(page: Page) {
  await page.getByTestId('status-badge').first().waitFor({ timeout: 20_000 });
  return (await page.getByTestId('status-badge').first().textContent())?.trim();
}

function cardFrame(page: Page) {
  return page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
}

describe('the billing flow with the keyboard only', () => {
  it('signs up, subscribes, cancels through the dialog and reactivates without a mouse', async () => {
    const { page, errors, context } = await newPage(browser);

    await page.goto(`${appUrl}/signup`);
    await hydrated(page);
    await tabTo(page, 'Name');
    await page.keyboard.type('Keyboard User');
    await tabTo(page, 'Email');
    await page.keyboard.type(uniqueEmail('keyboard'));
    await tabTo(page, 'Password');
    await page.keyboard.type('a-long-password-1');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/dashboard$/);
    await hydrated(page);

    // To the billing page through the main navigation.
    await tabTo(page, 'Billing');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/billing$/);
    await hydrated(page);
    await tabTo(page, 'Subscribe to Starter');
    await page.keyboard.press('Enter');
    const card = cardFrame(page);
    await card.getByLabel('Card number').waitFor({ timeout: 45_000 });
    await card.getByLabel('Card number').fill('4242424242424242');
    await card.getByLabel('Expiration date').fill('12 / 34');
    await card.getByLabel('Security code').fill('123');
    await card.getByLabel('ZIP').fill('94103');
    await tabTo(page, 'Pay $12.00');
    await page.keyboard.press('Enter');
    await expect.poll(() => badgeText(page), { timeout: 30_000 }).toBe('Active');
    await expect.poll(() => page.getByTestId('billing-status').textContent()).toContain('Payment confirmed');

    // The dialog takes focus and keeps it; Escape closes it and focus goes back to its opener.
    await tabTo(page, 'Cancel subscription');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Cancel your subscription?' });
    await dialog.waitFor();
    expect(await focusIsInDialog(page)).toBe(true);
    const trapped: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      trapped.push(await focusIsInDialog(page));
    }
    expect(trapped).toEqual([true, true, true, true, true, true]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focusedName(page)).toBe('Cancel subscription');

    // Open it again from the focused opener. Escape then Enter at once (before the browser has delivered
    // the `close` event of the Escape) opens it again too: the page does not lose the second open.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ timeout: 5_000 });
      expect(await focusIsInDialog(page)).toBe(true);
    }
    // The browser may deliver the queued `close` events of two such closes after the last one: the second
    // must not move focus off the opener again (an Enter then went to the page, not the button). The page
    // closes, opens and closes the dialog within one task, so both events come late.
    await page.evaluate(async () => {
      const open = document.querySelector('dialog[open]') as HTMLDialogElement;
      const opener = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Cancel subscription')!;
      open.close();
      opener.focus();
      opener.click();
      for (let i = 0; i < 5 && !open.open; i++) await Promise.resolve();
      if (!open.open) throw new Error('the dialog did not open again within the task');
      open.close();
    });
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => focusedName(page)).toBe('Cancel subscription');
    await page.waitForTimeout(100);
    expect(await focusedName(page)).toBe('Cancel subscription');
    await page.keyboard.press('Enter');
    await dialog.waitFor();

    // Pick a reason with the arrow keys, confirm.
    await tabTo(page, /^Why are you leaving/);
    await page.keyboard.press('ArrowDown');
    await tabTo(page, 'Cancel at period end');
    await page.keyboard.press('Enter');
    await expect.poll(() => badgeText(page), { timeout: 30_000 }).toMatch(/^Cancels on/);
    await dialog.waitFor({ state: 'hidden' });
    // The outcome is announced in the page's live region.
    expect(await page.getByTestId('billing-status').getAttribute('aria-live')).toBe('polite');
    await expect.poll(() => page.getByTestId('billing-status').textContent()).toContain('will end at the close of this period');

    await tabTo(page, 'Keep my subscription');
    await page.keyboard.press('Space');
    await expect.poll(() => badgeText(page), { timeout: 30_000 }).toBe('Active');
    await expect.poll(() => page.getByTestId('billing-status').textContent()).toContain('renew as usual');
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
