/**
 * Validates API bodies and webhook payloads against the schema `generate.ts` derives from the SDK.
 * Violations: a missing required field, a wrong type, an enum value the pinned version does not list,
 * a property the type does not have, an `object` (or event `type`) the SDK does not know.
 */
import type { Def, Schema, Shape } from './generate';

export type ViolationKind = 'missing' | 'type' | 'enum' | 'unknown-property' | 'unknown-object';

export interface Violation {
  kind: ViolationKind;
  /** `subscription.items.data[].price.recurring`: object type, then the field path (`[]` for any index) */
  path: string;
  detail: string;
}

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const show = (v: Json) => (typeof v === 'string' ? `'${v}'` : kindOf(v));

interface Run {
  schema: Schema;
  out: Violation[];
  /** previous_attributes: fields may be absent at any depth and map values may be null */
  partial: boolean;
}

function describeShape(s: Shape): string {
  switch (s.k) {
    case 'lit':
      return JSON.stringify(s.v);
    case 'enum':
      return 'enum';
    case 'ref':
    case 'object':
    case 'map':
      return 'object';
    case 'union':
      return [...new Set(s.o.map(describeShape))].join(' | ');
    default:
      return s.k;
  }
}

/** Union members that can hold a value of this JSON kind. */
function candidates(s: Shape, v: Json): Shape[] {
  const members = s.k === 'union' ? s.o : [s];
  return members.filter((m) => {
    switch (kindOf(v)) {
      case 'string':
        return m.k === 'string' || m.k === 'enum' || (m.k === 'lit' && typeof m.v === 'string');
      case 'number':
        return m.k === 'number' || (m.k === 'lit' && typeof m.v === 'number');
      case 'boolean':
        return m.k === 'boolean' || (m.k === 'lit' && typeof m.v === 'boolean');
      case 'null':
        return m.k === 'null';
      case 'array':
        return m.k === 'array';
      default:
        return m.k === 'ref' || m.k === 'object' || m.k === 'map';
    }
  });
}

function defFor(run: Run, s: Shape): Def | undefined {
  if (s.k === 'ref') return run.schema.defs[s.n];
  if (s.k === 'object') return s.d;
  return undefined;
}

/** Among object-shaped members, the one whose `object` literal (and `deleted`) matches the value. */
function pickObjectMember(run: Run, members: Shape[], v: Obj): Shape[] {
  const matching = members.filter((m) => {
    const d = defFor(run, m);
    const lit = d?.props.object?.s;
    if (!lit || lit.k !== 'lit') return false;
    const deletedVariant = d.props.deleted?.s.k === 'lit';
    return lit.v === v.object && deletedVariant === (v.deleted === true);
  });
  return matching.length ? matching : members;
}

function check(run: Run, s: Shape, v: Json, path: string): void {
  if (s.k === 'any') return;
  if (v === null && run.partial && s.k !== 'null') {
    // previous_attributes: Stripe sends null for a value that did not exist before (e.g. a metadata key)
    return;
  }
  const fits = candidates(s, v);
  if (!fits.length) {
    run.out.push({ kind: 'type', path, detail: `expected ${describeShape(s)}, got ${kindOf(v)}` });
    return;
  }
  if (fits.length === 1) return checkOne(run, fits[0]!, v, path);
  const narrowed = isObj(v) ? pickObjectMember(run, fits, v) : fits;
  if (narrowed.length === 1) return checkOne(run, narrowed[0]!, v, path);
  // several members still fit: the value conforms if one of them accepts it; else report the closest
  const tries = narrowed.map((m) => {
    const sub: Run = { ...run, out: [] };
    checkOne(sub, m, v, path);
    return sub.out;
  });
  if (tries.some((t) => t.length === 0)) return;
  run.out.push(...tries.reduce((a, b) => (b.length < a.length ? b : a)));
}

function checkOne(run: Run, s: Shape, v: Json, path: string): void {
  switch (s.k) {
    case 'lit':
      if (v !== s.v) run.out.push({ kind: 'enum', path, detail: `expected ${JSON.stringify(s.v)}, got ${show(v)}` });
      return;
    case 'enum':
      if (!s.v.includes(v as string))
        run.out.push({ kind: 'enum', path, detail: `${show(v)} is not one of ${s.v.map((x) => `'${x}'`).join(', ')}` });
      return;
    case 'array':
      (v as Json[]).forEach((item) => check(run, s.i, item, `${path}[]`));
      return;
    case 'map':
      Object.entries(v as Obj).forEach(([key, item]) => check(run, s.v, item, `${path}.${key}`));
      return;
    case 'ref':
    case 'object':
      checkDef(run, defFor(run, s)!, v as Obj, path);
      return;
    default:
      return;
  }
}

