/** API versions: requests and webhook events rendered in the requested version (emulator/src/core/versions.ts). */
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, CHANGES, SERVED_VERSIONS } from '../src/core/versions';
import { setupContract, uniq, waitFor, webhookSink } from './helpers';

const t = setupContract();
const realKey = process.env.STRIPE_TEST_SECRET_KEY;

function pinned(version: string): Stripe {
  const key = realKey ?? 'sk_test_contract_0000';
  const base = { apiVersion: version as Stripe.LatestApiVersion, telemetry: false, maxNetworkRetries: 0 };
  return realKey ? new Stripe(key, base) : new Stripe(key, { ...base, host: '127.0.0.1', port: t.emu.port, protocol: 'http' });
}

async function raw(path: string, headers: Record<string, string>) {
  const base = realKey ? 'https://api.stripe.com' : t.url;
  const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${realKey ?? 'sk_test_contract_0000'}`, ...headers } });
  return { status: res.status, version: res.headers.get('stripe-version'), body: (await res.json()) as any };
}

/** A customer with a default card and a monthly price: what a subscription sample needs. */
async function customerAndPrice(stripe: Stripe) {
  const customer = await stripe.customers.create({ email: `${uniq('v')}@example.com` });
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  const price = await stripe.prices.create({
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'month' },
    product_data: { name: uniq('Versioned plan ') },
  });
  return { customer, price };
}

describe('the version table', () => {
  it('names only served versions, newest change first, ending at the pinned version', () => {
    expect(SERVED_VERSIONS.at(-1)).toBe(API_VERSION);
    expect(API_VERSION).toBe(Stripe.API_VERSION);
    for (const c of CHANGES) expect(SERVED_VERSIONS).toContain(c.version);
    const dates = CHANGES.map((c) => c.version.slice(0, 10));
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(SERVED_VERSIONS).toContain('2024-06-20');
    expect(SERVED_VERSIONS).toContain('2023-10-16');
  });

  it('is the table docs/emulator.md shows ("Versions": one row per version and resource)', () => {
    const rows = readFileSync(new URL('../../docs/emulator.md', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => /^\| 20\d\d-/.test(l));
    for (const c of CHANGES) {
      expect(
        rows.some((r) => r.startsWith(`| ${c.version} |`) && r.includes(`\`${c.resource}\``)),
        `${c.version} ${c.resource}`,
      ).toBe(true);
    }
    expect(rows).toHaveLength(new Set(CHANGES.map((c) => `${c.version} ${c.resource === 'charge' ? 'payment_intent' : c.resource}`)).size);
  });
});

describe('Stripe-Version', () => {
  it('answers in the account default when no version is sent, and echoes only the version applied', async () => {
    const none = await raw('/v1/customers?limit=1', {});
    expect(none.status).toBe(200);
    if (!t.real) expect(none.version).toBe(API_VERSION);
    const old = await raw('/v1/customers?limit=1', { 'Stripe-Version': '2024-06-20' });
    expect(old.status).toBe(200);
    expect(old.version).toBe('2024-06-20');
  });

  it('refuses a version outside the table with a 400 naming the versions served', async () => {
    const res = await raw('/v1/customers?limit=1', { 'Stripe-Version': '2019-02-30' });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.body.error.message).toContain('2019-02-30');
    if (!t.real) {
      expect(res.body.error.message).toContain('2023-10-16');
      expect(res.body.error.message).toContain(API_VERSION);
      expect(res.version).toBeNull();
    }
  });
});

