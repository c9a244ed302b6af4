/**
 * Runs after `remix build` (`npm run build`, scripts/build-if-needed.ts): writes `<file>.br` (brotli,
 * quality 11) and `<file>.gz` (gzip -9) beside every text asset under public/build/ worth compressing,
 * so scripts/server.ts serves them without compressing per request. Up-to-date variants are kept; a
 * variant older than its file is never served (the server compares mtimes), so a skipped run is safe.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const EXTENSIONS = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.txt']);
const MIN_BYTES = 1024;

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full);
    return entry.isFile() ? [full] : [];
  });
}

function fresh(variant: string, source: fs.Stats): boolean {
  const stat = fs.statSync(variant, { throwIfNoEntry: false });
  return !!stat && stat.mtimeMs >= source.mtimeMs;
}

/** Returns how many files it (re)compressed and their bytes before/after brotli. */
export function precompress(dir = path.resolve('public/build')): { files: number; bytes: number; brotliBytes: number } {
  const targets = listFiles(dir).filter((file) => EXTENSIONS.has(path.extname(file)));
  const written = targets
    .map((file) => ({ file, stat: fs.statSync(file) }))
    .filter(({ stat }) => stat.size >= MIN_BYTES)
    .filter(({ file, stat }) => !fresh(`${file}.br`, stat) || !fresh(`${file}.gz`, stat))
    .map(({ file, stat }) => {
      const body = fs.readFileSync(file);
      const br = zlib.brotliCompressSync(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      });
      fs.writeFileSync(`${file}.br`, br);
      fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
      return { bytes: stat.size, brotliBytes: br.length };
    });
  return {
    files: written.length,
    bytes: written.reduce((n, w) => n + w.bytes, 0),
    brotliBytes: written.reduce((n, w) => n + w.brotliBytes, 0),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const result = precompress();
  console.log(
    `Precompressed ${result.files} asset(s) under public/build: ${Math.round(result.bytes / 1024)} KiB → ` +
      `${Math.round(result.brotliBytes / 1024)} KiB brotli (${Date.now() - started} ms).`,
  );
}
