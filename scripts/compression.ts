/**
 * Response compression for the server entry (scripts/server.ts, docs/performance.md): brotli or gzip
 * as the client's Accept-Encoding allows, for text bodies of a size worth it; never for event streams
 * or already-compressed types; precompressed `.br`/`.gz` assets (scripts/precompress.ts) when present.
 */
import fs from 'node:fs';
import type http from 'node:http';
import zlib from 'node:zlib';

export type Encoding = 'br' | 'gzip';

/** Below this a compressed body saves less than its framing costs. */
export const MIN_COMPRESS_BYTES = 1024;

/**
 * The encoding to answer with: the client's most preferred of brotli and gzip (q-values honoured,
 * `q=0` refuses, `*` stands for the ones it does not name), brotli on a tie; null for identity.
 */
export function negotiateEncoding(header: string | string[] | undefined): Encoding | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  const q = new Map<string, number>();
  for (const part of value.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(weight) ? Math.min(1, Math.max(0, weight)) : 0);
  }
  const weightOf = (name: Encoding) => q.get(name) ?? q.get(name === 'gzip' ? 'x-gzip' : name) ?? q.get('*') ?? 0;
  const br = weightOf('br');
  const gzip = weightOf('gzip');
  if (br <= 0 && gzip <= 0) return null;
  return br >= gzip ? 'br' : 'gzip';
}

/** Text we send that compresses well; images, fonts, PDFs and archives are already compressed. */
export function isCompressible(contentType: string | null | undefined): boolean {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (!type || type === 'text/event-stream') return false;
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/javascript' ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'image/x-icon'
  );
}

/** Dynamic bodies: brotli at a level that costs about what gzip's default does (11 is for build time). */
export function compressor(encoding: Encoding): zlib.BrotliCompress | zlib.Gzip {
  return encoding === 'br'
    ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } })
    : zlib.createGzip({ level: 6 });
}

export function addVary(res: http.ServerResponse, headers?: Record<string, string | string[]>) {
  const current = headers ? headers.vary : res.getHeader('vary');
  const list = String(current ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (list.some((v) => v === '*' || v.toLowerCase() === 'accept-encoding')) return;
  const value = [...list, 'Accept-Encoding'].join(', ');
  if (headers) headers.vary = value;
  else res.setHeader('Vary', value);
}

export function staticEtag(stat: fs.Stats, suffix = ''): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${suffix}"`;
}

export function notModified(req: http.IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header
    .split(',')
    .map((v) => v.trim().replace(/^W\//, ''))
    .some((v) => v === '*' || v === etag);
}

/** A `.br`/`.gz` written next to `file` by scripts/precompress.ts, if it is there and not older than the file. */
export function precompressed(file: string, stat: fs.Stats, encoding: Encoding): { file: string; stat: fs.Stats } | null {
  const variant = `${file}.${encoding === 'br' ? 'br' : 'gz'}`;
  const variantStat = fs.statSync(variant, { throwIfNoEntry: false });
  if (!variantStat?.isFile() || variantStat.mtimeMs < stat.mtimeMs) return null;
  return { file: variant, stat: variantStat };
}

type Chunk = ReadableStreamReadResult<Uint8Array>;
const nextTurn = () => new Promise<null>((resolve) => setImmediate(() => resolve(null)));

/**
 * Reads what the body has ready now, up to MIN_COMPRESS_BYTES: the first chunk, then whatever follows
 * without waiting (a stream that pauses for deferred data is not held back). `next` is the read still
 * under way, if any.
 */
export async function lookahead(reader: ReadableStreamDefaultReader<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let next: Promise<Chunk> | null = reader.read();
  let first = true;
  while (next && size < MIN_COMPRESS_BYTES) {
    const result: Chunk | null = first ? await next : await Promise.race([next, nextTurn()]);
    first = false;
    if (!result) break;
    if (result.done) next = null;
    else {
      chunks.push(result.value);
      size += result.value.length;
      next = reader.read();
    }
  }
  return { chunks, size, next };
}
