/** Contract: deleting a subscription's discount; the next invoice is at full price. */
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

describe('deleting discounts', () => {
  it('removes the subscription’s discount: the next invoice is at full price', async () => {
    const s = t.stripe;
    const customer = await s.customers.create({ name: 'Discount Co' });
    const pm = await s.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const product = await s.products.create({ name: 'Team plan' });
    const price = await s.prices.create({ product: product.id, unit_amount: 2000, currency: 'usd', recurring: { interval: 'month' } });
    const coupon = await s.coupons.create({ percent_off: 25, duration: 'forever' });
    const sub = await s.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: pm.id,
      discounts: [{ coupon: coupon.id }],
    });
    expect(sub.discounts).toHaveLength(1);
    const before = await s.invoices.createPreview({ subscription: sub.id });
    expect(before.total).toBe(1500);

    const gone = await s.subscriptions.deleteDiscount(sub.id);
    expect(gone).toMatchObject({ object: 'discount', deleted: true, subscription: sub.id, source: { coupon: coupon.id } });
    expect((await s.subscriptions.retrieve(sub.id)).discounts).toEqual([]);
    const after = await s.invoices.createPreview({ subscription: sub.id });
    expect(after.total).toBe(2000);

    const again = await s.subscriptions.deleteDiscount(sub.id).catch((e) => e);
    expect(again).toMatchObject({ statusCode: 404, type: 'StripeInvalidRequestError' });
  });

  it('answers a customer without a discount with a 404', async () => {
    const c = await t.stripe.customers.create({});
    const err = await t.stripe.customers.deleteDiscount(c.id).catch((e) => e);
    expect(err).toMatchObject({ statusCode: 404, type: 'StripeInvalidRequestError' });
  });
});
