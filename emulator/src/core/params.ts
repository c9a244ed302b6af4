/**
 * Declarative, typed request-param schemas. Every endpoint declares what it accepts; anything else
 * is rejected with Stripe's `parameter_unknown` error naming the param in bracket form
 * (`invoice_settings[foo]`, `items[0][bar]`).
 *
 *   const CreateThing = p.object({
 *     name: p.string().required(),
 *     amount: p.integer({ min: 0 }),
 *     interval: p.enum(['day', 'week', 'month', 'year'] as const),
 *     items: p.array(p.object({ price: p.string().required(), quantity: p.integer() })),
 *     metadata: p.metadata(),
 *     cancel_at: p.integer().emptyable(),            // '' on the wire → null ("unset")
 *     trial_end: p.union(p.literal('now'), p.integer()),
 *   })
 *   type CreateThingParams = Infer<typeof CreateThing>
 *
 * Wire values arrive as strings (form) or JSON values (v2 / JSON bodies); the parsers accept both.
 * An empty string (or JSON null) is an attempt to unset: allowed only on `.emptyable()` params (→ null),
 * otherwise Stripe's `parameter_invalid_empty` error.
 */
import { errors } from './errors';

type ParseFn<T> = (v: unknown, path: string) => T;

export class Param<T, R extends boolean = false, E extends boolean = false> {
  readonly isRequired: R;
  readonly isEmptyable: E;
  constructor(
    readonly parseValue: ParseFn<T>,
    readonly kind: string,
    isRequired: R,
    isEmptyable: E,
  ) {
    this.isRequired = isRequired;
    this.isEmptyable = isEmptyable;
  }
  /** Missing → `parameter_missing`. */
  required(): Param<T, true, E> {
    return new Param(this.parseValue, this.kind, true as const, this.isEmptyable);
  }
  /** Accept '' / null meaning "unset"; the handler receives `null`. */
  emptyable(): Param<T, R, true> {
    return new Param(this.parseValue, this.kind, this.isRequired, true as const);
  }
  /** Parse one value at `path` (bracket-form name used in errors). */
  parse(v: unknown, path: string): E extends true ? T | null : T {
    if (v === '' || v === null) {
      if (this.isEmptyable) return null as never;
      throw errors.invalidParam(
        path,
        `You passed an empty string for '${path}'. We assume empty values are an attempt to unset a parameter; however '${path}' cannot be unset. You should remove '${path}' from your request or supply a non-empty value.`,
        'parameter_invalid_empty',
      );
    }
    return this.parseValue(v, path) as never;
  }
}

export type AnyParam = Param<any, boolean, boolean>;
export type Out<P> = P extends Param<infer T, boolean, infer E> ? (E extends true ? T | null : T) : never;
type RequiredKeys<S> = { [K in keyof S]: S[K] extends Param<any, true, boolean> ? K : never }[keyof S];
type OptionalKeys<S> = Exclude<keyof S, RequiredKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ShapeOut<S extends Record<string, AnyParam>> = Simplify<
  { [K in RequiredKeys<S>]: Out<S[K]> } & { [K in OptionalKeys<S>]?: Out<S[K]> }
>;
export type Infer<P> = Out<P>;

export class ObjectParam<S extends Record<string, AnyParam>, R extends boolean = false, E extends boolean = false> extends Param<
  ShapeOut<S>,
  R,
  E
> {
  constructor(
    readonly shape: S,
    isRequired: R,
    isEmptyable: E,
  ) {
    super((v, path) => parseShape(shape, v, path), 'object', isRequired, isEmptyable);
  }
  override required(): ObjectParam<S, true, E> {
    return new ObjectParam(this.shape, true as const, this.isEmptyable);
  }
  override emptyable(): ObjectParam<S, R, true> {
    return new ObjectParam(this.shape, this.isRequired, true as const);
  }
  /** A new object schema with more (or overridden) fields. */
  extend<S2 extends Record<string, AnyParam>>(more: S2): ObjectParam<Omit<S, keyof S2> & S2, R, E> {
    return new ObjectParam({ ...this.shape, ...more } as Omit<S, keyof S2> & S2, this.isRequired, this.isEmptyable);
  }
}

