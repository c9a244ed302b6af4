/**
 * Contract: billing alerts on a meter's usage — created, listed, deactivated and archived; an active
 * one fires `billing.alert.triggered` once for a customer whose usage reaches the threshold (emulator
 * only: Stripe evaluates alerts asynchronously).
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

async function meter() {
  const eventName = `alert_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;
  const m = await t.stripe.billing.meters.create({ display_name: 'Calls', event_name: eventName, default_aggregation: { formula: 'sum' } });
  return { eventName, meter: m };
}

describe('billing alerts', () => {
  it('creates, lists, deactivates, activates and archives', async () => {
    const { meter: m } = await meter();
    const customer = await t.stripe.customers.create({});
    const alert = await t.stripe.billing.alerts.create({
      alert_type: 'usage_threshold',
      title: 'Heavy user',
      usage_threshold: { gte: 1000, meter: m.id, recurrence: 'one_time', filters: [{ type: 'customer', customer: customer.id }] },
    });
    expect(alert).toMatchObject({
      object: 'billing.alert',
      status: 'active',
      title: 'Heavy user',
      usage_threshold: { gte: 1000, meter: m.id, recurrence: 'one_time', filters: [{ type: 'customer', customer: customer.id }] },
    });
    expect((await t.stripe.billing.alerts.list({ meter: m.id })).data.map((a) => a.id)).toEqual([alert.id]);
    expect((await t.stripe.billing.alerts.deactivate(alert.id)).status).toBe('inactive');
    expect((await t.stripe.billing.alerts.activate(alert.id)).status).toBe('active');
    expect((await t.stripe.billing.alerts.archive(alert.id)).status).toBe('archived');
    expect((await t.stripe.billing.alerts.retrieve(alert.id)).status).toBe('archived');
    const missing = await t.stripe.billing.alerts
      .create({ alert_type: 'usage_threshold', title: 'x', usage_threshold: { gte: 1, meter: 'mtr_nope', recurrence: 'one_time' } })
      .catch((e) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  t.emulatorOnly('fires once for the customer whose usage reaches the threshold, never when inactive', async () => {
    const { eventName, meter: m } = await meter();
    const [heavy, light] = [await t.stripe.customers.create({}), await t.stripe.customers.create({})];
    const alert = await t.stripe.billing.alerts.create({
      alert_type: 'usage_threshold',
      title: '100 calls',
      usage_threshold: { gte: 100, meter: m.id, recurrence: 'one_time' },
    });
    const send = (customer: string, value: number) =>
      t.stripe.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer, value: String(value) } });
    await send(heavy.id, 60);
    await send(light.id, 30);
    await send(heavy.id, 50); // 110 ≥ 100
    await send(heavy.id, 10); // already fired for this customer
    const fired = async () =>
      (await t.stripe.events.list({ type: 'billing.alert.triggered', limit: 100 })).data
        .map((e) => e.data.object as unknown as Stripe.Billing.AlertTriggered)
        .filter((a) => a.alert.id === alert.id);
    expect((await fired()).map((a) => [a.customer, a.value])).toEqual([[heavy.id, 110]]);

    await t.stripe.billing.alerts.deactivate(alert.id);
    await send(light.id, 500);
    expect(await fired()).toHaveLength(1);
  });
});
