/** Event fixtures (tests/fixtures/stripe-events/<type>.json) and signing, for webhook tests. */
import fs from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';

const signer = new Stripe('sk_test_signer_only', { telemetry: false });

export function loadEvent(type: string): Record<string, unknown> & { id: string; type: string; data: { object: Record<string, unknown> } } {
  return JSON.parse(fs.readFileSync(path.resolve('tests/fixtures/stripe-events', `${type}.json`), 'utf8'));
}

/** A `Stripe-Signature` header made by the official SDK (not by the code under test). */
export function signatureFor(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

export function webhookRequest(payload: string, headers: Record<string, string>, url = 'http://localhost:3999/webhooks/stripe'): Request {
  return new Request(url, { method: 'POST', body: payload, headers: { 'Content-Type': 'application/json', ...headers } });
}
