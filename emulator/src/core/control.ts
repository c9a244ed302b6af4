/**
 * Control API under /_emulator (never /v1). JSON in, JSON out, no auth.
 */
import type Stripe from 'stripe';
import type { EmulatorApp } from './app';
import { errors } from './errors';
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
      const r = app.advanceClock(Math.floor(target));
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
}
