/**
 * Contract: wire format, errors, idempotency, pagination, expansion, customers, products, prices,
 * events — through the official SDK only.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { sdk, setupContract, uniq } from './helpers';

const t = setupContract();

describe('customers', () => {
  it('create, retrieve, update (metadata merge/unset), delete', async () => {
    const email = `${uniq()}@example.com`;
    const c = await t.stripe.customers.create({ email, name: 'Ada', metadata: { plan: 'pro', keep: 'yes' } });
    expect(c.id).toMatch(/^cus_[A-Za-z0-9]+$/);
    expect(c).toMatchObject({ object: 'customer', email, name: 'Ada', livemode: false, metadata: { plan: 'pro', keep: 'yes' } });
    expect(c.invoice_settings.default_payment_method).toBeNull();

    const u = await t.stripe.customers.update(c.id, { metadata: { plan: '', added: '1' }, name: null as unknown as string });
    expect(u.metadata).toEqual({ keep: 'yes', added: '1' });
    expect(u.name).toBeNull();

    const r = await t.stripe.customers.retrieve(c.id);
    expect(r).toMatchObject({ id: c.id, metadata: { keep: 'yes', added: '1' } });

    const d = await t.stripe.customers.del(c.id);
    expect(d).toEqual({ id: c.id, object: 'customer', deleted: true });
    const gone = await t.stripe.customers.retrieve(c.id);
    expect(gone.deleted).toBe(true);
    await expect(t.stripe.customers.update(c.id, { name: 'x' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('default payment method from a test id, expanded nested', async () => {
    const c = await t.stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
      expand: ['invoice_settings.default_payment_method'],
    });
    const pm = c.invoice_settings.default_payment_method as Stripe.PaymentMethod;
    expect(pm.object).toBe('payment_method');
    expect(pm.id).not.toBe('pm_card_visa');
    expect(pm.customer).toBe(c.id);
    expect(pm.card?.last4).toBe('4242');
  });

  it('lists filtered by email with auto-pagination, newest first', async () => {
    const email = `${uniq()}@example.com`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await t.stripe.customers.create({ email, name: `n${i}` })).id);
    const first = await t.stripe.customers.list({ email, limit: 3 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(first.data.map((c) => c.id)).toEqual(ids.slice().reverse().slice(0, 3));
    const all = await t.stripe.customers.list({ email, limit: 3 }).autoPagingToArray({ limit: 100 });
    expect(all.map((c) => c.id)).toEqual(ids.slice().reverse());
    const before = await t.stripe.customers.list({ email, limit: 2, ending_before: ids[2] });
    expect(before.data.map((c) => c.id)).toEqual([ids[4], ids[3]]);
    expect(before.has_more).toBe(true);
    const expanded = await t.stripe.customers.list({ email, limit: 1, expand: ['data.invoice_settings.default_payment_method'] });
    expect(expanded.data).toHaveLength(1);
  });
});

describe('wire and errors', () => {
  it('unknown params are rejected, naming nested params in bracket form', async () => {
    await expect(t.stripe.customers.create({ foo: 'bar' } as never)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'foo',
    });
    await expect(t.stripe.customers.create({ invoice_settings: { nope: 1 } } as never)).rejects.toMatchObject({
      code: 'parameter_unknown',
      param: 'invoice_settings[nope]',
    });
  });

  it('missing, invalid integer and un-unsettable empty params', async () => {
    await expect(t.stripe.prices.create({ unit_amount: 100, product_data: { name: 'x' } } as never)).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'currency',
    });
    await expect(
      t.stripe.prices.create({ currency: 'usd', unit_amount: 'abc', product_data: { name: 'x' } } as never),
    ).rejects.toMatchObject({
      code: 'parameter_invalid_integer',
      param: 'unit_amount',
    });
    await expect(t.stripe.products.create({ name: '' })).rejects.toMatchObject({ statusCode: 400, param: 'name' });
  });

  it('404 resource_missing with Stripe wording', async () => {
    const err = await t.stripe.customers.retrieve('cus_doesnotexist').catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such customer: 'cus_doesnotexist'" });
    expect(err.requestId).toMatch(/^req_/);
  });

  it('401 for a bad key', async () => {
    const bad = t.real ? new Stripe('sk_test_bogus', { telemetry: false, maxNetworkRetries: 0 }) : sdk('sk_live_nope', t.emu.port);
    await expect(bad.customers.list()).rejects.toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
  });

  it('expand errors on non-expandable paths', async () => {
    const c = await t.stripe.customers.create({});
    await expect(t.stripe.customers.retrieve(c.id, { expand: ['email'] })).rejects.toMatchObject({ statusCode: 400 });
  });

  t.emulatorOnly('headers: Request-Id, Stripe-Version echo; malformed bodies → 400', async () => {
    const res = await fetch(`${t.url}/v1/customers`, {
      headers: { Authorization: 'Bearer sk_test_x', 'Stripe-Version': '2024-06-20' },
    });
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(res.headers.get('stripe-version')).toBe('2024-06-20');
    const bad = await fetch(`${t.url}/v1/customers`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test_x', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a[b]=1&a=2',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.type).toBe('invalid_request_error');
    const badJson = await fetch(`${t.url}/v2/billing/meter_event_session`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test_x', 'Content-Type': 'application/json' },
      body: '{nope',
    });
    expect(badJson.status).toBe(400);
    const pct = await fetch(`${t.url}/v1/customers?email=%E0%A4%A`, { headers: { Authorization: 'Bearer sk_test_x' } });
    expect(pct.status).toBe(400);
    const suppressed = await fetch(`${t.url}/v1/customers/cus_nope?suppress_response_codes=true`, {
      headers: { Authorization: 'Bearer sk_test_x' },
    });
    expect(suppressed.status).toBe(200);
    expect((await suppressed.json()).error.code).toBe('resource_missing');
    const unknown = await fetch(`${t.url}/v1/nothing_here`, { headers: { Authorization: 'Bearer sk_test_x' } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toMatch(/Unrecognized request URL/);
  });

  t.emulatorOnly('Basic auth with the key as username; publishable key refused on secret endpoints', async () => {
    const res = await fetch(`${t.url}/v1/customers`, {
      headers: { Authorization: `Basic ${Buffer.from('sk_test_x:').toString('base64')}` },
    });
    expect(res.status).toBe(200);
    await expect(t.pk.customers.list()).rejects.toMatchObject({ statusCode: 401 });
    const pre = await fetch(`${t.url}/v1/payment_methods`, {
      method: 'OPTIONS',
      headers: { 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and params', async () => {
    const key = uniq('idem');
    const a = await t.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
    const b = await t.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
  });

  it('rejects the same key with other params', async () => {
    const key = uniq('idem');
    await t.stripe.customers.create({ email: 'one@example.com' }, { idempotencyKey: key });
    await expect(t.stripe.customers.create({ email: 'two@example.com' }, { idempotencyKey: key })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    });
  });

  it('replays card errors too', async () => {
    const key = uniq('idem');
    const params = { amount: 1000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true };
    const e1 = await t.stripe.paymentIntents.create(params, { idempotencyKey: key }).catch((e) => e);
    const e2 = await t.stripe.paymentIntents.create(params, { idempotencyKey: key }).catch((e) => e);
    expect(e1.type).toBe('StripeCardError');
    expect(e2.payment_intent.id).toBe(e1.payment_intent.id);
  });
});

describe('products and prices', () => {
  it('product with default_price_data, expandable', async () => {
    const prod = await t.stripe.products.create({
      name: 'Pro',
      default_price_data: { currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } },
    });
    expect(prod.default_price).toMatch(/^price_/);
    const r = await t.stripe.products.retrieve(prod.id, { expand: ['default_price'] });
    const price = r.default_price as Stripe.Price;
    expect(price).toMatchObject({ object: 'price', unit_amount: 1500, currency: 'usd', type: 'recurring', product: prod.id });
    expect(price.recurring).toMatchObject({ interval: 'month', interval_count: 1, usage_type: 'licensed' });
    expect(String(price.unit_amount_decimal)).toBe('1500');
  });

  it('lookup_key is unique; transfer_lookup_key moves it; lookup_keys[] filter', async () => {
    const lk = uniq('lk_');
    const prod = await t.stripe.products.create({ name: 'LK' });
    const p1 = await t.stripe.prices.create({
      product: prod.id,
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
      lookup_key: lk,
    });
    await expect(t.stripe.prices.create({ product: prod.id, currency: 'usd', unit_amount: 1000, lookup_key: lk })).rejects.toMatchObject({
      statusCode: 400,
      param: 'lookup_key',
    });
    const p2 = await t.stripe.prices.create({
      product: prod.id,
      currency: 'usd',
      unit_amount: 1000,
      lookup_key: lk,
      transfer_lookup_key: true,
    });
    const listed = await t.stripe.prices.list({ lookup_keys: [lk], expand: ['data.product'] });
    expect(listed.data.map((p) => p.id)).toEqual([p2.id]);
    expect((listed.data[0]!.product as Stripe.Product).name).toBe('LK');
    expect((await t.stripe.prices.retrieve(p1.id)).lookup_key).toBeNull();
  });

  it('prices are immutable except a few fields', async () => {
    const price = await t.stripe.prices.create({ product_data: { name: 'Imm' }, currency: 'usd', unit_amount: 500 });
    await expect(t.stripe.prices.update(price.id, { unit_amount: 600 } as never)).rejects.toMatchObject({
      code: 'parameter_unknown',
      param: 'unit_amount',
    });
    const u = await t.stripe.prices.update(price.id, { active: false, nickname: 'old', metadata: { a: 'b' } });
    expect(u).toMatchObject({ active: false, nickname: 'old', metadata: { a: 'b' } });
    const inactive = await t.stripe.prices.list({ product: price.product as string, active: false });
    expect(inactive.data.map((p) => p.id)).toContain(price.id);
  });

  it('product delete refused while it has prices', async () => {
    const prod = await t.stripe.products.create({ name: 'Del' });
    await t.stripe.prices.create({ product: prod.id, currency: 'usd', unit_amount: 100 });
    await expect(t.stripe.products.del(prod.id)).rejects.toMatchObject({ statusCode: 400 });
    const empty = await t.stripe.products.create({ name: 'Empty' });
    expect(await t.stripe.products.del(empty.id)).toMatchObject({ id: empty.id, deleted: true });
  });

  it('metered prices need a meter', async () => {
    await expect(
      t.stripe.prices.create({
        product_data: { name: 'm' },
        currency: 'usd',
        unit_amount: 1,
        recurring: { interval: 'month', usage_type: 'metered' },
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('events', () => {
  it('records changes with previous_attributes; list filters by type, types[] and created', async () => {
    const start = Math.floor(Date.now() / 1000) - 5;
    const c = await t.stripe.customers.create({ name: 'Ev' });
    await t.stripe.customers.update(c.id, { name: 'Ev2' });
    const updates = await t.stripe.events.list({ type: 'customer.updated', limit: 100 });
    const ev = updates.data.find((e) => (e.data.object as Stripe.Customer).id === c.id)!;
    expect(ev).toMatchObject({ object: 'event', type: 'customer.updated', livemode: false, api_version: Stripe.API_VERSION });
    expect(ev.data.previous_attributes).toEqual({ name: 'Ev' });
    expect(ev.request?.id).toMatch(/^req_/);
    const both = await t.stripe.events.list({ types: ['customer.created', 'customer.updated'], limit: 100 });
    expect(both.data.every((e) => e.type === 'customer.created' || e.type === 'customer.updated')).toBe(true);
    const recent = await t.stripe.events.list({ created: { gte: t.real ? start : 0 }, limit: 3 });
    expect(recent.data.length).toBeGreaterThan(0);
    const again = await t.stripe.events.retrieve(ev.id);
    expect(again.id).toBe(ev.id);
  });
});
