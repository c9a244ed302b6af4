/**
 * The portal's boundary rules (docs/architecture.md), checked on the source itself: no import loops,
 * no file over 500 lines without a reason on line 1, routes never import ~/db or ~/stripe, app/ and
 * emulator/ never import each other, scripts/ never imports tests/. The emulator checks its own tree in
 * emulator/tests/structure.test.ts; this covers app/, scripts/ and tests/.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const SOURCE = /\.(ts|tsx)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules' || f.startsWith('.')) return [];
    return statSync(p).isDirectory() ? files(p) : SOURCE.test(p) ? [p] : [];
  });
}

const tree = ['app', 'scripts', 'tests'].flatMap((d) => files(join(root, d)));

/** Import specifiers of a file, comments stripped. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [
    ...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm),
  ].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function resolveSpecifier(from: string, spec: string): string | null {
  const base = spec.startsWith('~/') ? join(root, 'app', spec.slice(2)) : spec.startsWith('.') ? resolve(dirname(from), spec) : null;
  if (!base) return null;
  const stripped = base.replace(/\.(ts|tsx|js)$/, '');
  return [base, `${stripped}.ts`, `${stripped}.tsx`, join(base, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

const rel = (f: string) => relative(root, f);

describe('portal source structure', () => {
  it('has no import loops', () => {
    const graph = new Map(
      tree.map((f) => [
        f,
        specifiers(f)
          .map((s) => resolveSpecifier(f, s))
          .filter((x): x is string => Boolean(x)),
      ]),
    );
    const state = new Map<string, 'open' | 'done'>();
    const loops: string[] = [];
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') loops.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
        else if (!state.has(d) && graph.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(loops).toEqual([]);
  });

  it('keeps files under 500 lines unless line 1 says why', () => {
    const long = tree
      .map((f) => ({ f: rel(f), lines: readFileSync(f, 'utf8').split('\n') }))
      .filter(({ lines }) => lines.length > 500 && !/^\/\/ .*\S/.test(lines[0]!))
      .map(({ f, lines }) => `${f} (${lines.length} lines)`);
    expect(long).toEqual([]);
  });

  it('keeps the boundaries: routes -> billing -> db/stripe; app, emulator, scripts, tests one way', () => {
    const violations: string[] = [];
    for (const f of tree) {
      const r = rel(f);
      for (const spec of specifiers(f)) {
        const target = resolveSpecifier(f, spec);
        const t = target ? rel(target) : spec;
        if (r.startsWith('app/routes/') && /^app\/(db|stripe)\//.test(t)) violations.push(`${r} imports ${t} (routes call app/billing)`);
        if (r.startsWith('app/') && (t.startsWith('emulator/') || t.startsWith('scripts/') || t.startsWith('tests/')))
          violations.push(`${r} imports ${t} (app/ stands alone)`);
        if (r.startsWith('scripts/') && t.startsWith('tests/')) violations.push(`${r} imports ${t} (scripts never import tests)`);
      }
    }
    for (const f of files(join(root, 'emulator'))) {
      for (const spec of specifiers(f)) {
        const target = resolveSpecifier(f, spec);
        if (spec.startsWith('~/') || (target && rel(target).startsWith('app/')))
          violations.push(`${rel(f)} imports ${spec} (the emulator never imports app/)`);
      }
    }
    expect(violations).toEqual([]);
  });
});
