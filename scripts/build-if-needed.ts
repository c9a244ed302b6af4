import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { precompress } from './precompress';

function newestMtime(target: string): number {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/**
 * A `remix dev` build imports React's development JSX runtime, which exports nothing under
 * NODE_ENV=production: served by `npm start` it answers every page with 500 "jsxDEV is not a function".
 */
function isDevelopmentBuild(output: string): boolean {
  return fs.readFileSync(output, 'utf8').includes('react/jsx-dev-runtime');
}

/**
 * Runs `remix build` when the build is missing, older than its sources, or a development build left
 * by `npm run dev`, then precompresses its assets (scripts/precompress.ts; a no-op when they are up
 * to date). Returns true if it built. Under `remix dev` (REMIX_DEV_ORIGIN is set) the dev
 * server owns the build and rebuilds it on change, so this does nothing.
 */
export function buildIfNeeded(root = process.cwd()): boolean {
  if (process.env.REMIX_DEV_ORIGIN) return false;
  const output = path.join(root, 'build/index.js');
  const built = fs.statSync(output, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(
    ...['app', 'remix.config.js', 'tailwind.config.ts', 'postcss.config.js', 'package-lock.json'].map((p) =>
      newestMtime(path.join(root, p)),
    ),
  );
  if (built > sources && !isDevelopmentBuild(output)) {
    precompress(path.join(root, 'public/build'));
    return false;
  }
  console.log('Building the app (remix build)…');
  const started = Date.now();
  const result = spawnSync(path.join(root, 'node_modules/.bin/remix'), ['build'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout);
    process.stderr.write(result.stderr);
    throw new Error('remix build failed');
  }
  precompress(path.join(root, 'public/build'));
  console.log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
