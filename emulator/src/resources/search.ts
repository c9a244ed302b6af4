/**
 * A small subset of Stripe's search query language: clauses `field:'value'` (exact),
 * `field~'value'` (substring), `-field:'value'` (negation), `metadata['key']:'value'`,
 * `created>123` (>, >=, <, <=), `field:null`, joined by all-AND or all-OR.
 */
import { errors } from '../core';

type Pred = (o: Record<string, any>) => boolean;

export function searchFilter(query: string): Pred {
  const q = query.trim();
  if (!q) throw errors.invalidParam('query', 'Invalid search query: empty');
  const hasOr = /\sOR\s/.test(q);
  const hasAnd = /\sAND\s/.test(q);
  if (hasOr && hasAnd) throw errors.invalidParam('query', 'Invalid search query: cannot mix AND and OR');
  const parts = q.split(hasOr ? /\s+OR\s+/ : /\s+AND\s+|\s+(?=(?:-?[a-z_]+(?:\['[^']*'\])?)\s*(?::|~|>=|<=|>|<))/);
  const preds = parts.map(clause);
  return hasOr ? (o) => preds.some((p) => p(o)) : (o) => preds.every((p) => p(o));
}

function clause(c: string): Pred {
  const m = /^(-?)([a-z_]+)(?:\['([^']*)'\])?\s*(:|~|>=|<=|>|<)\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(c.trim());
  if (!m) throw errors.invalidParam('query', `Invalid search query: could not parse "${c}"`);
  const [, neg, field, key, op, s1, s2, bare] = m;
  const raw = (s1 ?? s2 ?? bare ?? '').replace(/\\(.)/g, '$1');
  const get = (o: Record<string, any>) => (field === 'metadata' ? o.metadata?.[key ?? ''] : o[field!]);
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
