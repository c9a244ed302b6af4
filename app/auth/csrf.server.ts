import { env } from '~/lib/env.server';

/**
 * CSRF protection is a strict Origin check (docs/decisions/002-csrf-origin-check.md): every
 * state-changing request must carry an `Origin` (or, failing that, a `Referer`) of this app. Browsers
 * send `Origin` on every cross-site and same-site POST, and the session cookie is SameSite=Lax, so a
 * form on another site can neither send the cookie nor pass this check. Webhooks (signed) and the
 * API (bearer keys, no cookies) are exempt.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const EXEMPT_PREFIXES = ['/webhooks/', '/api/'];

/**
 * APP_URL's origin, and the origin this request was addressed to: the URL scripts/server.ts built (from
 * X-Forwarded-Host/-Proto only under TRUST_PROXY) and its Host header. Behind a proxy that rewrites
 * Host, APP_URL is the one that matches (docs/deploy.md).
 */
function allowedOrigins(request: Request): Set<string> {
  const url = new URL(request.url);
  const origins = new Set<string>([new URL(env().APP_URL).origin, url.origin]);
  const host = request.headers.get('host');
  if (host) origins.add(`${url.protocol}//${host}`);
  return origins;
}

export type CsrfVerdict = { ok: true } | { ok: false; reason: string };

export function checkOrigin(request: Request): CsrfVerdict {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return { ok: true };
  const { pathname } = new URL(request.url);
  if (EXEMPT_PREFIXES.some((p) => pathname.startsWith(p))) return { ok: true };
  const origin = request.headers.get('origin');
  let claimed: string | null = origin && origin !== 'null' ? origin : null;
  if (!claimed) {
    const referer = request.headers.get('referer');
    if (referer) {
      try {
        claimed = new URL(referer).origin;
      } catch {
        claimed = null;
      }
    }
  }
  if (!claimed) return { ok: false, reason: 'This form was sent without an Origin header. Reload the page and try again.' };
  if (!allowedOrigins(request).has(claimed)) {
    return { ok: false, reason: `Requests from ${claimed} are not allowed. Reload this site and try again.` };
  }
  return { ok: true };
}

export function csrfRejection(reason: string): Response {
  return new Response(`Forbidden: ${reason}\n`, { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
