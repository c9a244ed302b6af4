/**
 * Wire decoding: application/x-www-form-urlencoded with bracket nesting as the Stripe SDK sends it
 * (`items[0][price]=x`, `metadata[k]=v`, `expand[0]=a`, `expand[]=a`), and the query strings of
 * GET/DELETE. Values stay strings; `''` is kept as `''` (the param validator maps it to null = unset).
 * Containers are null-prototype objects; arrays come out as objects with numeric keys unless `[]`
 * was used. The validator turns numeric-keyed objects into arrays where the schema wants an array.
 */
import { StripeError } from './errors';

type WireValue = string | WireObject | WireValue[];
export interface WireObject {
  [k: string]: WireValue;
}

const MAX_PAIRS = 5000;
const MAX_DEPTH = 12;

function decode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

function badRequest(message: string): StripeError {
  return new StripeError({ status: 400, type: 'invalid_request_error', message, idempotent: false });
}

/** Split `a[b][0][]` into ['a','b','0','']. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open < 0) return [key];
  const parts = [key.slice(0, open)];
  let rest = key.slice(open);
  while (rest.length) {
    const m = /^\[([^\]]*)\]/.exec(rest);
    if (!m) throw badRequest(`Invalid parameter name: ${key}`);
    parts.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return parts;
}

export function parseForm(body: string): WireObject {
  const root: WireObject = Object.create(null);
  if (!body) return root;
  const pairs = body.split('&');
  if (pairs.length > MAX_PAIRS) throw badRequest('Too many parameters in request.');
  for (const pair of pairs) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    let rawKey: string, rawVal: string;
    if (eq < 0) {
      rawKey = pair;
      rawVal = '';
    } else {
      rawKey = pair.slice(0, eq);
      rawVal = pair.slice(eq + 1);
    }
    let key: string, val: string;
    try {
      key = decode(rawKey);
      val = decode(rawVal);
    } catch {
      throw badRequest('Invalid URL encoding in request body or query string.');
    }
    const path = splitKey(key);
    if (path.length > MAX_DEPTH) throw badRequest(`Parameter nesting too deep: ${key}`);
    if (!path[0]) throw badRequest(`Invalid parameter name: ${key}`);
    assign(root, path, val, key);
  }
  return root;
}

function assign(root: WireObject, path: string[], val: string, fullKey: string): void {
  let cur: WireObject | WireValue[] = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (Array.isArray(cur)) {
      // `a[]` pushes; `a[][b]` is not a shape Stripe's clients send
      if (seg !== '') throw badRequest(`Invalid array parameter: ${fullKey}`);
      if (last) {
        cur.push(val);
        return;
      }
      const next: WireObject = Object.create(null);
      cur.push(next);
      cur = next;
      continue;
    }
    if (last) {
      if (seg === '') throw badRequest(`Invalid parameter name: ${fullKey}`);
      const existing = cur[seg];
      if (existing !== undefined && typeof existing !== 'string')
        throw badRequest(`Invalid parameter: ${fullKey} was given both as a value and as a hash or array.`);
      cur[seg] = val;
      return;
    }
    const nextSeg = path[i + 1]!;
    let next: WireValue | undefined = cur[seg];
    if (next === undefined) {
      next = nextSeg === '' ? [] : (Object.create(null) as WireObject);
      cur[seg] = next;
    } else if (typeof next === 'string') {
      throw badRequest(`Invalid parameter: ${fullKey} was given both as a value and as a hash or array.`);
    } else if (nextSeg === '' && !Array.isArray(next)) {
      throw badRequest(`Invalid parameter: ${fullKey} mixes indexed and [] array notation.`);
    }
    cur = next as WireObject | WireValue[];
  }
}

/** JSON body (v2 API, or a v1 client that prefers JSON). Top level must be an object. */
export function parseJson(body: string): Record<string, unknown> {
  if (!body.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw badRequest('Invalid JSON in request body.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

/** Merge query params and body params (body wins), both already parsed. */
export function mergeParams(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(a)) out[k] = v;
  for (const [k, v] of Object.entries(b)) out[k] = v;
  return out;
}
