import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createReadableStreamFromReadable, createRequestHandler, type ServerBuild } from '@remix-run/node';
import type { ServerHooks } from '../app/server-hooks.server';

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
  const immutable = pathname.startsWith('/build/');
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': stat.size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
  });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
  return true;
}

/** Forms and actions never need more; the webhook route has its own 1 MiB cap (fast route). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A body stream that fails once more than `limit` bytes arrive (for bodies without Content-Length). */
function capped(req: http.IncomingMessage, limit: number): Readable {
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new Error(`request body over ${limit} bytes`));
      else done(null, chunk);
    },
  });
  req.on('error', (e) => cap.destroy(e));
  return req.pipe(cap);
}

function toRequest(req: http.IncomingMessage, res: http.ServerResponse): Request {
  const host = req.headers.host ?? 'localhost';
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const init: RequestInit & { duplex?: 'half' } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = createReadableStreamFromReadable(capped(req, MAX_BODY_BYTES));
    init.duplex = 'half';
  }
  return new Request(url, init);
}

async function sendResponse(res: http.ServerResponse, response: Response) {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((r) => res.once('drain', r));
    }
  } finally {
    res.end();
  }
}

export async function createAppServer(opts: {
  buildPath?: string;
  publicDir?: string;
  port?: number;
  host?: string;
  mode?: 'production' | 'development' | 'test';
}): Promise<AppServer> {
  const buildPath = path.resolve(opts.buildPath ?? 'build/index.js');
  const publicDir = path.resolve(opts.publicDir ?? 'public');
  const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild & { entry: { module: { serverHooks: ServerHooks } } };
  const hooks = build.entry.module.serverHooks;
  const handle = createRequestHandler(build, opts.mode ?? 'production');
  await hooks.start();

  const server = http.createServer(async (req, res) => {
    try {
      const pathname = (req.url ?? '/').split('?')[0]!;
      const fast = hooks.fastRoutes?.[pathname];
      if (fast) return await fast(req, res);
      if (serveStatic(publicDir, req, res, pathname)) return;
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_BODY_BYTES) {
        // Read (and drop) what the client is sending so it gets to read our answer; cut off anything
        // absurd at once.
        const answer = () => {
          res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`Request body too large (limit ${MAX_BODY_BYTES} bytes).\n`);
        };
        if (declared > 16 * MAX_BODY_BYTES) {
          res.shouldKeepAlive = false;
          answer();
          req.socket.destroySoon();
        } else {
          req.on('end', answer).on('error', () => req.socket.destroy()).resume();
        }
        return;
      }
      const request = toRequest(req, res);
      const response = hooks.guard(request) ?? (await handle(request));
      await sendResponse(res, response);
    } catch (error) {
      console.error('request failed:', error instanceof Error ? error.message : error);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error\n');
    }
  });
  server.keepAliveTimeout = 65_000;

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
