/**
 * `npm run dev` runs `remix dev -c "node --import tsx scripts/dev.ts"`: remix dev builds the app in
 * development mode and rebuilds it on every change under app/; after each rebuild it kills this
 * process and starts it again (no `--manual`), so the server always runs the newest build.
 *
 * This process is `npm start` (scripts/start.ts: the emulator when no Stripe keys are set, env
 * validation, migrations, the catalogue, the server with its webhook worker, the demo login), then
 * the `[REMIX DEV] <build hash> ready` line remix dev waits for before it tells browsers to reload.
 * The emulator keeps its data in data/emulator.sqlite (STRIPE_EMULATOR_DB), so restarts lose nothing.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { logDevReady, type ServerBuild } from '@remix-run/node';

if (!process.env.REMIX_DEV_ORIGIN) {
  console.error('scripts/dev.ts runs under remix dev: use `npm run dev` (or `npm start` for a production build).');
  process.exit(1);
}

await import('./start');

// start.ts has read .env by now (synchronously, before its first await).
const port = Number(process.env.PORT || 3000);
const host = !process.env.HOST || process.env.HOST === '0.0.0.0' || process.env.HOST === '::' ? '127.0.0.1' : process.env.HOST;
const started = Date.now();
for (;;) {
  try {
    if ((await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status < 500) break;
  } catch {
    // not listening yet
  }
  if (Date.now() - started > 120_000) {
    console.error(`dev: the app did not answer on http://${host}:${port}/healthz within 2 minutes.`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
// The same module instance the server imported (same URL), so the hash is the one being served.
const build = (await import(pathToFileURL(path.resolve('build/index.js')).href)) as ServerBuild;
logDevReady(build);
