/**
 * Stripe-shaped errors. Throw a StripeError anywhere inside a handler; the server turns it into
 * Stripe's JSON error body and HTTP status.
 * Body: { error: { type, code?, decline_code?, message, param?, doc_url?, ...extra } }
 */
export type StripeErrorType = 'invalid_request_error' | 'api_error' | 'card_error' | 'idempotency_error' | 'authentication_error'; // never sent as a body type by Stripe for 401, kept for completeness

export interface StripeErrorInit {
  status: number;
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  /** extra fields merged into the error body (e.g. payment_intent, setup_intent, payment_method, charge) */
  extra?: Record<string, unknown>;
  /**
   * Keep the writes made before the throw (default false: the request's transaction is rolled back).
   * Card errors set it: a declined confirm still records the failed charge and intent status.
   */
  commit?: boolean;
  /** Whether an idempotent replay of this result is stored (default true except for validation errors and 5xx/429). */
  idempotent?: boolean;
  headers?: Record<string, string>;
}

export class StripeError extends Error {
  status: number;
  type: StripeErrorType;
  code?: string;
  param?: string;
  decline_code?: string;
  extra?: Record<string, unknown>;
  commit: boolean;
  idempotent: boolean;
  headers?: Record<string, string>;

  constructor(init: StripeErrorInit) {
    super(init.message);
    this.name = 'StripeError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param;
    this.decline_code = init.decline_code;
    this.extra = init.extra;
    this.commit = init.commit ?? false;
    this.idempotent = init.idempotent ?? !(init.status >= 500 || init.status === 429 || init.status === 401);
    this.headers = init.headers;
  }

  /** The body; with the request's id, `request_log_url` names its (test mode) log, as on Stripe. */
  toJSON(request?: { id: string; at: number }): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = {};
    if (this.code !== undefined) error.code = this.code;
    if (this.decline_code !== undefined) error.decline_code = this.decline_code;
    if (this.code) error.doc_url = `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}`;
    error.message = this.message;
    if (this.param !== undefined) error.param = this.param;
    if (request) error.request_log_url = `https://dashboard.stripe.com/test/logs/${request.id}?t=${request.at}`;
    if (this.extra) Object.assign(error, this.extra);
    error.type = this.type;
    return { error };
  }
}

const inv = (message: string, param?: string, code?: string, status = 400) =>
  new StripeError({ status, type: 'invalid_request_error', message, param, code });

/** Helpers for the common errors, messages as Stripe words them. */
export const errors = {
  invalid: (message: string, param?: string, code?: string) => inv(message, param, code),
  /** 400 parameter_unknown (validation errors are never stored for idempotent replay, as on Stripe). */
  unknownParam: (param: string) =>
    Object.assign(inv(`Received unknown parameter: ${param}`, param, 'parameter_unknown'), { idempotent: false }),
  missingParam: (param: string) =>
    Object.assign(inv(`Missing required param: ${param}.`, param, 'parameter_missing'), { idempotent: false }),
  invalidInteger: (param: string, value: unknown) =>
    Object.assign(inv(`Invalid integer: ${String(value)}`, param, 'parameter_invalid_integer'), { idempotent: false }),
  invalidParam: (param: string, message: string, code?: string) => Object.assign(inv(message, param, code), { idempotent: false }),
  /** 404 resource_missing: "No such customer: 'cus_x'" */
  noSuch: (what: string, id: string, param?: string) => inv(`No such ${what}: '${id}'`, param, 'resource_missing', 404),
  unrecognizedUrl: (method: string, path: string) =>
    inv(
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      undefined,
      undefined,
      404,
    ),
  unexpectedState: (message: string, extra?: Record<string, unknown>) =>
    new StripeError({
      status: 400,
      type: 'invalid_request_error',
      code: extra?.setup_intent ? 'setup_intent_unexpected_state' : 'payment_intent_unexpected_state',
      message,
      extra,
    }),
  card: (opts: { code: string; decline_code?: string; message: string; param?: string; extra?: Record<string, unknown> }) =>
    new StripeError({ status: 402, type: 'card_error', commit: true, ...opts }),
  api: (message = 'An unknown error occurred') => new StripeError({ status: 500, type: 'api_error', message }),
  rateLimit: () =>
    new StripeError({
      status: 429,
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    }),
  idempotency: (key: string) =>
    new StripeError({
      status: 400,
      type: 'idempotency_error',
      idempotent: false,
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    }),
  auth: (message: string) => new StripeError({ status: 401, type: 'invalid_request_error', message }),
};
