/**
 * Issue #15, compression in the server entry (scripts/server.ts) against the built app: brotli or gzip
 * by Accept-Encoding with `Vary: Accept-Encoding`; no encoding for tiny bodies, HEAD, the webhook
 * route or clients that refuse it; the precompressed `.br`/`.gz` assets under /build/ served with
 * their own length, the original type, an ETag and immutable caching.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfNeeded } from '../../scripts/build-if-needed';
import { allowConsoleError } from '../helpers/setup';
import { createAppServer, type AppServer } from '../../scripts/server';
import { isCompressible, negotiateEncoding } from '../../scripts/compression';

let app: AppServer;

beforeAll(async () => {
  buildIfNeeded();
  app = await createAppServer({ port: 0, host: '127.0.0.1', mode: 'production' });
}, 120_000);
afterAll(async () => {
  await app?.close();
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Plain node:http, so nothing decodes the body behind the test's back. */
function get(pathname: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: app.port, path: pathname, method, headers: { Host: `localhost:${app.port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function decode(r: Raw): string {
  const encoding = r.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(r.body).toString('utf8');
  if (encoding === 'gzip') return zlib.gunzipSync(r.body).toString('utf8');
  expect(encoding).toBeUndefined();
  return r.body.toString('utf8');
}

/** The biggest JavaScript file of the build, and the URL it is served under. */
function biggestAsset(): { file: string; url: string } {
  const dir = path.resolve('public/build/_shared');
  const file = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
  return { file, url: `/build/_shared/${path.basename(file)}` };
}

describe('Accept-Encoding negotiation', () => {
  it('prefers brotli, honours q-values and refusals', () => {
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.8')).toBe('gzip');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*;q=0')).toBeNull();
    expect(negotiateEncoding('identity')).toBeNull();
    expect(negotiateEncoding('')).toBeNull();
    expect(negotiateEncoding(undefined)).toBeNull();
  });

  it('compresses text, never event streams or already-compressed types', () => {
    expect(isCompressible('text/html; charset=utf-8')).toBe(true);
    expect(isCompressible('application/json')).toBe(true);
    expect(isCompressible('text/x-script')).toBe(true);
    expect(isCompressible('image/svg+xml')).toBe(true);
    expect(isCompressible('text/event-stream')).toBe(false);
    expect(isCompressible('application/pdf')).toBe(false);
    expect(isCompressible('image/png')).toBe(false);
    expect(isCompressible('font/woff2')).toBe(false);
    expect(isCompressible(null)).toBe(false);
  });
});

describe('pages', () => {
  it('answers brotli to a browser, with Vary, and the page decodes', async () => {
    const plain = await get('/');
    const br = await get('/', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(br.headers['content-length']).toBeUndefined();
    const html = decode(br);
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('</html>');
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
  });

  it('answers gzip when that is all the client takes, identity when it takes neither', async () => {
    const gz = await get('/login', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(decode(gz)).toContain('</html>');
    const none = await get('/login');
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.headers.vary).toMatch(/Accept-Encoding/i);
    expect(none.body.toString('utf8')).toContain('</html>');
    const refused = await get('/login', { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('compresses single-fetch data, a 404 page, and sends no body for HEAD', async () => {
    const data = await get('/login.data', { 'Accept-Encoding': 'br' });
    expect(data.status).toBe(200);
    expect(data.headers['content-type']).toMatch(/^text\/x-script/);
    const decoded = Buffer.byteLength(decode(data));
    expect(decoded).toBeGreaterThan(0);
    expect(data.headers['content-encoding']).toBe(decoded >= 1024 ? 'br' : undefined);
    allowConsoleError(); // Remix reports the unmatched route
    const missing = await get('/no-such-page', { 'Accept-Encoding': 'gzip' });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-encoding']).toBe('gzip');
    expect(decode(missing)).toContain('Page not found');
    const head = await get('/login', { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.body.length).toBe(0);
  });

  it('leaves tiny bodies and the webhook route alone', async () => {
    const health = await get('/healthz', { 'Accept-Encoding': 'br' });
    expect(Number(health.headers['content-length'])).toBeLessThan(1024);
    expect(health.headers['content-encoding']).toBeUndefined();
    const webhook = await get('/webhooks/stripe', { 'Accept-Encoding': 'br, gzip', 'Content-Type': 'application/json' }, 'POST', '{}');
    expect(webhook.status).toBeGreaterThanOrEqual(400);
    expect(webhook.status).toBeLessThan(500);
    expect(webhook.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(webhook.body.toString('utf8'))).toBeTruthy();
  });
});

describe('static assets under /build/', () => {
  it('serves the precompressed brotli file with the original type, an ETag and immutable caching', async () => {
    const { file, url } = biggestAsset();
    expect(fs.existsSync(`${file}.br`)).toBe(true);
    const r = await get(url, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(fs.statSync(`${file}.br`).size);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers.vary).toBe('Accept-Encoding');
    expect(r.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-br"$/);
    expect(decode(r)).toBe(fs.readFileSync(file, 'utf8'));
  });

  it('serves the gzip file to gzip-only clients and the plain file to the rest, each with its own ETag', async () => {
    const { file, url } = biggestAsset();
    const gz = await get(url, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(fs.statSync(`${file}.gz`).size);
    expect(decode(gz)).toBe(fs.readFileSync(file, 'utf8'));
    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(fs.statSync(file).size);
    expect(new Set([gz.headers.etag, plain.headers.etag, (await get(url, { 'Accept-Encoding': 'br' })).headers.etag]).size).toBe(3);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const { url } = biggestAsset();
    const first = await get(url, { 'Accept-Encoding': 'br' });
    const again = await get(url, { 'Accept-Encoding': 'br', 'If-None-Match': first.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
  });

  it('compresses an un-precompressed text file on the fly, and not a small one', async () => {
    const svg = await get('/favicon.svg', { 'Accept-Encoding': 'br' });
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    const size = fs.statSync('public/favicon.svg').size;
    if (size < 1024) expect(svg.headers['content-encoding']).toBeUndefined();
    else expect(svg.headers['content-encoding']).toBe('br');
    expect(decode(svg)).toBe(fs.readFileSync('public/favicon.svg', 'utf8'));
  });
});
