/**
 * Contract: webhooks (signed, verified with stripe.webhooks.constructEvent), retries, redelivery,
 * faults, request log, clock + scheduler, reset, persistence. Emulator-only parts are named so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index';
import { sdk, setupContract, waitFor, webhookSink } from './helpers';

const t = setupContract();

describe('webhook endpoints', () => {
  it('create returns a whsec_ secret once; list/retrieve/update/delete', async () => {
    const ep = await t.stripe.webhookEndpoints.create({
      url: 'https://example.com/hooks',
      enabled_events: ['customer.created'],
      description: 'c',
    });
    expect(ep.secret).toMatch(/^whsec_/);
    expect(ep).toMatchObject({ object: 'webhook_endpoint', status: 'enabled', enabled_events: ['customer.created'] });
    const r = await t.stripe.webhookEndpoints.retrieve(ep.id);
    expect(r.secret).toBeUndefined();
    const u = await t.stripe.webhookEndpoints.update(ep.id, { disabled: true, enabled_events: ['*'] });
    expect(u).toMatchObject({ status: 'disabled', enabled_events: ['*'] });
    const all = await t.stripe.webhookEndpoints.list({ limit: 100 });
    expect(all.data.map((e) => e.id)).toContain(ep.id);
    expect(await t.stripe.webhookEndpoints.del(ep.id)).toMatchObject({ id: ep.id, deleted: true });
  });
});

describe('webhook delivery (emulator only)', () => {
  let sink: Awaited<ReturnType<typeof webhookSink>>;
  beforeAll(async () => {
    if (!t.real) sink = await webhookSink({ failFirst: 1 });
  });
  afterAll(async () => {
    await sink?.close();
  });

  t.emulatorOnly('delivers signed events, retries a 500, and redelivers on demand', async () => {
    const ep = await t.stripe.webhookEndpoints.create({ url: sink.url, enabled_events: ['customer.*' as 'customer.created'] });
    const c = await t.stripe.customers.create({ email: 'hook@example.com' });
    await t.stripe.products.create({ name: 'not delivered' });
    const got = await waitFor(() => sink.received.find((r) => r.body.includes(c.id)));
    const event = t.stripe.webhooks.constructEvent(got.body, got.signature, ep.secret!);
    expect(event).toMatchObject({ type: 'customer.created', data: { object: { id: c.id } } });
    // the first attempt got a 500: it was retried
    const deliveries = (await t.control('GET', '/webhooks/deliveries')).body.data;
    expect(deliveries.filter((d: { event: string }) => d.event === event.id).map((d: { status: number }) => d.status)).toEqual([500, 200]);
    expect(sink.received.every((r) => !r.body.includes('product.created'))).toBe(true);
    await waitFor(async () => true);
    const stored = await t.stripe.events.retrieve(event.id);
    expect(stored.pending_webhooks).toBe(0);

    const before = sink.received.length;
    const r = await t.control('POST', '/webhooks/redeliver', { events: [event.id], duplicate: 3, shuffle: true });
    expect(r.body).toMatchObject({ events: 1, deliveries: 3 });
    await waitFor(() => sink.received.length >= before + 3);
    await t.stripe.webhookEndpoints.del(ep.id);
  });

  t.emulatorOnly('startup endpoint from webhookUrl gets every event and survives reset', async () => {
    const s = await webhookSink();
    const emu = await startEmulator({ port: 0, dbPath: ':memory:', quiet: true, webhookUrl: s.url, webhookSecret: 'whsec_test_startup' });
    try {
      const stripe = sdk('sk_test_x', emu.port);
      expect(emu.webhookSecret).toBe('whsec_test_startup');
      await stripe.products.create({ name: 'p' });
      const got = await waitFor(() => s.received[0]);
      expect(stripe.webhooks.constructEvent(got.body, got.signature, 'whsec_test_startup').type).toBe('product.created');
      await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
      await stripe.customers.create({});
      await waitFor(() => s.received.some((r) => r.body.includes('customer.created')));
      expect((await stripe.webhookEndpoints.list()).data).toHaveLength(1);
    } finally {
      await emu.close();
      await s.close();
    }
  });
});

describe('faults (emulator only)', () => {
  t.emulatorOnly('500 once, 429, delay, drop; DELETE clears', async () => {
    await t.control('POST', '/faults', { method: 'GET', path: '/v1/customers', status: 500, times: 1 });
    await expect(t.stripe.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await t.stripe.customers.list(); // times: 1 → next one passes

    await t.control('POST', '/faults', { path: '/v1/products*', status: 429 });
    await expect(t.stripe.products.list()).rejects.toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code: 'rate_limit' });
    await t.control('DELETE', '/faults');
    await t.stripe.products.list();

    await t.control('POST', '/faults', { path: '^/v1/prices$', delayMs: 150, times: 1 });
    const t0 = Date.now();
    await t.stripe.prices.list();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    // stripe-node retries a closed connection once even with maxNetworkRetries: 0
    await t.control('POST', '/faults', { path: '/v1/events', drop: true, times: 1 });
    await t.stripe.events.list();
    await t.control('POST', '/faults', { path: '/v1/events', drop: true, times: 2 });
    await expect(t.stripe.events.list()).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const log = (await t.control('GET', '/requests')).body.data.filter((e: { path: string }) => e.path === '/v1/events');
    expect(log.map((e: { status: number }) => e.status)).toEqual([0, 200, 0, 0]);
    await t.stripe.events.list();
    const bad = await t.control('POST', '/faults', { path: '/v1/x' });
    expect(bad.status).toBe(400);
  });

  t.emulatorOnly('a 500 fault on POST is not stored for idempotent replay', async () => {
    await t.control('POST', '/faults', { method: 'POST', path: '/v1/customers', status: 500, times: 1 });
    const key = `retry-${Date.now()}`;
    await expect(t.stripe.customers.create({ name: 'r' }, { idempotencyKey: key })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    const ok = await t.stripe.customers.create({ name: 'r' }, { idempotencyKey: key });
    expect(ok.name).toBe('r');
  });
});

describe('request log (emulator only)', () => {
  t.emulatorOnly('records every /v1 call oldest first, with since', async () => {
    const before = (await t.control('GET', '/requests')).body.data;
    const last = before[before.length - 1]?.id;
    await t.stripe.customers.list({ limit: 1 });
    await t.stripe.customers.retrieve('cus_missing').catch(() => undefined);
    await t.pk.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: 2040 } as never });
    const r = await t.control('GET', `/requests${last ? `?since=${last}` : ''}`);
    expect(
      r.body.data.map((e: { method: string; path: string; status: number; key: string }) => [e.method, e.path, e.status, e.key]),
    ).toEqual([
      ['GET', '/v1/customers', 200, 'secret'],
      ['GET', '/v1/customers/cus_missing', 404, 'secret'],
      ['POST', '/v1/payment_methods', 200, 'publishable'],
    ]);
    expect(r.body.data[0].id).toMatch(/^req_/);
  });
});

describe('clock and scheduler (emulator only)', () => {
  t.emulatorOnly('advance moves emulator time and runs due jobs in time order', async () => {
    const seen: [string, number][] = [];
    t.emu.app.defineJob('test.record', (ctx, payload: { name: string }) => {
      seen.push([payload.name, ctx.now()]);
      if (payload.name === 'a') ctx.schedule('test.record', ctx.now() + 10, { name: 'a-child' });
    });
    const now = (await t.control('GET', '/clock')).body.now as number;
    const ctx = t.emu.app.makeCtx({});
    t.emu.app.runInTransaction(ctx, () => {
      ctx.schedule('test.record', now + 3600, { name: 'b' });
      ctx.schedule('test.record', now + 60, { name: 'a' });
      ctx.schedule('test.record', now + 999999, { name: 'later' });
      ctx.schedule('test.record', now + 100, { name: 'scoped' }, { scope: 'clock_x' });
    });
    const r = await t.control('POST', '/clock/advance', { seconds: 7200 });
    expect(r.status).toBe(200);
    expect(r.body.now).toBeGreaterThanOrEqual(now + 7200);
    expect(seen.map((s) => s[0])).toEqual(['a', 'a-child', 'b']);
    expect(seen[0]![1]).toBeGreaterThanOrEqual(now + 60);
    expect(seen[0]![1]).toBeLessThan(now + 70);
    expect(seen[2]![1]).toBeGreaterThanOrEqual(now + 3600);
    // new objects carry emulator time
    const c = await t.stripe.customers.create({});
    expect(c.created).toBeGreaterThanOrEqual(now + 7200);
    expect((await t.control('POST', '/clock/advance', { to: now })).status).toBe(400);
    expect(t.emu.app.runDueJobs({ scope: 'clock_x', until: now + 100 })).toBe(1);
  });
});

describe('reset and persistence (emulator only)', () => {
  t.emulatorOnly('state survives a restart on the same SQLite file; reset wipes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-'));
    const dbPath = join(dir, 'emu.sqlite');
    try {
      let emu = await startEmulator({ port: 0, dbPath, quiet: true });
      let stripe = sdk('sk_test_x', emu.port);
      const c = await stripe.customers.create({ email: 'persist@example.com' });
      await fetch(`${emu.url}/_emulator/clock/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seconds: 86400 * 3 }),
      });
      const clock1 = (await (await fetch(`${emu.url}/_emulator/clock`)).json()).now;
      await emu.close();
      emu = await startEmulator({ port: 0, dbPath, quiet: true });
      stripe = sdk('sk_test_x', emu.port);
      expect((await stripe.customers.retrieve(c.id)).id).toBe(c.id);
      const clock2 = (await (await fetch(`${emu.url}/_emulator/clock`)).json()).now;
      expect(clock2).toBeGreaterThanOrEqual(clock1);
      expect(await (await fetch(`${emu.url}/_emulator/health`)).json()).toEqual({ ok: true });
      await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
      await expect(stripe.customers.retrieve(c.id)).rejects.toMatchObject({ statusCode: 404 });
      await emu.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('health is reachable', async () => {
  if (t.real) return;
  expect((await t.control('GET', '/health')).body).toEqual({ ok: true });
});

describe('event retention (emulator only)', () => {
  t.emulatorOnly('events expire 30 days after they were stored, whatever their created time', async () => {
    const c = await t.stripe.customers.create({ name: 'old' });
    const ev = (await t.stripe.events.list({ type: 'customer.created', limit: 1 })).data[0]!;
    expect((ev.data.object as Stripe.Customer).id).toBe(c.id);
    // an event stamped with an old test-clock time is kept: retention counts from storage
    const ctx = t.emu.app.makeCtx({});
    const old = t.emu.app.runInTransaction(ctx, () =>
      t.emu.app.clock.pinnedAt(1_600_000_000, () => ctx.emit('customer.updated', c, { name: null })),
    );
    await t.control('POST', '/clock/advance', { seconds: 60 });
    expect((await t.stripe.events.retrieve(old.id)).created).toBe(1_600_000_000);
    await t.control('POST', '/clock/advance', { seconds: 31 * 86400 });
    await expect(t.stripe.events.retrieve(ev.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(t.stripe.events.retrieve(old.id)).rejects.toMatchObject({ statusCode: 404 });
  });
});