function child(path: string, key: string | number): string {
  return path ? `${path}[${key}]` : String(key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseShape<S extends Record<string, AnyParam>>(shape: S, v: unknown, path: string): ShapeOut<S> {
  if (!isPlainObject(v)) throw errors.invalidParam(path, 'Invalid hash', 'parameter_invalid_hash' as string);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    if (!Object.prototype.hasOwnProperty.call(shape, key)) throw errors.unknownParam(child(path, key));
  }
  for (const [key, param] of Object.entries(shape)) {
    const raw = (v as Record<string, unknown>)[key];
    if (raw === undefined) {
      if (param.isRequired) throw errors.missingParam(child(path, key));
      continue;
    }
    out[key] = param.parse(raw, child(path, key));
  }
  return out as ShapeOut<S>;
}

/** Form arrays arrive as numeric-keyed objects (`a[0]=x&a[1]=y`); JSON ones as arrays. */
function toArray(v: unknown, path: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.every((k) => /^\d+$/.test(k))) {
      return keys
        .map(Number)
        .sort((a, b) => a - b)
        .map((k) => v[String(k)]);
    }
  }
  throw errors.invalidParam(path, 'Invalid array', 'parameter_invalid_array' as string);
}

/** Numeric-keyed objects, recursively, become arrays (what `toArray` does for declared arrays). */
function formArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(formArrays);
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => formArrays(v[String(k)]));
  }
  return Object.fromEntries(keys.map((k) => [k, formArrays(v[k])]));
}

function lastKey(path: string): string {
  const m = /\[([^\]]*)\]$/.exec(path);
  return m ? m[1]! : path;
}

function orList(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  if (values.length === 2) return `${values[0]} or ${values[1]}`;
  return `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`;
}

function asString(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw errors.invalidParam(path, `Invalid string: ${JSON.stringify(v)}`, 'parameter_invalid_string' as string);
}