describe('a request pinned to 2023-10-16', () => {
  it('creates a subscription with latest_invoice.payment_intent expanded as Stripe did then', async () => {
    const old = pinned('2023-10-16');
    const { customer, price } = await customerAndPrice(t.stripe);
    const sub = (await old.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.payment_intent'],
    })) as any;
    expect(sub.lastResponse.apiVersion).toBe('2023-10-16');
    expect(typeof sub.current_period_start).toBe('number');
    expect(sub.current_period_end).toBeGreaterThan(sub.current_period_start);
    expect(sub.items.data[0].current_period_end).toBeUndefined();
    const inv = sub.latest_invoice;
    expect(inv.object).toBe('invoice');
    expect(inv.subscription).toBe(sub.id);
    expect(inv.paid).toBe(false);
    expect(inv.parent).toBeUndefined();
    expect(inv.payment_intent.object).toBe('payment_intent');
    expect(inv.payment_intent.client_secret).toMatch(/^pi_.+_secret_.+/);
    expect(inv.payment_intent.amount).toBe(1500);
    expect(inv.payment_intent.invoice).toBe(inv.id);
    expect(inv.lines.data[0].type).toBe('subscription');
    expect(inv.lines.data[0].price.id).toBe(price.id);
    expect(inv.lines.data[0].plan.amount).toBe(1500);
    expect(inv.lines.data[0].pricing).toBeUndefined();

    // the same payment as the current version shows it
    const now = await t.stripe.invoices.retrieve(inv.id, { expand: ['payments'] });
    expect(now.parent?.subscription_details?.subscription).toBe(sub.id);
    expect(now.payments?.data[0]?.payment.payment_intent).toBe(inv.payment_intent.id);
    expect((now as any).payment_intent).toBeUndefined();

    // paying it shows paid / charge in the old shape
    const paid = (await old.invoices.pay(inv.id)) as any;
    expect(paid.paid).toBe(true);
    expect(paid.charge).toMatch(/^ch_/);
    expect(paid.payment_intent).toBe(inv.payment_intent.id);
    const charge = (await old.charges.retrieve(paid.charge)) as any;
    expect(charge.invoice).toBe(inv.id);
  });

  it('refuses the expansions each version does not have', async () => {
    const { customer, price } = await customerAndPrice(t.stripe);
    const sub = await t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    await expect(t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice.payment_intent'] })).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(
      pinned('2023-10-16').subscriptions.retrieve(sub.id, { expand: ['latest_invoice.confirmation_secret'] }),
    ).rejects.toMatchObject({
      statusCode: 400,
    });
    const basil = await pinned('2025-03-31.basil').subscriptions.retrieve(sub.id, { expand: ['latest_invoice.confirmation_secret'] });
    expect((basil.latest_invoice as Stripe.Invoice).confirmation_secret?.client_secret).toMatch(/_secret_/);
    expect((basil as any).current_period_end).toBeUndefined();
  });

  it('renders products with `features` before 2024-04-10 and `marketing_features` after', async () => {
    const prod = await t.stripe.products.create({ name: uniq('Feat '), marketing_features: [{ name: 'Fast' }] });
    const old = (await pinned('2023-10-16').products.retrieve(prod.id)) as any;
    expect(old.features).toEqual([{ name: 'Fast' }]);
    expect(old.marketing_features).toBeUndefined();
    const newer = await pinned('2024-04-10').products.retrieve(prod.id);
    expect(newer.marketing_features).toEqual([{ name: 'Fast' }]);
  });
});

describe('webhook endpoints with an api_version', () => {
  let sink: Awaited<ReturnType<typeof webhookSink>>;
  beforeAll(async () => {
    sink = await webhookSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  t.emulatorOnly('receive events in their version; an endpoint without one gets the account default', async () => {
    const oldEp = await t.stripe.webhookEndpoints.create({
      url: `${sink.url}?v=old`,
      enabled_events: ['invoice.finalized', 'customer.subscription.created'],
      api_version: '2023-10-16',
    });
    expect(oldEp.api_version).toBe('2023-10-16');
    const newEp = await t.stripe.webhookEndpoints.create({ url: `${sink.url}?v=new`, enabled_events: ['invoice.finalized'] });
    const { customer, price } = await customerAndPrice(t.stripe);
    const sub = await t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    const events = () =>
      sink.received
        .map((r) => JSON.parse(r.body))
        .filter(
          (e) =>
            (e.data.object.subscription ?? e.data.object.id ?? '') === sub.id ||
            e.data.object.parent?.subscription_details?.subscription === sub.id,
        );
    const got = await waitFor(() => {
      const es = events();
      return es.length >= 3 ? es : null;
    });
    const finalizedOld = got.find((e) => e.type === 'invoice.finalized' && e.api_version === '2023-10-16');
    const finalizedNew = got.find((e) => e.type === 'invoice.finalized' && e.api_version === API_VERSION);
    const createdOld = got.find((e) => e.type === 'customer.subscription.created');
    expect(finalizedOld.data.object.subscription).toBe(sub.id);
    expect(finalizedOld.data.object.payment_intent).toMatch(/^pi_/);
    expect(finalizedOld.data.object.parent).toBeUndefined();
    expect(finalizedNew.data.object.parent.subscription_details.subscription).toBe(sub.id);
    expect(finalizedNew.data.object.payment_intent).toBeUndefined();
    expect(createdOld.api_version).toBe('2023-10-16');
    expect(typeof createdOld.data.object.current_period_end).toBe('number');
    // the stored event keeps the version it was created in
    const stored = await t.stripe.events.retrieve(finalizedOld.id);
    expect(stored.api_version).toBe(API_VERSION);
    await t.stripe.webhookEndpoints.del(oldEp.id);
    await t.stripe.webhookEndpoints.del(newEp.id);
  });

  it('refuses an endpoint api_version outside the table', async () => {
    await expect(
      t.stripe.webhookEndpoints.create({
        url: 'https://example.com/hooks',
        enabled_events: ['invoice.paid'],
        api_version: '2019-02-30' as Stripe.WebhookEndpointCreateParams.ApiVersion,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'api_version' });
  });
});
