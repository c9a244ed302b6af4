/**
 * Collects schema violations of everything the contract suite receives from the emulator: every response
 * body the SDK parses (through `conformanceHttpClient`) and every webhook delivery (`recordWebhook`).
 * `conformanceReport()` lists them, deduplicated by path, minus the allow-list.
 */
import Stripe from 'stripe';
import { ALLOW_LIST } from './allow-list';
import { loadSchema } from './generate';
import { validateBody, validateEvent, type Violation } from './validate';

interface Seen {
  violation: Violation;
  /** the first request (or webhook event type) that showed it */
  where: string;
  count: number;
}

const seen = new Map<string, Seen>();
let checked = 0;
/** bodies rendered in an older API version (Stripe-Version pinned by the caller): another shape, not checked */
let otherVersion = 0;

const segmentsMatch = (pattern: string, path: string) => {
  const a = pattern.split('.');
  const b = path.split('.');
  return a.length === b.length && a.every((seg, i) => seg === '*' || seg === b[i]);
};

const allowed = (v: Violation) => ALLOW_LIST.some((a) => a.kind === v.kind && segmentsMatch(a.path, v.path));

function add(where: string, violations: Violation[]) {
  checked++;
  violations
    .filter((v) => !allowed(v))
    .forEach((v) => {
      const key = `${v.kind} ${v.path} ${v.detail}`;
      const prev = seen.get(key);
      if (prev) prev.count++;
      else seen.set(key, { violation: v, where, count: 1 });
    });
}

function recordResponse(where: string, body: unknown): void {
  add(where, validateBody(loadSchema(), body));
}

export function recordWebhook(payload: unknown): void {
  const version = typeof payload === 'object' && payload !== null ? (payload as { api_version?: unknown }).api_version : undefined;
  if (typeof version === 'string' && version !== loadSchema().apiVersion) {
    otherVersion++;
    return;
  }
  const type = typeof payload === 'object' && payload !== null ? String((payload as { type?: unknown }).type) : '?';
  add(`webhook ${type}`, validateEvent(loadSchema(), payload));
}

/** How many bodies were checked (and skipped as another API version), and one line per distinct violation. */
export function conformanceReport(): { checked: number; otherVersion: number; violations: string[] } {
  const violations = [...seen.values()].map(
    (s) => `${s.violation.kind}: ${s.violation.path} — ${s.violation.detail} (${s.where}${s.count > 1 ? `, ×${s.count}` : ''})`,
  );
  return { checked, otherVersion, violations };
}

type HttpClient = NonNullable<NonNullable<ConstructorParameters<typeof Stripe>[1]>['httpClient']>;

/** An SDK `httpClient` that behaves as the default Node client and validates every JSON body it parses. */
export function conformanceHttpClient(): HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => inner.getClientName(),
    makeRequest: async (host, port, path, method, headers, data, protocol, timeout) => {
      const res = await inner.makeRequest(host, port, path, method, headers, data, protocol, timeout);
      const where = `${method} ${path.split('?')[0]}`;
      const version = res.getHeaders()['stripe-version'];
      if (typeof version === 'string' && version !== loadSchema().apiVersion) {
        otherVersion++;
        return res;
      }
      return Object.assign(Object.create(res) as typeof res, {
        toJSON: async () => {
          const body = await res.toJSON();
          recordResponse(where, body);
          return body;
        },
      });
    },
  };
}
