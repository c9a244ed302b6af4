/**
 * Stripe's search query language: clauses `field:'value'` (exact), `field~'value'` (substring, at
 * least 3 characters), `-field:'value'` (negation), `metadata['key']:'value'`, `created>123` (>, >=,
 * <, <=), `field:null`, joined by AND or by OR (Stripe does not allow both in one query; a space
 * between clauses is AND). `register` serves `/v1/{charges,payment_intents,invoices,subscriptions}/search`
 * with the fields Stripe documents for each (customers, prices and products have their own routes).
 */
import { errors, p, type EmulatorApp } from '../core';

type Pred = (o: Record<string, any>) => boolean;

type Getters = Record<string, (o: Record<string, any>) => unknown>;

/** `fields`: the resource's searchable fields (any other is refused, as on Stripe); without it, any top-level field. */
export function searchFilter(query: string, fields?: { resource: string; getters: Getters }): Pred {
  const q = query.trim();
  if (!q) throw errors.invalidParam('query', 'Invalid search query: empty');
  const hasOr = /\sOR\s/.test(q);
  const hasAnd = /\sAND\s/.test(q);
  if (hasOr && hasAnd) throw errors.invalidParam('query', 'Invalid search query: cannot mix AND and OR');
  const parts = q.split(hasOr ? /\s+OR\s+/ : /\s+AND\s+|\s+(?=(?:-?[a-z_][a-z0-9_.]*(?:\['[^']*'\])?)\s*(?::|~|>=|<=|>|<))/);
  const preds = parts.map((c) => clause(c, fields));
  return hasOr ? (o) => preds.some((p) => p(o)) : (o) => preds.every((p) => p(o));
}

function clause(c: string, fields?: { resource: string; getters: Getters }): Pred {
  const m = /^(-?)([a-z_][a-z0-9_.]*)(?:\['([^']*)'\])?\s*(:|~|>=|<=|>|<)\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(
    c.trim(),
  );
  if (!m) throw errors.invalidParam('query', `Invalid search query: could not parse "${c}"`);
  const [, neg, field, key, op, s1, s2, bare] = m;
  const raw = (s1 ?? s2 ?? bare ?? '').replace(/\\(.)/g, '$1');
  if (fields && !(field! in fields.getters))
    throw errors.invalidParam(
      'query',
      `Field \`${field}\` is an unsupported search field for resource \`${fields.resource}\`. Supported fields: ${Object.keys(fields.getters).join(', ')}.`,
    );
  if (/^[<>]/.test(op!) && !/^-?\d+(\.\d+)?$/.test(raw))
    throw errors.invalidParam('query', `Invalid search query: ${op} compares numbers ("${c.trim()}").`);
  const read = fields?.getters[field!];
  const get = (o: Record<string, any>) => (field === 'metadata' ? o.metadata?.[key ?? ''] : read ? read(o) : o[field!]);
  if (op === '~' && raw.length < 3)
    throw errors.invalidParam('query', `Invalid search query: a substring match (~) needs at least 3 characters ("${c.trim()}").`);
  let pred: Pred;
  if (op === ':' && raw === 'null' && bare !== undefined) pred = (o) => get(o) === null || get(o) === undefined;
  else if (op === ':') pred = (o) => (get(o) === undefined || get(o) === null ? false : String(get(o)).toLowerCase() === raw.toLowerCase());
  else if (op === '~')
    pred = (o) =>
      String(get(o) ?? '')
        .toLowerCase()
        .includes(raw.toLowerCase());
  else {
    const n = Number(raw);
    pred = (o) => {
      const v = Number(get(o));
      return op === '>' ? v > n : op === '>=' ? v >= n : op === '<' ? v < n : v <= n;
    };
  }
  return neg ? (o) => !pred(o) : pred;
}

/** The query fields Stripe documents per searchable resource (docs.stripe.com/search#query-fields). */
const FIELDS: Record<string, Record<string, string>> = {
  charges: {
    amount: 'amount',
    'billing_details.address.postal_code': 'billing_details.address.postal_code',
    created: 'created',
    currency: 'currency',
    customer: 'customer',
    disputed: 'disputed',
    metadata: 'metadata',
    'payment_method_details.card.last4': 'payment_method_details.card.last4',
    'payment_method_details.card.exp_month': 'payment_method_details.card.exp_month',
    'payment_method_details.card.exp_year': 'payment_method_details.card.exp_year',
    'payment_method_details.card.brand': 'payment_method_details.card.brand',
    'payment_method_details.card.fingerprint': 'payment_method_details.card.fingerprint',
    refunded: 'refunded',
    status: 'status',
  },
  invoices: {
    created: 'created',
    currency: 'currency',
    customer: 'customer',
    last_finalization_error_code: 'last_finalization_error.code',
    last_finalization_error_type: 'last_finalization_error.type',
    metadata: 'metadata',
    number: 'number',
    receipt_number: 'receipt_number',
    status: 'status',
    subscription: 'parent.subscription_details.subscription',
    total: 'total',
  },
  payment_intents: {
    amount: 'amount',
    created: 'created',
    currency: 'currency',
    customer: 'customer',
    metadata: 'metadata',
    status: 'status',
  },
  subscriptions: { created: 'created', metadata: 'metadata', status: 'status' },
};

/** Reads a dotted path (`parent.subscription_details.subscription`). */
function pathGetter(path: string): (o: Record<string, any>) => unknown {
  const segs = path.split('.');
  return (o) => segs.reduce<any>((v, s) => (v == null ? undefined : v[s]), o);
}

const searchParams = p.object({ query: p.string().required(), limit: p.integer({ min: 1, max: 100 }), page: p.string() });

/**
 * `GET /v1/<resource>/search`: newest first, `limit` (default 10) a page, `next_page` an opaque
 * token for `page`; `total_count` only when asked with `expand[]=total_count`, as on Stripe. Unlike
 * Stripe (whose index lags writes by up to a minute), the emulator's results are current at once.
 */
function searchRoute(app: EmulatorApp, resource: keyof typeof FIELDS & string, type: string): void {
  const url = `/v1/${resource}/search`;
  const getters = Object.fromEntries(Object.entries(FIELDS[resource]!).map(([k, f]) => [k, pathGetter(f)]));
  app.get(url, searchParams, (ctx, params) => {
    const pred = searchFilter(params.query, { resource, getters });
    const matched = ctx.store.all(type).filter(pred);
    const offset = params.page ? decodePage(params.page) : 0;
    const limit = params.limit ?? 10;
    const hasMore = offset + limit < matched.length;
    const withTotal = params.expand?.includes('total_count') ?? false;
    // total_count is computed here, not expanded from an id: take it out of what the server expands
    if (withTotal) params.expand = params.expand!.filter((e) => e !== 'total_count');
    return {
      object: 'search_result',
      data: matched.slice(offset, offset + limit),
      has_more: hasMore,
      next_page: hasMore ? Buffer.from(`offset:${offset + limit}`).toString('base64url') : null,
      url,
      ...(withTotal ? { total_count: matched.length } : {}),
    };
  });
}

function decodePage(page: string): number {
  const m = /^offset:(\d+)$/.exec(Buffer.from(page, 'base64url').toString());
  if (!m) throw errors.invalidParam('page', 'Invalid page token: pass the next_page of a previous search with the same query.');
  return Number(m[1]);
}

export function register(app: EmulatorApp): void {
  searchRoute(app, 'charges', 'charge');
  searchRoute(app, 'payment_intents', 'payment_intent');
  searchRoute(app, 'invoices', 'invoice');
  searchRoute(app, 'subscriptions', 'subscription');
}
