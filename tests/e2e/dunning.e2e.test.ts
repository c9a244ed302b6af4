/**
 * Dunning, emails and pause in Chromium (issue #14), on a portal of its own started like `npm start`
 * (emulator inside) with SMTP_URL pointing at a real SMTP listener this test starts (smtp-server), so
 * the emails are really delivered. It moves its own emulator's clock:
 * - renewal fails (a card that attaches but is declined when charged) → banner on every page and one
 *   "payment failed" email → the retry fails → fixed from the banner with a new card → Active, with
 *   exactly one "payment failed" email in the outbox and at the listener;
 * - nobody fixes it: Stripe's retries run out, the subscription is cancelled, access is gone, the
 *   overview says what happened and the cancellation email arrives;
 * - pause payments for 2 months → shown with the resume date → resume → Active.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Stripe from 'stripe';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfNeeded } from '../../scripts/build-if-needed';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp';
import { assertNoConsoleErrors, hydrated, launch, newPage, screenshot, signUp, submit } from './browser';
import { freePort } from '../helpers/ports';

let browser: Browser;
let smtp: SmtpListener;
let portal: ChildProcess | null = null;
let tmp: string;
let appUrl: string;
let emulatorUrl: string;
let stripe: Stripe;
let output = '';

beforeAll(async () => {
  buildIfNeeded();
  smtp = await startSmtpListener();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dunning-e2e-'));
  const [port, emulatorPort] = [await freePort(), await freePort()];
  appUrl = `http://localhost:${port}`;
  emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  portal = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
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
      APP_URL: appUrl,
      STRIPE_EMULATOR_PUBLIC_URL: `http://localhost:${emulatorPort}`,
      SESSION_SECRET: 'dunning-e2e-session-secret-0123456789abcdef',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Acme Cloud <billing@acme.test>',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  portal.stdout!.on('data', (d) => (output += d));
  portal.stderr!.on('data', (d) => (output += d));
  const started = Date.now();
  for (;;) {
    if (portal.exitCode !== null) throw new Error(`portal exited:\n${output}`);
    if (
      await fetch(`${appUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() - started > 90_000) throw new Error(`portal did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  stripe = new Stripe('sk_test_emulator_dunning', {
    host: '127.0.0.1',
    port: emulatorPort,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  });
  browser = await launch();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (portal && portal.exitCode === null) {
    portal.kill('SIGTERM');
    await new Promise((r) => portal!.once('exit', r));
  }
  fs.mkdirSync('tests/.artifacts', { recursive: true });
  fs.writeFileSync('tests/.artifacts/dunning-server.log', output);
  await smtp?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// Card declines are answered 402 by the (emulated) Stripe API: the browser logs those responses.
const DECLINE_NOISE = [/status of 402/];

function outbox(email: string, template?: string): { template: string; status: string; subject: string; message_id: string | null }[] {
  const db = new Database(path.join(tmp, 'app.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT template, status, subject, message_id FROM outbox WHERE to_email = ? ${template ? 'AND template = ?' : ''} ORDER BY id`,
      )
      .all(...(template ? [email, template] : [email])) as never;
  } finally {
    db.close();
  }
}
const delivered = (email: string, subject: RegExp) => smtp.received.filter((m) => m.to.includes(email) && subject.test(m.subject ?? ''));

async function advanceClock(days: number) {
  const res = await fetch(`${emulatorUrl}/_emulator/clock/advance`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ seconds: days * 86_400 }),
  });
  expect(res.status).toBe(200);
}

async function open(page: Page, pathname: string) {
  await page.goto(`${appUrl}${pathname}`);
  await hydrated(page);
}

/** Reloads `pathname` until `read` gives what we expect: webhooks reach the mirror in their own time. */
async function eventually(page: Page, pathname: string, read: () => Promise<unknown>, expected: unknown) {
  await expect
    .poll(
      async () => {
        await open(page, pathname);
        return read();
      },
      { timeout: 60_000, interval: 1_000 },
    )
    .toEqual(expected);
}

const cardFrame = (page: Page) => page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
async function fillCard(page: Page, number: string) {
  const f = cardFrame(page);
  await f.getByLabel('Card number').fill(number);
  await f.getByLabel('Expiration date').fill('12 / 34');
  await f.getByLabel('Security code').fill('123');
  await f.getByLabel('ZIP').fill('94103');
}
const badge = async (page: Page) => (await page.getByTestId('status-badge').first().textContent())?.trim();

/** Signs up and subscribes to Starter with 4242; then the card on the subscription becomes one declined when charged. */
async function subscribedWithFailingCard(page: Page) {
  const { email } = await signUp(page, appUrl);
  await open(page, '/billing');
  await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
  await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 45_000 });
  await fillCard(page, '4242424242424242');
  await page.getByRole('button', { name: 'Pay $12.00' }).click();
  await expect.poll(() => badge(page), { timeout: 30_000 }).toBe('Active');
  const [customer] = (await stripe.customers.list({ email, limit: 1 })).data;
  const [sub] = (await stripe.subscriptions.list({ customer: customer!.id })).data;
  const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer!.id });
  await stripe.subscriptions.update(sub!.id, { default_payment_method: failing.id });
  return { email, subscriptionId: sub!.id };
}

