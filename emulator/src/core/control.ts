/**
 * Control API under /_emulator (never /v1). JSON in, JSON out, no auth.
 */
import type Stripe from 'stripe';
import type { EmulatorApp } from './app';
import { errors } from './errors';
import { STRIPE_RATES, defaultRateConfig, type RateLimitConfig, type RateMode } from './rate-limits';
import { globToRegExp, type EmulatorServer, type FaultRule } from './server';
import type { WebhookDispatcher } from './webhooks';

let faultSeq = 0;

function num(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw errors.invalid(`Invalid number for ${name}: ${String(v)}`, name);
  return n;
}

export function registerControl(app: EmulatorApp, server: EmulatorServer, dispatcher: WebhookDispatcher, onReset: () => void): void {
  const none = { auth: 'none' as const };
  app.get('/_emulator/health', undefined, () => ({ ok: true }), { ...none, transaction: false });

  app.post(
    '/_emulator/reset',
    undefined,
    () => {
      dispatcher.clear();
      server.faults = [];
      server.rateLimiter.configure({ ...server.rateLimitsAtStart });
      server.requestLog.length = 0;
      app.reset();
      onReset();
      return { ok: true };
    },
    { ...none, transaction: false },
  );

  app.get('/_emulator/clock', undefined, () => ({ now: app.clock.now(), now_ms: app.clock.nowMs() }), { ...none, transaction: false });

  app.post(
    '/_emulator/clock/advance',
    undefined,
    (_ctx, params) => {
      const raw = params as Record<string, unknown>;
      const seconds = num(raw.seconds, 'seconds');
      const to = num(raw.to, 'to');
      if (seconds === undefined && to === undefined) throw errors.missingParam('seconds');
      if (seconds !== undefined && seconds < 0) throw errors.invalid('seconds must be >= 0', 'seconds');
      const target = to ?? app.clock.now() + Math.floor(seconds!);
      // `deliver: false`: the events the jobs emit are stored, not sent (a load test then redelivers them).
      const r = withDelivery(app, raw.deliver !== false && raw.deliver !== 'false', () => app.advanceClock(Math.floor(target)));
      return { now: r.to, from: r.from, jobs: r.jobs };
    },
    { ...none, transaction: false },
  );

  app.get(
    '/_emulator/requests',
    undefined,
    (_ctx, params) => {
      const since = (params as Record<string, unknown>).since;
      let data = server.requestLog;
      if (typeof since === 'string' && since) {
        const i = data.findIndex((r) => r.id === since);
        data = i >= 0 ? data.slice(i + 1) : data;
      }
      return { data };
    },
    { ...none, transaction: false },
  );

  app.post(
    '/_emulator/faults',
    undefined,
    (_ctx, params) => {
      const raw = params as Record<string, unknown>;
      if (typeof raw.path !== 'string' || !raw.path) throw errors.missingParam('path');
      let re: RegExp;
      try {
        re = globToRegExp(raw.path);
      } catch {
        throw errors.invalid(`Invalid path pattern: ${raw.path}`, 'path');
      }
      const ratio = num(raw.ratio, 'ratio');
      if (ratio !== undefined && (ratio < 0 || ratio > 1)) throw errors.invalid('ratio must be between 0 and 1', 'ratio');
      const status = num(raw.status, 'status');
      const rule: FaultRule = {
        id: `fault_${++faultSeq}`,
        method: typeof raw.method === 'string' ? raw.method.toUpperCase() : undefined,
        path: raw.path,
        status,
        delayMs: num(raw.delayMs, 'delayMs'),
        drop: raw.drop === true || raw.drop === 'true',
        times: num(raw.times, 'times'),
        ratio,
        hits: 0,
        re,
      };
      if (!rule.status && !rule.delayMs && !rule.drop) throw errors.invalid('A fault needs status, delayMs or drop.', 'status');
      server.faults.push(rule);
      const { re: _re, ...out } = rule;
      return out;
    },
    { ...none, transaction: false },
  );
  app.get('/_emulator/faults', undefined, () => ({ data: server.faults.map(({ re: _re, ...f }) => f) }), { ...none, transaction: false });
  app.del(
    '/_emulator/faults',
    undefined,
    () => {
      server.faults = [];
      return { ok: true };
    },
    { ...none, transaction: false },
  );

  // Stripe's rate limits (rate-limits.ts): off by default; `enabled`, `mode` (test | live) and
  // per-second overrides; every change starts with full buckets and zeroed counters.
  const rateLimitsView = () => {
    const c = server.rateLimiter.config;
    return {
      enabled: c.enabled,
      mode: c.mode,
      global: c.global,
      endpoint: c.endpoint,
      split_read_write: c.splitReadWrite,
      documented: STRIPE_RATES,
      limited: { ...server.rateLimiter.limited },
    };
  };
  app.get('/_emulator/rate-limits', undefined, rateLimitsView, { ...none, transaction: false });
  app.post(
    '/_emulator/rate-limits',
    undefined,
    (_ctx, params) => {
      const raw = params as Record<string, unknown>;
      const current = server.rateLimiter.config;
      if (raw.mode !== undefined && raw.mode !== 'test' && raw.mode !== 'live')
        throw errors.invalid(`Invalid mode: ${String(raw.mode)} (test or live)`, 'mode');
      const mode = (raw.mode as RateMode | undefined) ?? current.mode;
      const base = raw.mode !== undefined && raw.mode !== current.mode ? defaultRateConfig(mode, current.enabled) : current;
      const rate = (name: 'global' | 'endpoint') => {
        const n = num(raw[name], name);
        if (n !== undefined && !(n > 0)) throw errors.invalid(`${name} must be a number of requests per second above 0`, name);
        return n ?? base[name];
      };
      const flag = (v: unknown, fallback: boolean) => (v === undefined ? fallback : v === true || v === 'true');
      const next: RateLimitConfig = {
        enabled: flag(raw.enabled, true),
        mode,
        global: rate('global'),
        endpoint: rate('endpoint'),
        splitReadWrite: flag(raw.split_read_write, base.splitReadWrite),
      };
      server.rateLimiter.configure(next);
      return rateLimitsView();
    },
    { ...none, transaction: false },
  );
  app.del(
    '/_emulator/rate-limits',
    undefined,
    () => {
      server.rateLimiter.configure(defaultRateConfig(server.rateLimiter.config.mode, false));
      return rateLimitsView();
    },
    { ...none, transaction: false },
  );

  app.post(
    '/_emulator/webhooks/redeliver',
    undefined,
    (_ctx, params) => {
      const raw = params as Record<string, unknown>;
      let events: Stripe.Event[];
      if (Array.isArray(raw.events)) {
        events = raw.events.map((id) => app.store.require('event', String(id), 'events'));
      } else if (raw.since !== undefined) {
        const all = app.store.all('event').reverse(); // oldest first
        if (typeof raw.since === 'number' || /^\d+$/.test(String(raw.since))) events = all.filter((e) => e.created >= Number(raw.since));
        else {
          const i = all.findIndex((e) => e.id === raw.since);
          if (i < 0) throw errors.noSuch('event', String(raw.since), 'since');
          events = all.slice(i + 1);
        }
      } else events = app.store.all('event').reverse();
      const queued = dispatcher.redeliver(events, {
        duplicate: num(raw.duplicate, 'duplicate'),
        shuffle: raw.shuffle === true || raw.shuffle === 'true',
      });
      return { events: events.length, deliveries: queued };
    },
    { ...none, transaction: false },
  );

  app.get('/_emulator/webhooks/deliveries', undefined, () => ({ data: dispatcher.attempts, pending: dispatcher.pending() }), {
    ...none,
    transaction: false,
  });

  app.get('/_emulator/jobs', undefined, () => ({ data: app.listJobs() }), { ...none, transaction: false });

  /**
   * Bulk seed for load tests: `count` customers, each with `payment_method` (default pm_card_visa)
   * attached and a subscription to `price`, made by the same route handlers as the API (in-process,
   * no HTTP). `deliver: false` stores the events without sending webhooks (as if the objects predated
   * the endpoint). Answers the subscription ids, in creation order.
   */
  app.post(
    '/_emulator/seed/subscriptions',
    undefined,
    (_ctx, params) => {
      const raw = params as Record<string, unknown>;
      const count = num(raw.count, 'count');
      if (count === undefined || count < 1 || count > 100_000 || !Number.isInteger(count))
        throw errors.invalid('count must be an integer between 1 and 100000', 'count');
      if (typeof raw.price !== 'string' || !raw.price) throw errors.missingParam('price');
      const price = raw.price;
      const pm = typeof raw.payment_method === 'string' && raw.payment_method ? raw.payment_method : 'pm_card_visa';
      const prefix = typeof raw.email_prefix === 'string' && raw.email_prefix ? raw.email_prefix : 'seed';
      return withDelivery(app, raw.deliver !== false && raw.deliver !== 'false', () => {
        const ids = Array.from({ length: count }, (_, i) => {
          const customer = callRoute<{ id: string }>(app, 'POST', '/v1/customers', { email: `${prefix}-${i}@example.com` });
          const method = callRoute<{ id: string }>(app, 'POST', `/v1/payment_methods/${pm}/attach`, { customer: customer.id });
          const sub = callRoute<{ id: string }>(app, 'POST', '/v1/subscriptions', {
            customer: customer.id,
            items: [{ price }],
            default_payment_method: method.id,
          });
          return sub.id;
        });
        return { object: 'list', data: ids, count: ids.length };
      });
    },
    { ...none, transaction: false },
  );
}

/** Runs `fn` with webhook delivery on or off (off: events are stored, not sent). */
function withDelivery<T>(app: EmulatorApp, deliver: boolean, fn: () => T): T {
  if (deliver) return fn();
  const saved = app.deliver;
  app.deliver = () => undefined;
  try {
    return fn();
  } finally {
    app.deliver = saved;
  }
}

/** One API call through its route handler and parameter schema, in its own transaction (no HTTP). */
function callRoute<T>(app: EmulatorApp, method: string, path: string, raw: Record<string, unknown>): T {
  const matched = app.match(method, path);
  if (!matched) throw errors.unrecognizedUrl(method, path);
  const ctx = app.makeCtx({ auth: 'secret' });
  const schema = app.paramSchema(matched.route);
  const params = schema ? schema.parse(raw, '') : raw;
  const req = { method, path, pathParams: matched.pathParams, query: new URLSearchParams(), headers: {}, rawBody: '' };
  return app.runInTransaction(ctx, () => matched.route.handler(ctx, params as never, req)) as T;
}
