/**
 * Domain errors with a code; routes map them to a status and show the message as is, so every
 * message is written for the person who sees it.
 */
export type BillingErrorCode =
  | 'already_subscribed'
  | 'no_subscription'
  | 'not_allowed_in_state'
  | 'card_error'
  | 'stripe_unavailable'
  | 'conflict'
  | 'invalid_plan'
  | 'invalid_review'
  | 'invalid_details'
  | 'invalid_code';

const STATUS: Record<BillingErrorCode, number> = {
  already_subscribed: 409,
  no_subscription: 404,
  not_allowed_in_state: 409,
  card_error: 402,
  stripe_unavailable: 503,
  conflict: 409,
  invalid_plan: 400,
  invalid_review: 400,
  invalid_details: 400,
  invalid_code: 400,
};

export class BillingError extends Error {
  constructor(
    readonly code: BillingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BillingError';
  }
  get status(): number {
    return STATUS[this.code];
  }
}

/** Turns a Stripe SDK error into a BillingError a person can act on (never a stack trace). */
export function fromStripeError(error: unknown): BillingError {
  if (error instanceof BillingError) return error;
  const e = error as { type?: string; message?: string; code?: string; statusCode?: number };
  const cause = { cause: error };
  switch (e?.type) {
    case 'StripeCardError':
      return new BillingError('card_error', e.message ?? 'Your card was declined.', cause);
    case 'StripeIdempotencyError':
      return new BillingError('conflict', 'This request was already sent with different details. Reload the page and try again.', cause);
    case 'StripeRateLimitError':
    case 'StripeConnectionError':
    case 'StripeAPIError':
      return new BillingError(
        'stripe_unavailable',
        'Our payment provider is not answering right now. Please try again in a minute; reload the page first to see whether the change went through.',
        cause,
      );
    case 'StripeInvalidRequestError':
      return new BillingError(
        'not_allowed_in_state',
        'Stripe refused this change. Reload the page to see the current state of your subscription.',
        cause,
      );
    default:
      return new BillingError(
        'stripe_unavailable',
        'Something went wrong on our side. Reload the page to see whether the change went through, then try again.',
        cause,
      );
  }
}

/**
 * What a route's catch sees: a BillingError as it is, a Stripe SDK error from any call on the action's
 * path mapped by `fromStripeError` (so no Stripe failure reaches the error page as a 500), anything
 * else unchanged.
 */
export function asBillingError(error: unknown): unknown {
  if (error instanceof BillingError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('Stripe') ? fromStripeError(error) : error;
}
