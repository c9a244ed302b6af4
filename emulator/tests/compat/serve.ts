/**
 * The compatibility apps' web server: a tiny node:http app in the style of Stripe's samples (static
 * files from `public/`, a few JSON routes). Each app passes its routes; `{{KEY}}` placeholders in the
 * HTML are filled from `vars` (the publishable key, where Stripe.js is loaded from).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

export interface AppRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  /** Raw body (webhooks verify the signature over it). */
  raw: string;
  /** JSON or form body. */
  body: Record<string, string>;
}

export type AppResponse = { json: unknown; status?: number } | { redirect: string } | { text: string; status: number };

export type Routes = Record<string, (req: AppRequest) => Promise<AppResponse> | AppResponse>;

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'application/javascript' };

function parseBody(raw: string, type: string | undefined): Record<string, string> {
  if (!raw) return {};
  if (type?.includes('json')) return JSON.parse(raw) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(raw));
}

export async function serveApp(publicDir: string, routes: Routes, vars: () => Record<string, string>): Promise<RunningApp> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const raw = Buffer.concat(chunks).toString('utf8');
      const route = routes[`${req.method} ${url.pathname}`];
      if (route) {
        Promise.resolve()
          .then(() =>
            route({ method: req.method ?? 'GET', url, headers: req.headers, raw, body: parseBody(raw, req.headers['content-type']) }),
          )
          .then(
            (out) => {
              if ('redirect' in out) res.writeHead(303, { Location: out.redirect }).end();
              else if ('json' in out)
                res.writeHead(out.status ?? 200, { 'Content-Type': 'application/json' }).end(JSON.stringify(out.json));
              else res.writeHead(out.status, { 'Content-Type': 'text/plain' }).end(out.text);
            },
            (e: unknown) => {
              // the samples answer a Stripe error with 400 and its message
              const message = e instanceof Error ? e.message : String(e);
              res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message } }));
            },
          );
        return;
      }
      const path = normalize(url.pathname === '/' ? '/index.html' : url.pathname);
      let file: string;
      try {
        file = readFileSync(join(publicDir, path), 'utf8');
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      const v = vars();
      const text = file.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => v[k] ?? '');
      res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    // localhost while the emulator is on 127.0.0.1: another origin, as a merchant site is
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
