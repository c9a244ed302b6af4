import type { ActionFunctionArgs } from '@remix-run/node';
import { readWebBody, receiveStripeWebhook, type IntakeResponse } from '~/webhooks/inbox.server';

/**
 * `POST /webhooks/stripe` (docs/architecture.md). Verify, store, answer 200 in milliseconds; the worker does
 * the rest. The server's fast path (serverHooks.fastRoutes) calls the same `receiveStripeWebhook`
 * without building a web Request (docs/decisions/010-webhook-intake.md).
 */
function toResponse(result: IntakeResponse): Response {
  return new Response(result.body, {
    status: result.status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...result.headers },
  });
}

function declaredLength(request: Request): number | null {
  const value = request.headers.get('content-length');
  return value && /^\d+$/.test(value) ? Number(value) : null;
}

export async function action({ request }: ActionFunctionArgs) {
  return toResponse(
    await receiveStripeWebhook({
      method: request.method,
      contentLength: declaredLength(request),
      signature: request.headers.get('stripe-signature'),
      readBody: (limit) => readWebBody(request.body, limit),
    }),
  );
}

export async function loader() {
  return toResponse({ status: 405, body: JSON.stringify({ error: 'use POST' }), headers: { Allow: 'POST' } });
}
