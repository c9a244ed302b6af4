/**
 * In-process calls to the emulator's own routes (`/v1/*`, `/_emulator/*`), so hosted pages act with
 * exactly the API's semantics (validation, events, errors) without an HTTP round trip.
 * Params are given as plain JS values and go through the same wire encoding + schema as a request.
 */
import { EmulatorApp, RawResponse, StripeError, errors, type KeyKind } from '../core';
import { parseForm } from '../core/wire';

export type ApiResult<T = any> = { ok: true; body: T } | { ok: false; error: StripeError };

/** Stripe's form encoding of a nested params object (null → '' = unset). */
function encodeParams(params: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (prefix: string, v: unknown): void => {
    if (v === undefined) return;
    if (v === null) parts.push(`${encodeURIComponent(prefix)}=`);
    else if (Array.isArray(v)) v.forEach((x, i) => add(`${prefix}[${i}]`, x));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) add(`${prefix}[${k}]`, x);
    else parts.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(v))}`);
  };
  for (const [k, v] of Object.entries(params)) add(k, v);
  return parts.join('&');
}

export async function callApi<T = any>(
  app: EmulatorApp,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  params: Record<string, unknown> = {},
  opts: { auth?: KeyKind } = {},
): Promise<ApiResult<T>> {
  const auth = opts.auth ?? 'secret';
  const matched = app.match(method, path);
  if (!matched) return { ok: false, error: errors.unrecognizedUrl(method, path) };
  const { route, pathParams } = matched;
  const encoded = encodeParams(params);
  const raw = parseForm(encoded);
  const ctx = app.makeCtx({ requestId: null, idempotencyKey: null, auth: route.auth === 'none' ? null : auth });
  try {
    const schema = app.paramSchema(route);
    const parsed = schema ? schema.parse(raw, '') : raw;
    const req = {
      method,
      path,
      pathParams,
      query: new URLSearchParams(method === 'POST' ? '' : encoded),
      headers: {},
      rawBody: method === 'POST' ? encoded : '',
    };
    let result: unknown;
    if (route.transaction === false) result = route.handler(ctx, parsed as never, req);
    else result = app.runInTransaction(ctx, () => route.handler(ctx, parsed as never, req));
    if (result instanceof Promise) result = await result;
    if (result instanceof RawResponse) return { ok: true, body: result as T };
    const expand = (parsed as { expand?: string[] }).expand;
    if (expand?.length) result = app.expandObject(ctx, result, expand);
    return { ok: true, body: result as T };
  } catch (e) {
    if (e instanceof StripeError) return { ok: false, error: e };
    throw e;
  }
}
