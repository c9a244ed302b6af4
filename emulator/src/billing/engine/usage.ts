/** Metered usage: the aggregated value of a meter's events for a customer over a time range. */
import type Stripe from 'stripe';
import type { Billing } from './context';

/** A meter event as stored (`billing.meter_event`; the API returns it without `id`). */
export interface StoredMeterEvent {
  id: string;
  object: 'billing.meter_event';
  created: number;
  event_name: string;
  identifier: string;
  livemode: false;
  payload: Record<string, string>;
  timestamp: number;
}

/** Aggregated value for a meter / customer (null = all customers) over [start, end). */
export function aggregateMeter(b: Billing, meter: Stripe.Billing.Meter, customer: string | null, start: number, end: number): number {
  const custKey = meter.customer_mapping.event_payload_key;
  const valKey = meter.value_settings.event_payload_key;
  const events = (b.store.all('billing.meter_event', { where: { event_name: meter.event_name } }) as StoredMeterEvent[])
    .filter((e) => e.timestamp >= start && e.timestamp < end && (customer == null || e.payload[custKey] === customer))
    .sort((a, b) => a.timestamp - b.timestamp || a.created - b.created);
  const formula = meter.default_aggregation.formula;
  if (formula === 'count') return events.length;
  const values = events.map((e) => Number(e.payload[valKey] ?? '0')).filter((v) => Number.isFinite(v));
  if (formula === 'last') return values.length ? values[values.length - 1] : 0;
  return values.reduce((s, v) => s + v, 0);
}

/** Aggregated meter value for a customer in [start, end) (0 for an unknown meter). */
export function meterUsage(b: Billing, meterId: string, customer: string, start: number, end: number): number {
  const m = b.store.get('billing.meter', meterId) as Stripe.Billing.Meter | null;
  return m ? aggregateMeter(b, m, customer, start, end) : 0;
}
