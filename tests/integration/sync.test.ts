import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBillingState, getInvoice } from '~/billing/queries.server';
import { syncCustomer, syncObject } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { paymentMethods, users } from '~/db/schema';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;

describe('sync on write (syncCustomer / syncObject) against the emulator', () => {
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('mirrors a customer’s subscription, items, payment methods and invoices for the billing page', async () => {
    const customer = await h.stripe.customers.create({ email: 'sync@example.com' }, { idempotencyKey: 'test:sync:customer' });
    db()
      .insert(users)
      .values({ id: 'usr_sync', email: 'sync@example.com', name: 'S', passwordHash: 'x', stripeCustomerId: customer.id })
      .run();
    const pm = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id }, { idempotencyKey: 'test:sync:pm' });
    const spare = await h.stripe.paymentMethods.attach(
      'pm_card_mastercard',
      { customer: customer.id },
      { idempotencyKey: 'test:sync:pm2' },
    );
    await h.stripe.customers.update(
      customer.id,
      { invoice_settings: { default_payment_method: pm.id } },
      { idempotencyKey: 'test:sync:default' },
    );
    const product = await h.stripe.products.create({ name: 'Sync plan' }, { idempotencyKey: 'test:sync:product' });
    const price = await h.stripe.prices.create(
      { product: product.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' }, lookup_key: 'sync_monthly' },
      { idempotencyKey: 'test:sync:price' },
    );
    const sub = await h.stripe.subscriptions.create(
      { customer: customer.id, items: [{ price: price.id, quantity: 2 }] },
      { idempotencyKey: 'test:sync:sub' },
    );

    const counts = await syncCustomer(customer.id);
    expect(counts).toMatchObject({ subscriptions: 1, paymentMethods: 2 });
    const state = getBillingState({ userId: 'usr_sync' });
    expect(state.customer).toMatchObject({ id: customer.id, defaultPaymentMethodId: pm.id, userId: 'usr_sync' });
    expect(state.subscription).toMatchObject({ id: sub.id, status: sub.status, priceLookupKey: 'sync_monthly', quantity: 2 });
    expect(state.subscription!.items).toHaveLength(1);
    expect(state.subscription!.currentPeriodEnd!.getTime()).toBe(sub.items.data[0]!.current_period_end * 1000);
    expect(state.defaultPaymentMethod).toMatchObject({ id: pm.id, brand: 'visa', last4: '4242' });
    expect(state.paymentMethods.map((p) => p.id).sort()).toEqual([pm.id, spare.id].sort());
    const invoiceId = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : sub.latest_invoice!.id;
    expect(state.invoices.map((i) => i.id)).toContain(invoiceId);
    const invoice = getInvoice({ userId: 'usr_sync', invoiceId })!;
    expect(invoice.lines.length).toBeGreaterThan(0);
    expect(invoice.lines[0]).toMatchObject({ priceId: price.id, quantity: 2 });
    expect(invoice.total).toBe(9800);
    expect(getInvoice({ userId: 'usr_other', invoiceId })).toBeNull();

    // A detached card disappears from the page but its row stays, marked.
    await h.stripe.paymentMethods.detach(spare.id, undefined, { idempotencyKey: 'test:sync:detach' });
    await syncObject('payment_method', spare.id);
    expect(getBillingState({ userId: 'usr_sync' }).paymentMethods.map((p) => p.id)).toEqual([pm.id]);
    expect(db().select().from(paymentMethods).where(eq(paymentMethods.id, spare.id)).get()).toMatchObject({
      detached: true,
      customerId: null,
    });

    // Cancel now: the row keeps its history with the new status.
    await h.stripe.subscriptions.cancel(sub.id, undefined, { idempotencyKey: 'test:sync:cancel' });
    await syncObject('subscription', sub.id);
    expect(getBillingState({ userId: 'usr_sync' }).subscription).toMatchObject({ id: sub.id, status: 'canceled' });
  });
});