function checkDef(run: Run, d: Def, v: Obj, path: string): void {
  if (!run.partial) {
    Object.entries(d.props)
      .filter(([key, p]) => !p.opt && !(key in v))
      .forEach(([key]) => run.out.push({ kind: 'missing', path: `${path}.${key}`, detail: 'required field missing' }));
  }
  Object.entries(v).forEach(([key, item]) => {
    const p = d.props[key];
    if (p) check(run, p.s, item, `${path}.${key}`);
    else if (d.index) check(run, d.index, item, `${path}.${key}`);
    else run.out.push({ kind: 'unknown-property', path: `${path}.${key}`, detail: `not a property of ${path.split(/[.[]/)[0]}` });
  });
}

function objectKey(v: Obj): string {
  return v.deleted === true ? `${String(v.object)}:deleted` : String(v.object);
}

/** Validates one API object (dispatching on its `object` field), an event, a list or search result. */
function checkTopObject(run: Run, v: Obj, path: string): void {
  const key = objectKey(v);
  if (v.object === 'list' || v.object === 'search_result') {
    const shape: Def = {
      props: {
        object: { s: { k: 'lit', v: v.object } },
        data: { s: { k: 'array', i: { k: 'any' } } },
        has_more: { s: { k: 'boolean' } },
        url: { s: { k: 'string' } },
        ...(v.object === 'search_result'
          ? {
              next_page: { s: { k: 'union', o: [{ k: 'string' }, { k: 'null' }] } },
              total_count: { s: { k: 'number' }, opt: true as const },
            }
          : {}),
      },
    };
    checkDef(run, shape, v, path);
    if (Array.isArray(v.data)) v.data.filter(isObj).forEach((item) => checkTopObject(run, item, String(item.object ?? `${path}.data[]`)));
    return;
  }
  if (v.object === 'event') return checkEvent(run, v);
  const names = run.schema.objects[key];
  if (!names) {
    run.out.push({ kind: 'unknown-object', path, detail: `no SDK type has object '${key}'` });
    return;
  }
  check(run, names.length === 1 ? { k: 'ref', n: names[0]! } : { k: 'union', o: names.map((n) => ({ k: 'ref', n })) }, v, path);
}

function checkEvent(run: Run, v: Obj): void {
  const base = run.schema.defs[run.schema.objects.event![0]!]!;
  const { data, ...rest } = v;
  checkDef(run, { props: Object.fromEntries(Object.entries(base.props).filter(([k]) => k !== 'data')) }, rest, 'event');
  if (!isObj(data)) {
    run.out.push({ kind: 'type', path: 'event.data', detail: `expected object, got ${kindOf(data)}` });
    return;
  }
  const type = String(v.type);
  const defName = run.schema.events[type];
  if (!defName) return; // an unknown `type` is already an enum violation of event.type
  const obj = data.object;
  const where = `event(${type}).data.object`;
  if (!isObj(obj)) {
    run.out.push({ kind: 'type', path: where, detail: `expected object, got ${kindOf(obj)}` });
    return;
  }
  Object.keys(data)
    .filter((k) => k !== 'object' && k !== 'previous_attributes')
    .forEach((k) => run.out.push({ kind: 'unknown-property', path: `event.data.${k}`, detail: 'not a property of event.data' }));
  check(run, { k: 'ref', n: defName }, obj, String(obj.object ?? where));
  const prev = data.previous_attributes;
  if (prev === undefined) return;
  if (!isObj(prev)) {
    run.out.push({ kind: 'type', path: 'event.data.previous_attributes', detail: `expected object, got ${kindOf(prev)}` });
    return;
  }
  checkDef({ ...run, partial: true }, run.schema.defs[defName]!, prev, `${String(obj.object)}(previous_attributes)`);
}

/** Violations in one response body (objects, lists, search results, deleted objects, error bodies). */
export function validateBody(schema: Schema, body: Json): Violation[] {
  const run: Run = { schema, out: [], partial: false };
  if (!isObj(body)) return run.out;
  if ('error' in body) {
    check(run, { k: 'ref', n: schema.error }, body, 'response');
  } else if (typeof body.object === 'string') {
    checkTopObject(run, body, objectKey(body));
  }
  return run.out;
}

/** Violations in one webhook delivery (an event). */
export function validateEvent(schema: Schema, payload: Json): Violation[] {
  const run: Run = { schema, out: [], partial: false };
  if (!isObj(payload) || payload.object !== 'event') {
    run.out.push({ kind: 'type', path: 'event', detail: 'a webhook payload must be an event object' });
    return run.out;
  }
  checkEvent(run, payload);
  return run.out;
}
