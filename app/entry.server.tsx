import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { AppLoadContext, EntryContext } from '@remix-run/node';
import { createReadableStreamFromReadable } from '@remix-run/node';
import { RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { NonceContext } from '~/lib/nonce';
import { contentSecurityPolicy, permissionsPolicy } from '~/lib/csp.server';

export { serverHooks } from '~/server-hooks.server';

const ABORT_DELAY = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // scripts/server.ts makes a fresh nonce per response; direct callers (tests) get one here.
  const nonce = loadContext?.cspNonce ?? crypto.randomBytes(16).toString('base64');
  const callback = isbot(request.headers.get('user-agent') ?? '') ? 'onAllReady' : 'onShellReady';
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    // Cleared once everything is rendered: a finished page keeps no timer (and no render state) alive
    // for ABORT_DELAY, and is never aborted afterwards.
    const timer = setTimeout(() => abort(), ABORT_DELAY);
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        onAllReady() {
          clearTimeout(timer);
          if (callback === 'onAllReady') ready();
        },
        onShellReady() {
          if (callback === 'onShellReady') ready();
        },
        onShellError(error: unknown) {
          clearTimeout(timer);
          reject(error);
        },
        nonce,
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) console.error(error);
        },
      },
    );
    function ready() {
      shellRendered = true;
      const body = new PassThrough();
      responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
      responseHeaders.set('X-Content-Type-Options', 'nosniff');
      responseHeaders.set('Referrer-Policy', 'strict-origin-when-cross-origin');
      responseHeaders.set('X-Frame-Options', 'DENY');
      responseHeaders.set('Content-Security-Policy', contentSecurityPolicy(nonce));
      responseHeaders.set('Permissions-Policy', permissionsPolicy());
      responseHeaders.set('Cross-Origin-Opener-Policy', 'same-origin');
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    }
  });
}

export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return;
  console.error(error instanceof Error ? error.stack : error);
}
