/**
 * Counting `/api/v1/*`: a call is counted when, and only when, it is answered 2xx. The route builds
 * its answer first; `answerCounted` then waits for the ledger row to be durable and returns the
 * answer. If the ledger cannot write, the caller gets a 503 instead, so an uncounted call is never
 * answered 2xx. 4xx/5xx answers never reach the ledger.
 */
import type { ApiKey, User } from '~/db/schema';
import { METERED } from '~/billing/plans';
import { recordUsage } from './ledger.server';

const API_CALL_METER = METERED.meter.eventName;

export async function answerCounted(request: Request, auth: { user: User; apiKey: ApiKey }, response: Response): Promise<Response> {
  if (response.status < 200 || response.status >= 300) return response;
  const idempotencyKey = request.headers.get('idempotency-key')?.trim().slice(0, 255) || null;
  try {
    await recordUsage({ userId: auth.user.id, apiKeyId: auth.apiKey.id, meter: API_CALL_METER, idempotencyKey });
  } catch (error) {
    console.error(`usage ledger write failed: ${error instanceof Error ? error.message : String(error)}`);
    return Response.json(
      { error: { type: 'api_error', message: 'The call could not be recorded, so it was not carried out. Retry in a moment.' } },
      { status: 503, headers: { 'Retry-After': '1' } },
    );
  }
  return response;
}
