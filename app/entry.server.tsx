import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { AppLoadContext, EntryContext } from '@remix-run/node';
import { RemixServer } from '@remix-run/react';
import { renderToPipeableStream } from 'react-dom/server';
import { NonceContext } from '~/lib/nonce';
import { contentSecurityPolicy, permissionsPolicy } from '~/lib/csp.server';

export { serverHooks } from '~/server-hooks.server';

const ABORT_DELAY = 5_000;

/**
 * Every document is rendered whole, then sent as one buffer with its length: the loaders read the local
 * mirror (no `defer`, nothing slow to stream past), so streaming would only add a web stream and a
 * write per React chunk to every page (docs/decisions/035-whole-documents.md).
 */
export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // scripts/server.ts makes a fresh nonce per response; direct callers (tests) get one here.
  const nonce = loadContext?.cspNonce ?? crypto.randomBytes(16).toString('base64');
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const chunks: Buffer[] = [];
    const body = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    // Cleared once everything is rendered: a finished page keeps no timer (and no render state) alive
    // for ABORT_DELAY, and is never aborted afterwards.
    const timer = setTimeout(() => abort(), ABORT_DELAY);
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        onShellReady() {
          shellRendered = true;
        },
        onAllReady() {
          clearTimeout(timer);
          body.on('finish', () => {
            const html = Buffer.concat(chunks);
            responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
            responseHeaders.set('Content-Length', String(html.byteLength));
            responseHeaders.set('X-Content-Type-Options', 'nosniff');
            responseHeaders.set('Referrer-Policy', 'strict-origin-when-cross-origin');
            responseHeaders.set('X-Frame-Options', 'DENY');
            responseHeaders.set('Content-Security-Policy', contentSecurityPolicy(nonce));
            responseHeaders.set('Permissions-Policy', permissionsPolicy());
            responseHeaders.set('Cross-Origin-Opener-Policy', 'same-origin');
            resolve(new Response(html, { headers: responseHeaders, status: responseStatusCode }));
          });
          pipe(body);
        },
        onShellError(error: unknown) {
          clearTimeout(timer);
          reject(error);
        },
        nonce,
        onError(error: unknown) {
          responseStatusCode = 500;
          // An error in the shell reaches Remix through onShellError (it renders the error boundary and logs).
          if (shellRendered) console.error(error);
        },
      },
    );
  });
}

export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return;
  console.error(error instanceof Error ? error.stack : error);
}