export const p = {
  string(opts: { maxLength?: number } = {}): Param<string> {
    return new Param(
      (v, path) => {
        const s = asString(v, path);
        if (opts.maxLength !== undefined && s.length > opts.maxLength)
          throw errors.invalidParam(path, `Invalid string: ${s.slice(0, 20)}...; must be at most ${opts.maxLength} characters`);
        return s;
      },
      'string',
      false,
      false,
    );
  },
  integer(opts: { min?: number; max?: number } = {}): Param<number> {
    return new Param(
      (v, path) => {
        let n: number;
        if (typeof v === 'number' && Number.isInteger(v)) n = v;
        else if (typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim())) n = Number(v.trim());
        else throw errors.invalidInteger(path, typeof v === 'object' ? JSON.stringify(v) : v);
        if (opts.min !== undefined && n < opts.min)
          throw errors.invalidParam(path, `This value must be greater than or equal to ${opts.min}.`);
        if (opts.max !== undefined && n > opts.max)
          throw errors.invalidParam(path, `This value must be less than or equal to ${opts.max}.`);
        return n;
      },
      'integer',
      false,
      false,
    );
  },
  /** A float ("12.5"). */
  number(): Param<number> {
    return new Param(
      (v, path) => {
        const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
        if (!Number.isFinite(n)) throw errors.invalidParam(path, `Invalid decimal: ${String(v)}`, 'parameter_invalid_decimal' as string);
        return n;
      },
      'number',
      false,
      false,
    );
  },
  /** A decimal kept as its canonical string ("12.50" → "12.5"), as `*_decimal` params are. */
  decimal(): Param<string> {
    return new Param(
      (v, path) => {
        const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
        if (!/^-?\d+(\.\d+)?$/.test(s)) throw errors.invalidParam(path, `Invalid decimal: ${String(v)}`);
        return canonicalDecimal(s);
      },
      'decimal',
      false,
      false,
    );
  },
  boolean(): Param<boolean> {
    return new Param(
      (v, path) => {
        if (v === true || v === 'true') return true;
        if (v === false || v === 'false') return false;
        throw errors.invalidParam(path, `Invalid boolean: ${String(v)}`);
      },
      'boolean',
      false,
      false,
    );
  },
  enum<const V extends readonly string[]>(values: V): Param<V[number]> {
    return new Param(
      (v, path) => {
        const s = asString(v, path);
        if (!values.includes(s)) throw errors.invalidParam(path, `Invalid ${lastKey(path)}: must be one of ${orList(values)}`);
        return s as V[number];
      },
      'enum',
      false,
      false,
    );
  },
  literal<const V extends string>(value: V): Param<V> {
    return p.enum([value] as const) as unknown as Param<V>;
  },
  array<P extends AnyParam>(item: P, opts: { max?: number } = {}): Param<Out<P>[]> {
    return new Param(
      (v, path) => {
        const arr = toArray(v, path);
        if (opts.max !== undefined && arr.length > opts.max)
          throw errors.invalidParam(path, `Invalid array: must contain at most ${opts.max} elements`);
        return arr.map((x, i) => item.parse(x, child(path, i)) as Out<P>);
      },
      'array',
      false,
      false,
    );
  },
  object<S extends Record<string, AnyParam>>(shape: S): ObjectParam<S> {
    return new ObjectParam(shape, false as const, false as const);
  },
  /**
   * Stripe metadata: ≤ 50 keys, key ≤ 40 chars, value ≤ 500 chars. A key with '' → null (delete it);
   * the whole param '' → null (clear all). Use `applyMetadata(old, param)` to merge.
   */
  metadata(): Param<Record<string, string | null>, false, true> {
    return new Param(
      (v, path) => {
        if (!isPlainObject(v)) throw errors.invalidParam(path, 'Invalid hash');
        const keys = Object.keys(v);
        if (keys.length > 50) throw errors.invalidParam(path, 'Invalid metadata: metadata can have at most 50 keys');
        const out: Record<string, string | null> = {};
        for (const k of keys) {
          if (k.length > 40) throw errors.invalidParam(child(path, k), `Invalid metadata: keys must be at most 40 characters`);
          const raw = v[k];
          if (raw === '' || raw === null) out[k] = null;
          else {
            const s = asString(raw, child(path, k));
            if (s.length > 500) throw errors.invalidParam(child(path, k), 'Invalid metadata: values must be at most 500 characters');
            out[k] = s;
          }
        }
        return out;
      },
      'metadata',
      false,
      true,
    );
  },
  /** A free-form hash of strings (e.g. a meter event payload). */
  hash(): Param<Record<string, string>> {
    return new Param(
      (v, path) => {
        if (!isPlainObject(v)) throw errors.invalidParam(path, 'Invalid hash');
        const out: Record<string, string> = {};
        for (const [k, x] of Object.entries(v)) out[k] = asString(x, child(path, k));
        return out;
      },
      'hash',
      false,
      false,
    );
  },
  /** Anything (no validation). Prefer a real schema. */
  any(): Param<unknown> {
    // Still decode form arrays (`a[0][b]=…`) into arrays, as Stripe does, so stored objects have the
    // SDK's shapes (e.g. billing portal configuration features).
    return new Param((v) => formArrays(v), 'any', false, false);
  },
  /** First alternative that parses wins; the last alternative's error is reported. */
  union<A extends AnyParam[]>(...alts: A): Param<Out<A[number]>> {
    return new Param(
      (v, path) => {
        let lastErr: unknown;
        for (const alt of alts) {
          try {
            return alt.parse(v, path) as Out<A[number]>;
          } catch (e) {
            lastErr = e;
          }
        }
        throw lastErr;
      },
      'union',
      false,
      false,
    );
  },
  /** `created=123` or `created[gte]=…&created[lt]=…` → a RangeFilter. */
  range(): Param<RangeFilter> {
    const obj = p.object({ gt: p.integer(), gte: p.integer(), lt: p.integer(), lte: p.integer() });
    return new Param((v, path) => (isPlainObject(v) ? obj.parse(v, path) : { eq: p.integer().parse(v, path) }), 'range', false, false);
  },
};

export interface RangeFilter {
  eq?: number;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** Params every list endpoint takes. Spread into your shape: `p.object({ ...listParams, customer: p.string() })`. */
export const listParams = {
  limit: p.integer({ min: 1, max: 100 }),
  starting_after: p.string(),
  ending_before: p.string(),
  created: p.range(),
};

export function canonicalDecimal(s: string): string {
  let [i, f = ''] = s.replace(/^\+/, '').split('.');
  const neg = i!.startsWith('-');
  i = i!.replace(/^-/, '').replace(/^0+(?=\d)/, '');
  f = f.replace(/0+$/, '');
  return `${neg && (i !== '0' || f) ? '-' : ''}${i}${f ? '.' + f : ''}`;
}

/** Merge a metadata param into existing metadata (null param = clear all; null value = delete key). */
export function applyMetadata(
  old: Record<string, string> | null | undefined,
  param: Record<string, string | null> | null | undefined,
): Record<string, string> {
  if (param === undefined) return { ...(old ?? {}) };
  if (param === null) return {};
  const out: Record<string, string> = { ...(old ?? {}) };
  for (const [k, v] of Object.entries(param)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
