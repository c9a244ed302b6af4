/** Contract: customer sessions give a short-lived client secret for the components asked for. */
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

describe('customer sessions', () => {
  it('creates a session for the Payment Element with Stripe’s default features', async () => {
    const customer = await t.stripe.customers.create({ name: 'Session Co' });
    const s = await t.stripe.customerSessions.create({
      customer: customer.id,
      components: {
        payment_element: { enabled: true, features: { payment_method_redisplay: 'enabled', payment_method_remove: 'enabled' } },
      },
    });
    expect(s).toMatchObject({ object: 'customer_session', customer: customer.id, livemode: false });
    expect(s.client_secret).toMatch(/^cuss_secret_/);
    expect(s.expires_at - s.created).toBe(30 * 60);
    expect(s.components?.payment_element).toMatchObject({
      enabled: true,
      features: { payment_method_redisplay: 'enabled', payment_method_remove: 'enabled', payment_method_save: 'disabled' },
    });
    expect(s.components?.pricing_table.enabled).toBe(false);
  });

  it('refuses an unknown customer and a session with nothing enabled', async () => {
    const unknown = await t.stripe.customerSessions
      .create({ customer: 'cus_nope', components: { pricing_table: { enabled: true } } })
      .catch((e) => e);
    expect(unknown).toMatchObject({ type: 'StripeInvalidRequestError', param: 'customer' });
    const customer = await t.stripe.customers.create({});
    const none = await t.stripe.customerSessions
      .create({ customer: customer.id, components: { pricing_table: { enabled: false } } })
      .catch((e) => e);
    expect(none).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });
});
