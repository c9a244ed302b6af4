/**
 * Browser side of the emulator: Stripe.js stand-in, the element iframe, the 3DS test page and the
 * pages Stripe hosts (Checkout, billing portal, invoice). Registered by emulator/src/index.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompleteCheckoutSession } from '../billing';
import { RawResponse, type EmulatorApp } from '../core';
import { registerThreeDs } from './three-ds';
import { registerCheckoutPages } from './checkout';
import { registerPortalPages } from './portal';
import { registerInvoicePages } from './invoice';

const here = dirname(fileURLToPath(import.meta.url));
const asset = (name: string) => readFileSync(join(here, 'assets', name), 'utf8');

/** What the pages need from billing. */
export interface BrowserDeps {
  completeCheckoutSession: CompleteCheckoutSession;
}

export function register(app: EmulatorApp, deps: BrowserDeps): void {
  const stripeJs = asset('stripe.js');
  const frameHtml = asset('elements-frame.html');
  const frameJs = asset('elements-frame.js');
  const js = { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-cache' };

  // also at the paths Stripe.js is loaded from (`/v3/`, `/<release>/stripe.js`), for a host mapped to the emulator
  for (const path of ['/js/stripe.js', '/v3', '/:release/stripe.js'])
    app.route({
      method: 'GET',
      path,
      auth: 'none',
      transaction: false,
      handler: (ctx) => new RawResponse(200, stripeJs.replace('__EMULATOR_PUBLIC_URL__', ctx.publicUrl || app.publicUrl), js),
    });
  app.route({
    method: 'GET',
    path: '/js/elements-frame',
    auth: 'none',
    transaction: false,
    handler: () => new RawResponse(200, frameHtml, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }),
  });
  app.route({
    method: 'GET',
    path: '/js/elements-frame.js',
    auth: 'none',
    transaction: false,
    handler: () => new RawResponse(200, frameJs, js),
  });

  registerThreeDs(app);
  registerCheckoutPages(app, deps.completeCheckoutSession);
  registerPortalPages(app);
  registerInvoicePages(app);
}
