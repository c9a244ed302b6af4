/** The emulator's source rules: no import loops, no file over 500 lines without a reason on line 1. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(p) ? [p] : [];
  });
}

/** Relative imports and re-exports of a file (comments stripped), resolved to files. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]*)['"]|import\s*\(\s*['"](\.[^'"]*)['"]/g)) {
    const base = resolve(dirname(file), m[1] ?? m[2]!);
    const hit = [`${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(c));
    if (hit) out.push(hit);
  }
  return out;
}

describe('emulator source structure', () => {
  it('has no import loops', () => {
    const graph = new Map(files(src, /\.ts$/).map((f) => [f, imports(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const loops: string[] = [];
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') loops.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(src, x)).join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(loops).toEqual([]);
  });

  it('keeps files under 500 lines unless line 1 says why', () => {
    const long = files(src, /\.(ts|js)$/)
      .map((f) => ({ f: relative(src, f), lines: readFileSync(f, 'utf8').split('\n') }))
      .filter(({ lines }) => lines.length > 500 && !/^\/\/ .*\S/.test(lines[0]!))
      .map(({ f, lines }) => `${f} (${lines.length} lines)`);
    expect(long).toEqual([]);
  });
});
