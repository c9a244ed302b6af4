/**
 * `npm run stripe:usage-reconcile`: for every customer with usage, per period (the current one and
 * `periods - 1` before it), compare
 *   - the ledger: calls recorded in the period (by the time each was made),
 *   - what the reporter sent: the sent meter reports timestamped in the period,
 *   - Stripe: `billing.meters.listEventSummaries` over the period,
 * and list every customer where Stripe differs from what was sent, or where calls are still pending
 * or were refused. (A reporting window that straddles a period boundary is billed in the period of
 * its last call, so ledger and Stripe may differ by that window's calls at a boundary; the sent
 * reports never do.)
 */
import type Stripe from 'stripe';
import { METERED } from '~/billing/plans';
import { db } from '~/db/client.server';
import { clock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { usagePeriodAt, usagePlanOf } from './summary.server';

export interface UsageReconcileRow {
  userId: string;
  customerId: string;
  periodStart: string;
  periodEnd: string;
  ledger: number;
  sent: number;
  stripe: number;
  pending: number;
  failed: number;
  ok: boolean;
}

export async function reconcileUsage(
  opts: { periods?: number; now?: Date; onProgress?: (done: number, total: number, row: UsageReconcileRow) => void } = {},
): Promise<UsageReconcileRow[]> {
  const sqlite = db().$client;
  const meterName = METERED.meter.eventName;
  let meter: Stripe.Billing.Meter | null = null;
  for await (const m of stripe().billing.meters.list({ status: 'active', limit: 100 })) if (m.event_name === meterName) meter = m;
  if (!meter) throw new Error(`Stripe has no active meter "${meterName}". Run \`npm run stripe:setup\`.`);
  const customers = sqlite
    .prepare(
      `SELECT DISTINCT e.user_id AS userId, u.stripe_customer_id AS customerId FROM usage_events e JOIN users u ON u.id = e.user_id
        WHERE e.meter = ? AND u.stripe_customer_id IS NOT NULL ORDER BY e.user_id`,
    )
    .all(meterName) as { userId: string; customerId: string }[];
  const now = opts.now ?? clock.now();
  const periods = Math.max(1, opts.periods ?? 1);
  const ledgerQ = sqlite.prepare(
    'SELECT coalesce(sum(value), 0) AS v FROM usage_events WHERE user_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?',
  );
  const reportsQ = sqlite.prepare(
    'SELECT status, coalesce(sum(value), 0) AS v FROM meter_reports WHERE user_id = ? AND meter = ? AND event_timestamp >= ? AND event_timestamp < ? GROUP BY status',
  );
  const unreportedQ = sqlite.prepare(
    'SELECT coalesce(sum(value), 0) AS v FROM usage_events WHERE user_id = ? AND meter = ? AND report_id IS NULL AND occurred_at >= ? AND occurred_at < ?',
  );
  const rows: UsageReconcileRow[] = [];
  const total = customers.length * periods;
  for (const c of customers) {
    const { anchor } = usagePlanOf(c.userId);
    for (let back = 0; back < periods; back++) {
      const p = usagePeriodAt(anchor, now, back);
      const [startMs, endMs] = [p.start.getTime(), p.end.getTime()];
      const [start, end] = [Math.floor(startMs / 1000), Math.floor(endMs / 1000)];
      const ledger = (ledgerQ.get(c.userId, meterName, startMs, endMs) as { v: number }).v;
      const reports = reportsQ.all(c.userId, meterName, start, end) as { status: string; v: number }[];
      const byStatus = (s: string) => reports.find((r) => r.status === s)?.v ?? 0;
      const summary = await stripe().billing.meters.listEventSummaries(meter.id, {
        customer: c.customerId,
        start_time: start,
        end_time: end,
      });
      const onStripe = summary.data.reduce((s, d) => s + d.aggregated_value, 0);
      const pending = byStatus('pending') + (unreportedQ.get(c.userId, meterName, startMs, endMs) as { v: number }).v;
      const row: UsageReconcileRow = {
        userId: c.userId,
        customerId: c.customerId,
        periodStart: p.start.toISOString(),
        periodEnd: p.end.toISOString(),
        ledger,
        sent: byStatus('sent'),
        stripe: onStripe,
        pending,
        failed: byStatus('failed'),
        ok: onStripe === byStatus('sent') && pending === 0 && byStatus('failed') === 0,
      };
      rows.push(row);
      opts.onProgress?.(rows.length, total, row);
    }
  }
  return rows;
}
