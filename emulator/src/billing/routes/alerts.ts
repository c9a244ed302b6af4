/**
 * Billing alerts (`/v1/billing/alerts`, `usage_threshold`): create, retrieve, list (`alert_type`,
 * `meter`), activate, deactivate, archive. An active alert fires `billing.alert.triggered` once per
 * customer (`recurrence: one_time`) when that customer's usage on the meter, counted from the
 * alert's creation, reaches `gte`; `filters` limit it to one customer. Checked as each meter event is
 * recorded (`checkUsageAlerts`, called by routes/meters.ts).
 */
import type Stripe from 'stripe';
import { errors, listParams, p, type Ctx, type EmulatorApp } from '../../core';
import type { Billing } from '../engine/context';
import { aggregateMeter, type StoredMeterEvent } from '../engine/usage';
import type { BillingRuntime } from '../runtime';

type Alert = Stripe.Billing.Alert;

interface AlertState {
  createdAt: number;
  /** Customers the one-time alert has fired for. */
  fired: string[];
}

/** Fire the active alerts of this event's meter whose threshold the event's customer just reached. */
export function checkUsageAlerts(ctx: Ctx, b: Billing, ev: StoredMeterEvent): void {
  const meters = (b.store.all('billing.meter', { where: { event_name: ev.event_name } }) as Stripe.Billing.Meter[]).filter(
    (m) => m.status === 'active',
  );
  meters.forEach((meter) => {
    const customer = ev.payload[meter.customer_mapping.event_payload_key];
    if (!customer) return;
    const alerts = b.store.all('billing.alert', { where: { status: 'active', 'usage_threshold.meter': meter.id } }) as Alert[];
    alerts.forEach((alert) => {
      const t = alert.usage_threshold!;
      const only = t.filters?.find((f) => f.type === 'customer')?.customer;
      if (only && only !== customer) return;
      const st = b.store.getInternal<AlertState>(alert.id) ?? { createdAt: 0, fired: [] };
      if (st.fired.includes(customer)) return;
      const value = aggregateMeter(b, meter, customer, st.createdAt, Number.MAX_SAFE_INTEGER);
      if (value < t.gte) return;
      b.store.setInternal(alert.id, { ...st, fired: [...st.fired, customer] } satisfies AlertState);
      const triggered: Stripe.Billing.AlertTriggered = {
        object: 'billing.alert_triggered',
        alert,
        created: ctx.now(),
        customer,
        livemode: false,
        value,
      };
      ctx.emit('billing.alert.triggered', triggered as unknown as { id: string });
    });
  });
}

export function register(app: EmulatorApp, { run }: BillingRuntime): void {
  app.registerType({ type: 'billing.alert', prefix: 'alrt', displayName: 'billing.alert' });
  const load = (ctx: Ctx, id: string) => ctx.store.require('billing.alert', id, 'id') as Alert;

  app.post(
    '/v1/billing/alerts',
    p.object({
      alert_type: p.enum(['usage_threshold'] as const).required(),
      title: p.string({ maxLength: 256 }).required(),
      usage_threshold: p.object({
        gte: p.integer({ min: 1 }).required(),
        meter: p.string().required(),
        recurrence: p.enum(['one_time'] as const).required(),
        filters: p.array(p.object({ type: p.enum(['customer'] as const).required(), customer: p.string() }), { max: 1 }),
      }),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const t = params.usage_threshold;
        if (!t) throw errors.missingParam('usage_threshold');
        const meter = ctx.store.require('billing.meter', t.meter, 'usage_threshold[meter]') as Stripe.Billing.Meter;
        const filters = (t.filters ?? []).map((f, i) => {
          if (!f.customer) throw errors.missingParam(`usage_threshold[filters][${i}][customer]`);
          return {
            customer: ctx.store.require('customer', f.customer, `usage_threshold[filters][${i}][customer]`).id,
            type: 'customer' as const,
          };
        });
        const alert: Alert = {
          id: ctx.newId('alrt'),
          object: 'billing.alert',
          alert_type: 'usage_threshold',
          livemode: false,
          status: 'active',
          title: params.title,
          usage_threshold: { filters: filters.length ? filters : null, gte: t.gte, meter: meter.id, recurrence: 'one_time' },
        };
        ctx.store.put('billing.alert', alert as never);
        ctx.store.setInternal(alert.id, { createdAt: ctx.now(), fired: [] } satisfies AlertState);
        return alert;
      }),
  );
  app.get('/v1/billing/alerts/:id', p.object({}), (ctx, _params, req) => load(ctx, req.pathParams.id!));
  app.get(
    '/v1/billing/alerts',
    p.object({ ...listParams, alert_type: p.enum(['usage_threshold'] as const), meter: p.string() }),
    (ctx, params) =>
      ctx.list(
        'billing.alert',
        params,
        { where: { alert_type: params.alert_type, 'usage_threshold.meter': params.meter } },
        '/v1/billing/alerts',
      ),
  );
  const transition = (action: string, to: Stripe.Billing.Alert.Status) =>
    app.post(`/v1/billing/alerts/:id/${action}`, p.object({}), (ctx, _params, req) => {
      const alert = load(ctx, req.pathParams.id!);
      if (alert.status === 'archived') throw errors.invalid(`Alert ${alert.id} is archived and cannot be ${action}d.`);
      const next: Alert = { ...alert, status: to };
      ctx.store.put('billing.alert', next as never);
      return next;
    });
  transition('activate', 'active');
  transition('deactivate', 'inactive');
  transition('archive', 'archived');
}
