import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createRequestHandler, type ServerBuild } from '@remix-run/node';
import type { ServerHooks } from '../app/server-hooks.server';
import {
  addVary,
  compressor,
  isCompressible,
  lookahead,
  MIN_COMPRESS_BYTES,
  negotiateEncoding,
  notModified,
  precompressed,
  staticEtag,
  type Encoding,
} from './compression';

/**
 * The one server entry: plain `node:http` in front of the Remix handler (no Express: it costs about
 * half of the webhook intake throughput, see docs/decisions/003-server-entry.md), static files from
 * `public/`, and the app's own hooks (origin guard, background worker) taken from the built entry
 * module so they share module instances with the routes.
 */
export interface AppServer {
  server: http.Server;
  url: string;
  port: number;
  hooks: ServerHooks;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

function serveStatic(publicDir: string, req: http.IncomingMessage, res: http.ServerResponse, pathname: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (pathname === '/' || pathname.includes('\0')) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  const file = path.join(publicDir, path.normalize(decoded));
  if (!file.startsWith(publicDir + path.sep)) return false;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (!stat.isFile()) return false;
  // Files under /build/ carry a content hash in their names: cache them for good.
  const immutable = pathname.startsWith('/build/');
  const contentType = MIME[path.extname(file)] ?? 'application/octet-stream';
  const compressible = isCompressible(contentType);
  const encoding = compressible && stat.size >= MIN_COMPRESS_BYTES ? negotiateEncoding(req.headers['accept-encoding']) : null;
  const variant = encoding ? precompressed(file, stat, encoding) : null;
  // Without a precompressed file, compress on the fly (files outside /build/, or a build not yet precompressed).
  const onTheFly = encoding && !variant ? encoding : null;
  const etag = variant ? staticEtag(variant.stat, `-${encoding}`) : staticEtag(stat, onTheFly ? `-${onTheFly}` : '');
  const headers: Record<string, string | number> = {
    'Content-Type': contentType,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
    ETag: etag,
  };
  if (compressible) headers.Vary = 'Accept-Encoding';
  if (notModified(req, etag)) {
    res.writeHead(304, headers).end();
    return true;
  }
  if (variant) Object.assign(headers, { 'Content-Encoding': encoding, 'Content-Length': variant.stat.size });
  else if (onTheFly) headers['Content-Encoding'] = onTheFly;
  else headers['Content-Length'] = stat.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  const source = fs.createReadStream(variant?.file ?? file);
  const fail = () => res.destroy();
  source.on('error', fail);
  if (onTheFly) source.pipe(compressor(onTheFly).on('error', fail)).pipe(res);
  else source.pipe(res);
  return true;
}

/** Forms and actions never need more; the webhook route has its own 1 MiB cap (fast route). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Methods handed to Remix; OPTIONS is answered here, anything else (TRACE, CONNECT, …) is a 405. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ALLOW = 'GET, HEAD, POST';
/** Paths whose bodies are not HTML forms: signed webhooks, the bearer-key API (they answer for themselves). */
const NON_FORM_PREFIXES = ['/webhooks/', '/api/'];
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
/** A DNS name or IPv4 (labels), or a bracketed IPv6 literal, with an optional port. */
const HOST_RE = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*\\.?|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$`);

export function validHost(host: string | undefined): host is string {
  if (!host || host.length > 255 || !HOST_RE.test(host)) return false;
  try {
    new URL(`http://${host}/`);
    return true;
  } catch {
    return false;
  }
}

function plain(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  if (res.headersSent) return void res.end();
  if (status === 204) return void res.writeHead(204, headers).end();
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(message.endsWith('\n') ? message : `${message}\n`);
}

/** The last value of a comma-separated header (the one the nearest proxy wrote). */
function lastValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  return joined
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .at(-1);
}

/**
 * Who is asking: the socket's address, or, when `hops` proxies are trusted, the address the outermost
 * trusted proxy saw (X-Forwarded-For read from the right: entries further left are the client's word).
 */
