import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeDb, db } from '~/db/client.server';
import { checkOrigin, csrfRejection } from '~/auth/csrf.server';
import { ensureCatalog, formatSetupTable } from '~/billing/catalog.server';
import { readNodeBody, receiveStripeWebhook } from '~/webhooks/inbox.server';
import { webhookWorker } from '~/webhooks/worker.server';
import { cancelAbandonedIncomplete } from '~/billing/subscriptions.server';
import { followClock } from '~/lib/clock-follow.server';
import { createUser, getUserByEmail } from '~/auth/users.server';
import { usageLedger } from '~/usage/ledger.server';
import { usageReporter } from '~/usage/reporter.server';
import { mailSender } from '~/mail/sender.server';
import { env } from '~/lib/env.server';
import { markReady, resetReadiness } from '~/lib/readiness.server';

declare module '@remix-run/node' {
  /** What scripts/server.ts hands every loader and action (and entry.server). */
  interface AppLoadContext {
    /** A fresh nonce per response for the Content-Security-Policy (entry.server.tsx, root.tsx). */
    cspNonce?: string;
    /** The client's address: the socket's, or X-Forwarded-For's under TRUST_PROXY (rate limits). */
    clientAddress?: string;
  }
}

let stopFollowing: (() => void) | null = null;

const SWEEP_EVERY_MS = 60 * 60 * 1000;
let sweepTimer: NodeJS.Timeout | null = null;

/** Hourly: subscriptions left incomplete for a day are cancelled (docs/billing.md). */
async function sweepAbandoned() {
  try {
    const n = await cancelAbandonedIncomplete();
    if (n > 0) console.log(`Cancelled ${n} abandoned incomplete subscription(s).`);
  } catch (error) {
    console.warn(`abandoned-subscription sweep failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export type FastRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * `POST /webhooks/stripe` straight from node:http: the same `receiveStripeWebhook` as the Remix
 * resource route (app/routes/webhooks.stripe.ts), minus the web Request/Response round trip, which
 * costs about half of the intake throughput (docs/decisions/010-webhook-intake.md).
 */
const stripeWebhookFast: FastRoute = async (req, res) => {
  const declared = req.headers['content-length'];
  const signature = req.headers['stripe-signature'];
  const result = await receiveStripeWebhook({
    method: req.method ?? 'GET',
    contentLength: declared && /^\d+$/.test(declared) ? Number(declared) : null,
    signature: typeof signature === 'string' ? signature : null,
    readBody: (limit) => readNodeBody(req, limit),
  });
  res.writeHead(result.status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    ...(result.status === 413 ? { Connection: 'close' } : {}),
    ...result.headers,
  });
  res.end(result.body);
};

/**
 * What the server entry (scripts/server.ts) reaches through the built app's entry module, so that the
 * server, the webhook worker and the routes share one set of module instances (one DB handle, one
 * clock).
 */
export const serverHooks = {
  /** Open and migrate the database; start the webhook worker, the usage reporter and the mail sender (all resume what a crash left). */
  async start() {
    resetReadiness();
    db();
    webhookWorker().start();
    usageReporter().start();
    mailSender().start();
    if (process.env.CLOCK_SOURCE_URL) stopFollowing = followClock(process.env.CLOCK_SOURCE_URL);
    sweepTimer = setInterval(() => void sweepAbandoned(), SWEEP_EVERY_MS);
    sweepTimer.unref();
  },
  /** Finish the webhook batch in hand, then close the database. */
  async stop() {
    stopFollowing?.();
    if (sweepTimer) clearInterval(sweepTimer);
    sweepTimer = null;
    await webhookWorker().stop();
    usageLedger().flush();
    await usageReporter().stop();
    await mailSender().stop();
    closeDb();
  },
  /** `npm run stripe:setup` inside the running app (npm start): returns the table of what it did. */
  async stripeSetup(): Promise<string> {
    return formatSetupTable(await ensureCatalog());
  },
  /** Emulator mode: a demo login, created once (docs/architecture.md). Never called with real keys. */
  async ensureDemoAccount(): Promise<{ email: string; password: string; created: boolean }> {
    const email = 'demo@example.com';
    const password = 'demo-password';
    if (getUserByEmail(email)) return { email, password, created: false };
    await createUser({ email, name: 'Demo Customer', password });
    return { email, password, created: true };
  },
  /** `/healthz` says `starting` until this (npm start calls it once the Stripe catalogue is in place). */
  markReady,
  /** Headers for every response, whatever answers it (scripts/server.ts). */
  securityHeaders(): Record<string, string> {
    const headers: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };
    if (env().APP_URL.startsWith('https://')) headers['Strict-Transport-Security'] = 'max-age=31536000';
    return headers;
  },
  /** How many reverse proxies' X-Forwarded-* headers to believe (TRUST_PROXY; 0 = none). */
  trustProxyHops(): number {
    return env().trustProxyHops;
  },
  /** Runs before Remix for every request; a Response short-circuits. */
  guard(request: Request): Response | null {
    const verdict = checkOrigin(request);
    return verdict.ok ? null : csrfRejection(verdict.reason);
  },
  /** Exact paths the server hands to node-level handlers before static files and Remix. */
  fastRoutes: { '/webhooks/stripe': stripeWebhookFast } as Record<string, FastRoute>,
};

export type ServerHooks = typeof serverHooks;
