import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '~/lib/clock.server';
import { followClock, followedClockReached } from '~/lib/clock-follow.server';
import { resetEnvCache } from '~/lib/env.server';
import { action } from '~/routes/webhooks.stripe';
import { loadEvent, signatureFor, webhookRequest } from '../helpers/stripe-events';

const SECRET = 'whsec_clock_follow_test_0123456789';
const DAY = 86_400_000;

/** A clock source over real HTTP, as the emulator's `/_emulator/clock` answers: `{ now, now_ms }`. */
let sourceMs = Date.now();
let server: http.Server;
let url = '';

async function until(check: () => boolean, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function deliver(createdSeconds: number) {
  const event = { ...loadEvent('customer.subscription.updated'), id: `evt_clock_${createdSeconds}`, created: createdSeconds };
  const payload = JSON.stringify(event);
  const res = (await action({
    request: webhookRequest(payload, { 'Stripe-Signature': signatureFor(payload, SECRET) }),
    params: {},
    context: {},
  })) as Response;
  return res.status;
}

describe("the app's clock following the emulator's", () => {
  let stop: (() => void) | null = null;
  beforeAll(async () => {
    process.env.STRIPE_WEBHOOK_SECRET = SECRET;
    resetEnvCache();
    server = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ now: Math.floor(sourceMs / 1000), now_ms: sourceMs }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_emulator/clock`;
  });
  afterEach(() => {
    stop?.();
    stop = null;
    clock.reset();
  });
  afterAll(async () => {
    delete process.env.STRIPE_WEBHOOK_SECRET;
    resetEnvCache();
    await new Promise((r) => server.close(r));
  });

  it('follows the source by polling it', async () => {
    sourceMs = Date.now() + 10 * DAY;
    stop = followClock(url, 50);
    await until(() => clock.nowMs() >= sourceMs);
    expect(clock.nowMs() - sourceMs).toBeLessThan(DAY);
  });

  it('moves forward at once to a signed event from after the last poll, before the next poll', async () => {
    sourceMs = Date.now();
    stop = followClock(url, 60_000);
    await until(() => Math.abs(clock.nowMs() - Date.now()) < 1_000);
    // The emulator's clock jumps 32 days; its renewal's webhook arrives before the next poll would.
    const jumped = Math.floor((Date.now() + 32 * DAY) / 1000);
    expect(await deliver(jumped)).toBe(200);
    expect(clock.nowMs()).toBeGreaterThanOrEqual(jumped * 1000);
    expect(clock.nowMs()).toBeLessThan(jumped * 1000 + 5_000);
    // An older event never moves it back.
    expect(await deliver(jumped - 86_400)).toBe(200);
    expect(clock.nowMs()).toBeGreaterThanOrEqual(jumped * 1000);
  });

  it('is not moved by events when it follows nothing (real Stripe), nor by unsigned ones', async () => {
    const future = Math.floor((Date.now() + 40 * DAY) / 1000);
    expect(await deliver(future)).toBe(200);
    expect(clock.nowMs()).toBeLessThan(Date.now() + DAY);

    sourceMs = Date.now();
    stop = followClock(url, 60_000);
    const event = { ...loadEvent('invoice.paid'), id: 'evt_clock_unsigned', created: future };
    const payload = JSON.stringify(event);
    const res = (await action({
      request: webhookRequest(payload, { 'Stripe-Signature': signatureFor(payload, 'whsec_someone_else_0123456789') }),
      params: {},
      context: {},
    })) as Response;
    expect(res.status).toBe(400);
    expect(clock.nowMs()).toBeLessThan(Date.now() + DAY);
    // Stopped following: a signed event no longer moves it either.
    stop();
    stop = null;
    followedClockReached(future * 1000);
    expect(clock.nowMs()).toBeLessThan(Date.now() + DAY);
  });
});