export function clientAddress(req: http.IncomingMessage, hops: number): string {
  const socket = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (hops <= 0) return socket;
  const forwarded = (
    Array.isArray(req.headers['x-forwarded-for']) ? req.headers['x-forwarded-for'].join(',') : (req.headers['x-forwarded-for'] ?? '')
  )
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const chain = [...forwarded, socket];
  return (chain[chain.length - 1 - hops] ?? chain[0]!).replace(/^::ffff:/, '').slice(0, 64);
}

type BodyResult = { ok: true; body: Buffer } | { ok: false };

/** Reads the whole body up to `limit` bytes; past it, drains (or, if absurd, cuts) the rest and says so. */
function readBody(req: http.IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (over) {
        if (seen > 16 * limit) req.socket.destroySoon();
        return;
      }
      if (seen > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? { ok: false } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

/**
 * The one place that reads a form: a body of a form type that parses, or a 4xx saying what is wrong.
 * Routes then call `request.formData()` on something known to be a form.
 */
async function checkFormBody(contentType: string | undefined, body: Buffer): Promise<{ status: 400 | 415; message: string } | null> {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (!type || !FORM_TYPES.has(type)) {
    return {
      status: 415,
      message: `Unsupported Media Type: send this form as application/x-www-form-urlencoded or multipart/form-data${type ? ` (not ${type.slice(0, 100)})` : ' (the request had no Content-Type)'}.`,
    };
  }
  try {
    await new Response(new Uint8Array(body), { headers: { 'Content-Type': contentType! } }).formData();
    return null;
  } catch {
    return {
      status: 400,
      message: 'Bad Request: the form data could not be read (malformed body or multipart boundary). Reload the page and try again.',
    };
  }
}

/**
 * Whether this response may be compressed: a compressible type, a client that accepts it, no encoding
 * of its own, a body (not HEAD, 204 or 304), not the webhook route, not known to be tiny. Bodies of
 * unknown length (a page's streamed HTML, single-fetch data) are sized by `lookahead` first.
 */
function responseEncoding(req: http.IncomingMessage, response: Response): Encoding | null {
  if (!response.body || req.method === 'HEAD' || response.status === 204 || response.status === 304) return null;
  if (response.headers.has('content-encoding') || !isCompressible(response.headers.get('content-type'))) return null;
  if ((req.url ?? '').startsWith('/webhooks/')) return null;
  const length = response.headers.get('content-length');
  if (length !== null && Number(length) < MIN_COMPRESS_BYTES) return null;
  return negotiateEncoding(req.headers['accept-encoding']);
}

async function sendResponse(req: http.IncomingMessage, res: http.ServerResponse, response: Response, extra: Record<string, string>) {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers[key] = value;
  });
  Object.assign(headers, extra);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  let encoding = responseEncoding(req, response);
  if (isCompressible(response.headers.get('content-type')) && !(req.url ?? '').startsWith('/webhooks/')) addVary(res, headers);
  if (!response.body) {
    res.writeHead(response.status, response.statusText, headers);
    return void res.end();
  }
  const reader = response.body.getReader();
  const ahead = encoding && !headers['content-length'] ? await lookahead(reader) : null;
  // The whole body is here and small: send it as it is, with its length.
  if (ahead && !ahead.next && ahead.size < MIN_COMPRESS_BYTES) {
    encoding = null;
    headers['content-length'] = String(ahead.size);
  }
  if (encoding) {
    headers['content-encoding'] = encoding;
    delete headers['content-length'];
    // A strong validator names one exact byte sequence: the compressed one is another.
    if (headers.etag && !String(headers.etag).startsWith('W/')) headers.etag = `W/${String(headers.etag)}`;
  }
  res.writeHead(response.status, response.statusText, headers);
  const sink: NodeJS.WritableStream = encoding ? compressor(encoding) : res;
  if (encoding) {
    const zip = sink as ReturnType<typeof compressor>;
    zip.on('error', () => res.destroy());
    zip.pipe(res);
  }
  // Compressed: what arrives together goes out together; whenever the source pauses (deferred data,
  // a streamed Suspense boundary) what was written so far is flushed, so streaming still streams.
  let flushScheduled = false;
  const write = async (value: Uint8Array) => {
    if (!sink.write(value)) await new Promise((r) => sink.once('drain', r));
    if (encoding && !flushScheduled) {
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        (sink as ReturnType<typeof compressor>).flush();
      });
    }
  };
  try {
    for (const chunk of ahead?.chunks ?? []) await write(chunk);
    let next = ahead ? ahead.next : reader.read();
    while (next) {
      const { done, value } = await next;
      if (done) break;
      await write(value);
      next = reader.read();
    }
  } finally {
    sink.end();
  }
}

