import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { db } from '~/db/client.server';
import { stripeEvents } from '~/db/schema';
import { resetEnvCache } from '~/lib/env.server';
import { action, loader } from '~/routes/webhooks.stripe';
import { MAX_WEBHOOK_BYTES, verifyStripeSignature } from '~/webhooks/inbox.server';
import { loadEvent, signatureFor, webhookRequest } from '../helpers/stripe-events';

const SECRET = 'whsec_intake_test_current_0123456789';
const OLD_SECRET = 'whsec_intake_test_previous_987654321';

async function post(payload: string, headers: Record<string, string>) {
  const res = (await action({ request: webhookRequest(payload, headers), params: {}, context: {} })) as Response;
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const rows = () => db().select().from(stripeEvents).all();

describe('POST /webhooks/stripe (intake)', () => {
  beforeAll(() => {
    process.env.STRIPE_WEBHOOK_SECRET = `${SECRET}, ${OLD_SECRET}`;
    resetEnvCache();
  });
  afterAll(() => {
    delete process.env.STRIPE_WEBHOOK_SECRET;
    resetEnvCache();
  });
  beforeEach(() => {
    db().delete(stripeEvents).run();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  it('stores a valid event once, as pending, with its id in `id`', async () => {
    const event = loadEvent('customer.subscription.updated');
    const payload = JSON.stringify(event);
    const res = await post(payload, { 'Stripe-Signature': signatureFor(payload, SECRET) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: true, duplicate: false, status: 'pending' });
    const stored = rows();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      id: event.id,
      type: 'customer.subscription.updated',
      objectId: 'sub_1FixtureSubscription01',
      status: 'pending',
      attempts: 0,
      payload,
    });
  });

  it('answers 200 to five concurrent deliveries of one event and stores it once', async () => {
    const payload = JSON.stringify(loadEvent('invoice.paid'));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => post(payload, { 'Stripe-Signature': signatureFor(payload, SECRET) })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(rows()).toHaveLength(1);
  });

  it('commits events that arrive together in one go, and answers each after its row is stored', async () => {
    const base = loadEvent('invoice.paid');
    const payloads = Array.from({ length: 12 }, (_, i) => JSON.stringify({ ...base, id: `evt_group_${i}` }));
    const results = await Promise.all(payloads.map((p) => post(p, { 'Stripe-Signature': signatureFor(p, SECRET) })));
    expect(results.map((r) => [r.status, r.body.duplicate])).toEqual(payloads.map(() => [200, false]));
    expect(
      rows()
        .map((r) => r.id)
        .sort(),
    ).toEqual(payloads.map((_, i) => `evt_group_${i}`).sort());
  });

  it('gives each event of a group its own outcome when the group cannot be committed', async () => {
    const sqlite = db().$client;
    sqlite.exec(
      `create temp trigger refuse_one before insert on stripe_events when new.id = 'evt_group_bad' begin select raise(abort, 'refused by the test'); end`,
    );
    try {
      const base = loadEvent('invoice.paid');
      const ids = ['evt_group_a', 'evt_group_bad', 'evt_group_b'];
      const settled = await Promise.allSettled(
        ids.map((id) => {
          const p = JSON.stringify({ ...base, id });
          return post(p, { 'Stripe-Signature': signatureFor(p, SECRET) });
        }),
      );
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/refused by the test/);
      expect(
        rows()
          .map((r) => r.id)
          .sort(),
      ).toEqual(['evt_group_a', 'evt_group_b']);
    } finally {
      sqlite.exec('drop trigger refuse_one');
    }
  });

  it('accepts the previous secret during a rotation, and any of several v1 signatures', async () => {
    const payload = JSON.stringify(loadEvent('invoice.paid'));
    expect((await post(payload, { 'Stripe-Signature': signatureFor(payload, OLD_SECRET) })).status).toBe(200);
    const t = Math.floor(Date.now() / 1000);
    const good = signatureFor(payload, SECRET, t).split(',v1=')[1];
    const header = `t=${t},v1=${'0'.repeat(64)},v1=${good}`;
    expect((await post(payload, { 'Stripe-Signature': header })).status).toBe(200);
  });

  it('stores an unknown event type as ignored and answers 200', async () => {
    const payload = JSON.stringify(loadEvent('radar.early_fraud_warning.created'));
    const res = await post(payload, { 'Stripe-Signature': signatureFor(payload, SECRET) });
    expect(res.status).toBe(200);
    expect(rows()).toMatchObject([{ type: 'radar.early_fraud_warning.created', status: 'ignored' }]);
    expect(rows()[0]!.processedAt).not.toBeNull();
  });

  const payload = () => JSON.stringify(loadEvent('invoice.paid'));
  const rejections: [string, () => Record<string, string>, () => string, RegExp][] = [
    [
      'forged (signed with another secret)',
      () => ({ 'Stripe-Signature': signatureFor(payload(), 'whsec_attacker_secret') }),
      payload,
      /does not match/,
    ],
    [
      'stale (signed 301 s ago)',
      () => ({ 'Stripe-Signature': signatureFor(payload(), SECRET, Math.floor(Date.now() / 1000) - 301) }),
      payload,
      /tolerance/,
    ],
    [
      'tampered (body changed after signing)',
      () => ({ 'Stripe-Signature': signatureFor(payload(), SECRET) }),
      () => payload().replace('4900', '1'),
      /does not match/,
    ],
    ['unsigned', () => ({}), payload, /missing Stripe-Signature/],
    ['garbage signature header', () => ({ 'Stripe-Signature': 'hello' }), payload, /malformed/],
    ['signed but not JSON', () => ({ 'Stripe-Signature': signatureFor('{not json', SECRET) }), () => '{not json', /not a Stripe event/],
    [
      'signed JSON that is not an event',
      () => ({ 'Stripe-Signature': signatureFor('{"id":1}', SECRET) }),
      () => '{"id":1}',
      /not a Stripe event/,
    ],
  ];
  for (const [name, headers, body, reason] of rejections) {
    it(`rejects a ${name} request with 400, stores nothing and warns without the body`, async () => {
      const res = await post(body(), headers());
      expect(res.status).toBe(400);
      expect(String(res.body.error)).toMatch(reason);
      expect(rows()).toHaveLength(0);
      const warned = vi
        .mocked(console.warn)
        .mock.calls.map((c) => c.join(' '))
        .join('\n');
      expect(warned).toMatch(/stripe webhook rejected \(400\)/);
      expect(warned).not.toContain('in_FixtureInvoice01');
      expect(warned).not.toContain(SECRET);
    });
  }

  it('answers 413 to a body over 1 MiB, declared or not, and stores nothing', async () => {
    const big = JSON.stringify({ ...loadEvent('invoice.paid'), padding: 'x'.repeat(MAX_WEBHOOK_BYTES) });
    const declared = await post(big, { 'Stripe-Signature': signatureFor(big, SECRET) });
    expect(declared.status).toBe(413);
    // Without Content-Length (chunked): the cap applies while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(big);
        for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.slice(i, i + 64 * 1024));
        controller.close();
      },
    });
    const request = new Request('http://localhost:3999/webhooks/stripe', {
      method: 'POST',
      body: stream,
      headers: { 'Stripe-Signature': signatureFor(big, SECRET) },
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.get('content-length')).toBeNull();
    const res = (await action({ request, params: {}, context: {} })) as Response;
    expect(res.status).toBe(413);
    expect(rows()).toHaveLength(0);
  });

  it('answers 405 to other methods', async () => {
    const res = (await loader()) as Response;
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const put = (await action({
      request: new Request('http://localhost:3999/webhooks/stripe', { method: 'PUT', body: '{}' }),
      params: {},
      context: {},
    })) as Response;
    expect(put.status).toBe(405);
  });
});

describe('verifyStripeSignature', () => {
  const body = Buffer.from('{"id":"evt_1"}');
  it('agrees with the official SDK and with Stripe’s tolerance (only old timestamps fail)', () => {
    const now = 1_800_000_000;
    expect(verifyStripeSignature(body, signatureFor(body.toString(), SECRET, now), [SECRET], now)).toEqual({ ok: true });
    expect(verifyStripeSignature(body, signatureFor(body.toString(), SECRET, now - 300), [SECRET], now).ok).toBe(true);
    expect(verifyStripeSignature(body, signatureFor(body.toString(), SECRET, now - 301), [SECRET], now).ok).toBe(false);
    expect(verifyStripeSignature(body, signatureFor(body.toString(), SECRET, now + 600), [SECRET], now).ok).toBe(true);
    expect(verifyStripeSignature(body, signatureFor(body.toString(), SECRET, now), [], now)).toEqual({
      ok: false,
      reason: 'no webhook secret configured',
    });
  });
  it('does not match a secret that is a prefix of the real one', () => {
    expect(verifyStripeSignature(body, signatureFor(body.toString(), SECRET), [SECRET.slice(0, -1)]).ok).toBe(false);
  });
});
