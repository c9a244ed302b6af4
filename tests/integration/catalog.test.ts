import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCatalog, priceByLookupKey } from '~/billing/catalog.server';
import { PLANS } from '~/billing/plans';
import { db } from '~/db/client.server';
import { prices } from '~/db/schema';
import { eq } from 'drizzle-orm';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;

describe('stripe:setup (ensureCatalog) against the emulator', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates what is missing, replaces a price whose amount changed, and is idempotent', async () => {
    // Someone created starter_monthly by hand at the wrong amount.
    const product = await h.stripe.products.create({ name: 'Hand-made' }, { idempotencyKey: 'test:catalog:hand-product' });
    const wrong = await h.stripe.prices.create(
      {
        product: product.id,
        currency: 'usd',
        unit_amount: 999,
        recurring: { interval: 'month' },
        lookup_key: PLANS.starter.prices.month.lookupKey,
      },
      { idempotencyKey: 'test:catalog:hand-price' },
    );
    const first = await ensureCatalog();
    const replaced = first.find((r) => r.key === 'starter_monthly')!;
    expect(replaced.action).toBe('replaced');
    expect((await h.stripe.prices.retrieve(wrong.id)).active).toBe(false);
    const now = await h.stripe.prices.retrieve(replaced.id);
    expect(now).toMatchObject({ unit_amount: 1200, lookup_key: 'starter_monthly', active: true });
    // 6 plan prices (one replaced) + api_calls_monthly + one graduated metered price per plan + the credit pack.
    expect(first.filter((r) => r.object === 'price' && r.action === 'created')).toHaveLength(10);
    expect(first.find((r) => r.object === 'meter')?.action).toBe('created');

    const second = await ensureCatalog();
    expect(second.filter((r) => r.action !== 'exists')).toEqual([]);
    expect((await priceByLookupKey('pro_yearly')).unit_amount).toBe(49000);
    const metered = await priceByLookupKey('api_calls_starter_monthly');
    expect(metered).toMatchObject({
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      recurring: { usage_type: 'metered', interval: 'month' },
    });
    expect(metered.tiers?.map((t) => [t.up_to, t.unit_amount])).toEqual([
      [10_000, 0],
      [null, 1],
    ]);
    // The catalogue is mirrored too.
    expect(db().select().from(prices).where(eq(prices.lookupKey, 'api_calls_monthly')).get()).toMatchObject({
      usageType: 'metered',
      unitAmount: 1,
    });
    await expect(priceByLookupKey('nope_monthly')).rejects.toThrow(/stripe:setup/);
  });
});