export async function createAppServer(opts: {
  buildPath?: string;
  publicDir?: string;
  port?: number;
  host?: string;
  mode?: 'production' | 'development' | 'test';
  /** Leave /healthz at `starting` until the caller runs `hooks.markReady()` (npm start: after the catalogue). */
  deferReady?: boolean;
}): Promise<AppServer> {
  const buildPath = path.resolve(opts.buildPath ?? 'build/index.js');
  const publicDir = path.resolve(opts.publicDir ?? 'public');
  const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild & { entry: { module: { serverHooks: ServerHooks } } };
  const hooks = build.entry.module.serverHooks;
  const handle = createRequestHandler(build, opts.mode ?? 'production');
  await hooks.start();
  if (!opts.deferReady) hooks.markReady();

  // The handler answers every error itself (its try/catch ends in a response), so nothing is left floating.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  const server = http.createServer(async (req, res) => {
    try {
      // Every response, whatever answers it (static files, webhooks, 4xx from here, Remix).
      for (const [name, value] of Object.entries(hooks.securityHeaders())) res.setHeader(name, value);
      const method = req.method ?? 'GET';
      if (!METHODS.has(method)) {
        if (method === 'OPTIONS') return plain(res, 204, '', { Allow: ALLOW });
        return plain(res, 405, `Method Not Allowed: ${method.slice(0, 20)} is not supported here (use ${ALLOW}).`, { Allow: ALLOW });
      }
      const hops = hooks.trustProxyHops();
      const host = req.headers.host;
      if (!validHost(host)) return plain(res, 400, 'Bad Request: missing or malformed Host header.');
      let publicHost = host;
      let proto = 'http';
      if (hops > 0) {
        const fwdHost = lastValue(req.headers['x-forwarded-host']);
        if (fwdHost !== undefined) {
          if (!validHost(fwdHost)) return plain(res, 400, 'Bad Request: malformed X-Forwarded-Host header.');
          publicHost = fwdHost;
        }
        const fwdProto = lastValue(req.headers['x-forwarded-proto'])?.toLowerCase();
        if (fwdProto === 'https' || fwdProto === 'http') proto = fwdProto;
      }
      const rawUrl = req.url ?? '/';
      let target: string;
      if (rawUrl.startsWith('/')) target = rawUrl;
      else {
        try {
          const absolute = new URL(rawUrl);
          target = absolute.pathname + absolute.search;
        } catch {
          return plain(res, 400, 'Bad Request: the request target must be a path.');
        }
      }
      const pathname = target.split('?')[0]!;
      const fast = hooks.fastRoutes?.[pathname];
      if (fast) return await fast(req, res);
      if (serveStatic(publicDir, req, res, pathname)) return;

      let url: URL;
      try {
        url = new URL(`${proto}://${publicHost}${target}`);
      } catch {
        return plain(res, 400, 'Bad Request: malformed request URL.');
      }
      // Single fetch (`<path>.data`) is how this app's browser code asks for data. Remix 2 still answers
      // the old `?_data=` protocol with a 500 (and a warning), and runs *actions* for a HEAD of a `.data`
      // URL: refuse both here.
      if (url.searchParams.has('_data'))
        return plain(res, 400, 'Bad Request: ?_data= requests are not supported; request <path>.data instead.');
      if (method === 'HEAD' && pathname.endsWith('.data'))
        return plain(res, 405, 'Method Not Allowed: use GET (or POST for a form) for .data requests.', { Allow: 'GET, POST' });
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        try {
          headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
        } catch {
          return plain(res, 400, `Bad Request: malformed ${req.rawHeaders[i]!.slice(0, 40)} header.`);
        }
      }
      // The app's origin check is the authority (docs/decisions/002-csrf-origin-check.md), before any body is read.
      const rejected = hooks.guard(new Request(url, { method, headers }));
      if (rejected) return await sendResponse(req, res, rejected, {});

      const init: RequestInit & { duplex?: 'half' } = { method, headers };
      if (method !== 'GET' && method !== 'HEAD') {
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > 16 * MAX_BODY_BYTES) {
          res.shouldKeepAlive = false;
          plain(res, 413, `Request body too large (limit ${MAX_BODY_BYTES} bytes).`, { Connection: 'close' });
          req.socket.destroySoon();
          return;
        }
        const read = await readBody(req, MAX_BODY_BYTES);
        if (!read.ok) return plain(res, 413, `Request body too large (limit ${MAX_BODY_BYTES} bytes).`);
        if (!NON_FORM_PREFIXES.some((p) => pathname.startsWith(p))) {
          const bad = await checkFormBody(req.headers['content-type'], read.body);
          if (bad) return plain(res, bad.status, bad.message);
        }
        init.body = new Uint8Array(read.body);
        headers.delete('transfer-encoding');
        headers.set('content-length', String(read.body.length));
        // Remix compares Origin with Host (or X-Forwarded-Host) once more and throws on a mismatch,
        // which behind a proxy that rewrites Host is every form. The guard above already decided: hand
        // Remix a Host that agrees with the Origin it accepted, and no forwarded host of its own.
        headers.delete('x-forwarded-host');
        const origin = headers.get('origin');
        let originHost: string | null = null;
        try {
          originHost = origin && origin !== 'null' ? new URL(origin).host : null;
        } catch {
          originHost = null;
        }
        if (originHost) headers.set('host', originHost);
        else headers.delete('origin');
      }
      const controller = new AbortController();
      res.on('close', () => controller.abort());
      init.signal = controller.signal;
      const request = new Request(url, init);
      const context = { cspNonce: crypto.randomBytes(16).toString('base64'), clientAddress: clientAddress(req, hops) };
      const response = await handle(request, context);
      // Signed-in answers (a session cookie or an API key came or goes out) are never stored anywhere.
      const cookie = req.headers.cookie ?? '';
      const authenticated =
        /(^|;\s*)__session=/.test(cookie) ||
        !!req.headers.authorization ||
        response.headers.getSetCookie().some((c) => c.startsWith('__session='));
      await sendResponse(req, res, response, authenticated ? { 'cache-control': 'private, no-store' } : {});
    } catch (error) {
      console.error('request failed:', error instanceof Error ? error.message : error);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error\n');
    }
  });
  server.keepAliveTimeout = 65_000;
  // What Node's HTTP parser refuses (an unknown method, a broken request line, huge headers) gets an
  // answer with the same headers as everything else.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
    // Like Node's own handler: answer only on a socket that has not answered anything yet (bytes
    // after an early answer, e.g. a refused body, are not a new request to reply to).
    if (!socket.writable || socket.bytesWritten > 0 || error.code === 'ECONNRESET') return void socket.destroy();
    const tooBig = error.code === 'HPE_HEADER_OVERFLOW';
    const message = tooBig ? 'Request headers too large.\n' : 'Bad Request: the request could not be parsed.\n';
    socket.end(
      `HTTP/1.1 ${tooBig ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nX-Content-Type-Options: nosniff\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
    );
  });
  // CONNECT never reaches the request handler; answer it instead of dropping the connection.
  server.on('connect', (_req: http.IncomingMessage, socket: import('node:net').Socket) => {
    const message = 'Method Not Allowed: CONNECT is not supported here (use GET, HEAD, POST).\n';
    const hsts = hooks.securityHeaders()['Strict-Transport-Security'];
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nAllow: ${ALLOW}\r\nX-Content-Type-Options: nosniff\r\n${hsts ? `Strict-Transport-Security: ${hsts}\r\n` : ''}` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 3000);
  return {
    server,
    port,
    url: `http://localhost:${port}`,
    hooks,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await hooks.stop();
    },
  };
}
