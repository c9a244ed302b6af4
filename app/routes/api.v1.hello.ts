import type { LoaderFunctionArgs } from '@remix-run/node';
import { authenticateApiKey } from '~/auth/api-keys.server';
import { entitlementOf } from '~/billing/entitlements.server';
import { explainNoAccess, hasFeature } from '~/billing/entitlements';
import { clock } from '~/lib/clock.server';
import { answerCounted } from '~/usage/api-calls.server';

/**
 * The small demo API whose calls the portal meters. Access follows the key owner's subscription;
 * every 2xx answer is one row in the usage ledger (app/usage/api-calls.server.ts).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const auth = authenticateApiKey(request.headers.get('authorization'));
  if (!auth) {
    return Response.json(
      {
        error: {
          type: 'authentication_error',
          message: 'Send a valid API key as "Authorization: Bearer <key>". Create one on the API keys page.',
        },
      },
      { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
    );
  }
  const entitlement = entitlementOf(auth.user.id);
  if (!hasFeature(entitlement, 'api')) {
    return Response.json(
      { error: { type: 'payment_required', code: entitlement.reason, message: explainNoAccess(entitlement) } },
      { status: 402 },
    );
  }
  // Counted only now that the answer is a 2xx, and answered only once the count is durable.
  return answerCounted(
    request,
    auth,
    Response.json({
      message: `Hello, ${auth.user.name}!`,
      plan: entitlement.plan,
      access: entitlement.access,
      time: clock.now().toISOString(),
    }),
  );
}

export async function action() {
  return Response.json(
    { error: { type: 'invalid_request_error', message: 'Use GET for /api/v1/hello.' } },
    { status: 405, headers: { Allow: 'GET' } },
  );
}
