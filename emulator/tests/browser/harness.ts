/**
 * Browser test harness: an in-process emulator, a merchant test page (bundled with esbuild) served
 * from a separate node:http server (another origin, so CORS is exercised), Chromium, and a
 * Stripe SDK client pointed at the emulator.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Frame, FrameLocator, Page } from 'playwright-core';
import Stripe from 'stripe';
import { EMULATOR_PUBLISHABLE_KEY, EMULATOR_SECRET_KEY, startEmulator, type EmulatorInternals } from '../../src/index';
import { launch } from '../../../tests/e2e/browser';

const here = dirname(fileURLToPath(import.meta.url));

export interface Harness {
  emu: EmulatorInternals;
  stripe: Stripe;
  browser: Browser;
  /** Origin of the merchant test page (localhost, while the emulator is on 127.0.0.1). */
  merchantUrl: string;
  pk: string;
  close(): Promise<void>;
}

async function bundle(): Promise<string> {
  const r = await build({
    entryPoints: [join(here, 'fixtures', 'test-page.tsx')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    minify: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return r.outputFiles[0]!.text;
}

export async function startHarness(): Promise<Harness> {
  const emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true });
  const js = await bundle();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/app.js') {
      res.writeHead(200, { 'Content-Type': 'application/javascript' });
      res.end(js);
      return;
    }
    if (url.pathname === '/' || url.pathname === '/return') {
      const isReturn = url.pathname === '/return';
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${isReturn ? 'Returned' : 'Merchant test page'}</title>
<link rel="icon" href="data:,">
<script src="${emu.url}/js/stripe.js"></script>
</head><body>${isReturn ? '<h1 id="returned">Returned</h1>' : '<div id="root"></div><script src="/app.js"></script>'}</body></html>`);
      return;
    }
    if (url.pathname === '/success' || url.pathname === '/cancel' || url.pathname === '/account') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${url.pathname.slice(1)}</title></head><body><h1 id="landed">${url.pathname.slice(1)}</h1></body></html>`,
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const browser = await launch();
  const stripe = new Stripe(EMULATOR_SECRET_KEY, {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  });
  return {
    emu,
    stripe,
    browser,
    merchantUrl: `http://localhost:${port}`,
    pk: EMULATOR_PUBLISHABLE_KEY,
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      await emu.close();
    },
  };
}

/** The card form iframe of the Payment Element on a page (Stripe-style `__privateStripeFrame…` name). */
export function cardFrame(page: Page | Frame): FrameLocator {
  return page.frameLocator('iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]');
}

export async function fillCard(page: Page, card: { number: string; exp?: string; cvc?: string; zip?: string }): Promise<void> {
  const f = cardFrame(page);
  await f.getByLabel('Card number').fill(card.number);
  await f.getByLabel('Expiration date').fill(card.exp ?? '12 / 34');
  await f.getByLabel('Security code').fill(card.cvc ?? '123');
  if (card.zip !== undefined) await f.getByLabel('ZIP').fill(card.zip);
}

export async function resultOf(page: Page): Promise<string> {
  const out = page.locator('#result');
  await out.filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
  return (await out.textContent()) ?? '';
}