describe('dunning', () => {
  it('renewal fails → banner and one email → retry fails → fixed with a new card from the banner → Active', async () => {
    const { page, errors, context } = await newPage(browser, { allow: DECLINE_NOISE });
    const { email, subscriptionId } = await subscribedWithFailingCard(page);

    await advanceClock(32);
    // The banner shows with the past-due subscription; the amount once the failed invoice is mirrored too
    // (their webhooks come apart): wait for the amount, a state only the invoice's webhook produces.
    const bannerWithAmount = async () => {
      const shown = page.getByTestId('dunning-banner');
      return (await shown.count()) === 1 && /\$12\.00/.test((await shown.textContent()) ?? '');
    };
    await eventually(page, '/dashboard', bannerWithAmount, true);
    const banner = page.getByTestId('dunning-banner');
    expect(await banner.textContent()).toMatch(
      /Your payment of \$12\.00 failed on \d{1,2} [A-Z][a-z]{2}( \d{4})?: update your card\. \d days? of access left\./,
    );
    // On every page of the app, not only billing.
    await open(page, '/account');
    expect(await page.getByTestId('dunning-banner').count()).toBe(1);
    await screenshot(page, 'dunning-banner-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'dunning-banner-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    await expect.poll(() => delivered(email, /^Your payment of \$12\.00 failed/).length, { timeout: 30_000 }).toBe(1);
    const failedMail = delivered(email, /^Your payment of \$12\.00 failed/)[0]!;
    expect(failedMail.raw).toContain('Your card was declined.');
    expect(failedMail.raw).toMatch(/\/billing\/invoices\/in_/);

    // Stripe's retry 3 days later fails too (the attempt count says a retry ran): still past due, still one email.
    await advanceClock(3);
    await expect
      .poll(async () => (await stripe.invoices.list({ subscription: subscriptionId, status: 'open' })).data[0]?.attempt_count, {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(2);
    await eventually(page, '/billing', () => badge(page), 'Past due');

    // The fix, from the banner: the open invoice, paid with a new card in the page.
    await page.getByTestId('dunning-banner').getByRole('link', { name: 'Fix payment' }).click();
    await page.waitForURL(/\/billing\/invoices\/in_/);
    await hydrated(page);
    await submit(page, new URL(page.url()).pathname, () => page.getByRole('button', { name: 'Pay with a new card' }).click());
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 30_000 });
    await fillCard(page, '5555555555554444');
    await page.getByRole('button', { name: 'Pay $12.00' }).click();
    await page.getByText('Payment received. Thank you!').waitFor({ timeout: 30_000 });
    await eventually(page, '/billing', () => badge(page), 'Active');
    expect(await page.getByTestId('dunning-banner').count()).toBe(0);

    expect(outbox(email, 'payment-failed').map((r) => r.status)).toEqual(['sent']);
    expect(delivered(email, /^Your payment of \$12\.00 failed/)).toHaveLength(1);
    // The receipt of the late payment is sent as well.
    await expect.poll(() => delivered(email, /receipt for \$12\.00/).length, { timeout: 30_000 }).toBe(2);
    assertNoConsoleErrors(errors);
    await context.close();
  });

  it('nobody fixes it: the retries run out, the subscription is cancelled, access is gone, and the cancellation email arrives', async () => {
    const { page, errors, context } = await newPage(browser, { allow: DECLINE_NOISE });
    const { email } = await subscribedWithFailingCard(page);
    await advanceClock(32);
    await eventually(page, '/dashboard', () => page.getByTestId('dunning-banner').count(), 1);
    // Stripe's retries (3, 5 and 7 days after the first failure), then the configured end: cancel.
    await advanceClock(3);
    await advanceClock(2);
    await advanceClock(2);
    await eventually(page, '/billing', () => page.getByTestId('ended-notice').count(), 1);
    expect(await page.getByTestId('ended-notice').textContent()).toMatch(/because we could not collect payment.*choose a plan below/i);
    expect(await page.getByTestId('dunning-banner').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Subscribe to Starter' }).count()).toBe(1);
    await screenshot(page, 'dunning-ended-1280');
    await expect.poll(() => delivered(email, /subscription has ended/).length, { timeout: 30_000 }).toBe(1);
    expect(delivered(email, /subscription has ended/)[0]!.raw).toContain('could not collect your payment');
    expect(outbox(email, 'payment-failed')).toHaveLength(1);
    assertNoConsoleErrors(errors);
    await context.close();
  });
});

describe('pause', () => {
  it('pauses payments for 2 months, shows the resume date, and resumes', async () => {
    const { page, errors, context } = await newPage(browser);
    await signUp(page, appUrl);
    await open(page, '/billing');
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    await cardFrame(page).getByLabel('Card number').waitFor({ timeout: 45_000 });
    await fillCard(page, '4242424242424242');
    await page.getByRole('button', { name: 'Pay $12.00' }).click();
    await expect.poll(() => badge(page), { timeout: 30_000 }).toBe('Active');
    await open(page, '/billing');

    await page.getByLabel('Pause for').selectOption('2');
    await submit(page, '/billing', () => page.getByRole('button', { name: 'Pause payments' }).click());
    await page.getByText(/Payments are paused until \d{1,2} \w+ \d{4}\. Nothing will be charged until then\./).waitFor();
    await expect.poll(() => badge(page), { timeout: 15_000 }).toBe('Paused');
    expect(await page.getByTestId('status-detail').textContent()).toMatch(/Payments are paused until \d{1,2} [A-Z][a-z]{2}/);
    await screenshot(page, 'pause-1280');

    await submit(page, '/billing', () => page.getByRole('button', { name: 'Resume subscription' }).click());
    await page.getByText('Your subscription is running again.').waitFor();
    await expect.poll(() => badge(page), { timeout: 15_000 }).toBe('Active');
    assertNoConsoleErrors(errors);
    await context.close();
  });
});
