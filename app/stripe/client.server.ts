import Stripe from 'stripe';
import { env } from '~/lib/env.server';

/**
 * The single `new Stripe(...)` of the app (docs/architecture.md: one client factory, pinned version, overridable
 * API base). Real Stripe or the emulator is configuration only: `STRIPE_API_BASE` decides host, port
 * and protocol; nothing else in the app knows which one it talks to.
 */
const STRIPE_API_VERSION = Stripe.API_VERSION;

export interface StripeClientOptions {
  secretKey: string;
  /** e.g. `http://127.0.0.1:12111`; unset = api.stripe.com. */
  apiBase?: string;
  maxNetworkRetries?: number;
  timeoutMs?: number;
  /** The transport (default: the SDK's node client); the bulk scripts pass a paced one (scripts/lib/pacer.ts). */
  httpClient?: NonNullable<ConstructorParameters<typeof Stripe>[1]>['httpClient'];
}

export function createStripeClient(opts: StripeClientOptions): Stripe {
  const base = opts.apiBase ? new URL(opts.apiBase) : null;
  const protocol = base ? (base.protocol.replace(':', '') as 'http' | 'https') : undefined;
  return new Stripe(opts.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    // Retries reuse the idempotency key, so a retried POST never applies twice.
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    timeout: opts.timeoutMs ?? 20_000,
    telemetry: false,
    appInfo: { name: 'acme-billing-portal', version: '0.1.0' },
    ...(opts.httpClient ? { httpClient: opts.httpClient } : {}),
    ...(base
      ? {
          host: base.hostname,
          port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
          protocol,
        }
      : {}),
  });
}

let current: Stripe | null = null;

/** The process's Stripe client, built from the environment on first use. */
export function stripe(): Stripe {
  if (current) return current;
  const config = env();
  if (!config.STRIPE_SECRET_KEY) {
    throw new Error('STRIPE_SECRET_KEY is not set (npm start sets it to the emulator when there are no keys)');
  }
  current = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  return current;
}

/** Tests (and scripts) point the app at another Stripe (an emulator on a random port). */
export function setStripeClient(next: Stripe | null) {
  current = next;
}
