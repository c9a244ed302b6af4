/**
 * Contract: canceling a meter event by its identifier takes it out of the meter's summaries (real
 * Stripe applies cancellations asynchronously: there only the answer is checked).
 */
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();
const DAY = 86400;

describe('meter event adjustments', () => {
  it('cancels an event by identifier; the summary no longer counts it', async () => {
    const s = t.stripe;
    const eventName = `adj_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;
    const meter = await s.billing.meters.create({ display_name: 'Calls', event_name: eventName, default_aggregation: { formula: 'sum' } });
    const customer = await s.customers.create({ email: 'adjust@example.com' });
    const now = Math.floor(Date.now() / 1000);
    for (const [identifier, value] of [
      [`${eventName}-a`, '30'],
      [`${eventName}-b`, '12'],
    ])
      await s.billing.meterEvents.create({
        event_name: eventName,
        identifier,
        payload: { stripe_customer_id: customer.id, value },
        timestamp: now - 60,
      });

    const adj = await s.billing.meterEventAdjustments.create({
      event_name: eventName,
      type: 'cancel',
      cancel: { identifier: `${eventName}-a` },
    });
    expect(adj).toMatchObject({
      object: 'billing.meter_event_adjustment',
      type: 'cancel',
      event_name: eventName,
      cancel: { identifier: `${eventName}-a` },
    });
    expect(['pending', 'complete']).toContain(adj.status);
    if (t.real) return; // Stripe aggregates and cancels asynchronously
    const summary = await s.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: now - DAY,
      end_time: now + 60,
    });
    expect(summary.data.reduce((sum, d) => sum + d.aggregated_value, 0)).toBe(12);
  });

  t.emulatorOnly('refuses to cancel an unknown or already canceled identifier', async () => {
    const s = t.stripe;
    const eventName = `adj2_${Date.now()}`;
    await s.billing.meters.create({ display_name: 'Calls', event_name: eventName, default_aggregation: { formula: 'count' } });
    const customer = await s.customers.create({});
    await s.billing.meterEvents.create({ event_name: eventName, identifier: 'only-once', payload: { stripe_customer_id: customer.id } });
    await s.billing.meterEventAdjustments.create({ event_name: eventName, type: 'cancel', cancel: { identifier: 'only-once' } });
    const again = await s.billing.meterEventAdjustments
      .create({ event_name: eventName, type: 'cancel', cancel: { identifier: 'only-once' } })
      .catch((e) => e);
    expect(again).toMatchObject({ statusCode: 400, param: 'cancel[identifier]' });
  });
});
