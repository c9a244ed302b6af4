/** Billing meters, meter events (v1 + v2 stream), event summaries. */
import type Stripe from 'stripe';
import { p, listParams, errors, StripeError, type EmulatorApp, type Ctx } from '../../core';
import { base62 } from '../../core/ids';
import { DAY } from '../util';
import { aggregateMeter, type StoredMeterEvent } from '../engine/usage';
import { checkUsageAlerts } from './alerts';
import type { BillingRuntime } from '../runtime';

type Meter = Stripe.Billing.Meter;

const MAX_PAST = 35 * DAY;
const MAX_FUTURE = 5 * 60;

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.registerType({ type: 'billing.meter', prefix: 'mtr', displayName: 'billing.meter' });
  // Stripe returns a tiered (metered) price's `tiers` only when asked: `expand: ['tiers']` or, on a
  // list, `expand: ['data.tiers']`; not in events, nor on a price inside another object.
  app.storedIncludable('price', 'tiers');

  const store = app.store;
  const getMeter = (id: string): Meter => {
    const m = store.get('billing.meter', id) as Meter | null;
    if (!m) throw errors.noSuch('billing.meter', id, 'id');
    return m;
  };

  const createParams = p.object({
    display_name: p.string({ maxLength: 250 }).required(),
    event_name: p.string({ maxLength: 100 }).required(),
    default_aggregation: p.object({ formula: p.enum(['count', 'last', 'sum'] as const).required() }).required(),
    customer_mapping: p.object({ event_payload_key: p.string().required(), type: p.enum(['by_id'] as const).required() }),
    value_settings: p.object({ event_payload_key: p.string().required() }),
    event_time_window: p.enum(['day', 'hour'] as const),
  });
  app.post('/v1/billing/meters', createParams, (ctx, params) =>
    run(ctx, () => {
      const dup = (store.all('billing.meter', { where: { event_name: params.event_name } }) as Meter[]).find((m) => m.status === 'active');
      if (dup)
        throw errors.invalid(`A meter with event_name '${params.event_name}' already exists.`, 'event_name', 'resource_already_exists');
      const now = ctx.now();
      const meter: Meter = {
        id: ctx.newId('mtr'),
        object: 'billing.meter',
        created: now,
        customer_mapping: { event_payload_key: params.customer_mapping?.event_payload_key ?? 'stripe_customer_id', type: 'by_id' },
        default_aggregation: { formula: params.default_aggregation.formula },
        display_name: params.display_name,
        event_name: params.event_name,
        event_time_window: params.event_time_window ?? null,
        livemode: false,
        status: 'active',
        status_transitions: { deactivated_at: null },
        updated: now,
        value_settings: { event_payload_key: params.value_settings?.event_payload_key ?? 'value' },
      };
      store.put('billing.meter', meter as never);
      return meter;
    }),
  );
  app.get('/v1/billing/meters/:id', p.object({}), (ctx, _params, req) => getMeter(req.pathParams.id));
  app.post('/v1/billing/meters/:id', p.object({ display_name: p.string() }), (ctx, params, req) => {
    const m = getMeter(req.pathParams.id);
    if (params.display_name) m.display_name = params.display_name;
    m.updated = ctx.now();
    store.put('billing.meter', m as never);
    return m;
  });
  for (const [action, status] of [
    ['deactivate', 'inactive'],
    ['reactivate', 'active'],
  ] as const) {
    app.post(`/v1/billing/meters/:id/${action}`, p.object({}), (ctx, _params, req) => {
      const m = getMeter(req.pathParams.id);
      m.status = status;
      m.status_transitions.deactivated_at = status === 'inactive' ? ctx.now() : null;
      m.updated = ctx.now();
      store.put('billing.meter', m as never);
      return m;
    });
  }
  app.get('/v1/billing/meters', p.object({ ...listParams, status: p.enum(['active', 'inactive'] as const) }), (ctx, params) =>
    ctx.list('billing.meter', params, { where: { status: params.status } }, '/v1/billing/meters'),
  );

  /**
   * Validate and store one meter event (shared by v1 and the v2 stream). v1 answers a repeated
   * identifier (within 24 h) with an error; the v2 stream processes events asynchronously and drops
   * the repeat without one (`skipDuplicate`: returns null).
   */
  const recordEvent = (
    ctx: Ctx,
    input: { event_name: string; payload: Record<string, string>; identifier?: string; timestamp?: number },
    paramPrefix = '',
    skipDuplicate = false,
  ): StoredMeterEvent | null => {
    const meter = (store.all('billing.meter', { where: { event_name: input.event_name } }) as Meter[]).find((m) => m.status === 'active');
    const pp = (k: string) => (!paramPrefix ? k : k.includes('[') ? `${paramPrefix}[${k.replace('[', '][')}` : `${paramPrefix}[${k}]`);
    const now = ctx.now();
    const ts = input.timestamp ?? now;
    if (ts < now - MAX_PAST)
      throw errors.invalid('Timestamp must be within the past 35 calendar days.', pp('timestamp'), 'timestamp_too_far_in_past');
    if (ts > now + MAX_FUTURE)
      throw errors.invalid('Timestamp must not be more than 5 minutes in the future.', pp('timestamp'), 'timestamp_in_future');
    if (meter) {
      const ck = meter.customer_mapping.event_payload_key;
      const vk = meter.value_settings.event_payload_key;
      if (!input.payload[ck]) throw errors.invalid(`Missing required key '${ck}' in payload.`, pp(`payload[${ck}]`), 'parameter_missing');
      if (meter.default_aggregation.formula !== 'count') {
        const v = input.payload[vk];
        if (v === undefined) throw errors.invalid(`Missing required key '${vk}' in payload.`, pp(`payload[${vk}]`), 'parameter_missing');
        if (!/^-?\d+(\.\d+)?$/.test(v))
          throw errors.invalid(`Invalid value '${v}' for key '${vk}': must be a number.`, pp(`payload[${vk}]`));
      }
    }
    const identifier = input.identifier ?? `${base62(8)}-${base62(4)}-${base62(12)}`;
    const key = `billing_mev_ident:${identifier}`;
    const seen = store.getMeta(key);
    if (seen && Number(seen) + DAY > now) {
      if (skipDuplicate) return null;
      throw errors.invalid(
        `An event with identifier '${identifier}' already exists. Identifiers must be unique within a rolling 24 hour period.`,
        pp('identifier'),
        'resource_already_exists',
      );
    }
    store.setMeta(key, String(now));
    const ev: StoredMeterEvent = {
      id: ctx.newId('mev'),
      object: 'billing.meter_event',
      created: now,
      event_name: input.event_name,
      identifier,
      livemode: false,
      payload: input.payload,
      timestamp: ts,
    };
    store.put('billing.meter_event', ev as never);
    checkUsageAlerts(ctx, b, ev);
    return ev;
  };

  app.post(
    '/v1/billing/meter_events',
    p.object({
      event_name: p.string({ maxLength: 100 }).required(),
      payload: p.hash().required(),
      identifier: p.string({ maxLength: 100 }),
      timestamp: p.integer(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const ev = recordEvent(ctx, params)!;
        const out: Stripe.Billing.MeterEvent = {
          object: 'billing.meter_event',
          created: ev.created,
          event_name: ev.event_name,
          identifier: ev.identifier,
          livemode: false,
          payload: ev.payload,
          timestamp: ev.timestamp,
        };
        return out;
      }),
  );

  app.get(
    '/v1/billing/meters/:id/event_summaries',
    p.object({
      customer: p.string().required(),
      start_time: p.integer().required(),
      end_time: p.integer().required(),
      value_grouping_window: p.enum(['day', 'hour'] as const),
      limit: p.integer({ min: 1, max: 100 }),
      starting_after: p.string(),
      ending_before: p.string(),
    }),
    (ctx, params, req) => {
      const meter = getMeter(req.pathParams.id);
      if (params.end_time <= params.start_time) throw errors.invalid('end_time must be after start_time', 'end_time');
      const step = params.value_grouping_window === 'hour' ? 3600 : params.value_grouping_window === 'day' ? DAY : null;
      if (step && (params.start_time % step !== 0 || params.end_time % step !== 0))
        throw errors.invalid(
          `start_time and end_time must be aligned to ${params.value_grouping_window} boundaries (UTC) when value_grouping_window is ${params.value_grouping_window}.`,
          'start_time',
        );
      const windows: Array<[number, number]> = [];
      if (!step) windows.push([params.start_time, params.end_time]);
      else for (let t = params.start_time; t < params.end_time; t += step) windows.push([t, Math.min(t + step, params.end_time)]);
      let data: Stripe.Billing.MeterEventSummary[] = windows.map(([s, e]) => ({
        id: `mtrusg_${meter.id.slice(4, 14)}${s.toString(36)}${e.toString(36)}`,
        object: 'billing.meter_event_summary',
        aggregated_value: aggregateMeter(b, meter, params.customer, s, e),
        end_time: e,
        livemode: false,
        meter: meter.id,
        start_time: s,
      }));
      if (params.starting_after) {
        const i = data.findIndex((d) => d.id === params.starting_after);
        data = i >= 0 ? data.slice(i + 1) : data;
      }
      if (params.ending_before) {
        const i = data.findIndex((d) => d.id === params.ending_before);
        data = i >= 0 ? data.slice(0, i) : data;
      }
      const limit = params.limit ?? 10;
      return {
        object: 'list',
        data: data.slice(0, limit),
        has_more: data.length > limit,
        url: `/v1/billing/meters/${meter.id}/event_summaries`,
      };
    },
  );

  // ---- v2: meter event session + stream ----
  app.post('/v2/billing/meter_event_session', p.object({}), (ctx) => {
    const now = ctx.now();
    const token = `sk_test_mes_${base62(32)}`;
    const id = `mes_${base62(24)}`;
    store.setMeta(`billing_mes_token:${token}`, String(now + 15 * 60));
    return {
      id,
      object: 'v2.billing.meter_event_session',
      authentication_token: token,
      created: new Date(now * 1000).toISOString(),
      expires_at: new Date((now + 15 * 60) * 1000).toISOString(),
      livemode: false,
    };
  });
  app.post(
    '/v2/billing/meter_event_stream',
    p.object({
      events: p
        .array(
          p.object({
            event_name: p.string({ maxLength: 100 }).required(),
            identifier: p.string({ maxLength: 100 }),
            payload: p.hash().required(),
            timestamp: p.string(),
          }),
          { max: 100 },
        )
        .required(),
    }),
    (ctx, params, req) =>
      run(ctx, () => {
        const auth = String(req.headers.authorization ?? '').replace(/^Bearer\s+/, '');
        const exp = store.getMeta(`billing_mes_token:${auth}`);
        if (auth.startsWith('sk_test_mes_') && (!exp || Number(exp) < ctx.now())) {
          throw new StripeError({
            status: 401,
            type: 'invalid_request_error',
            code: 'billing_meter_event_session_expired',
            message: 'The meter event session has expired. Create a new session.',
          });
        }
        params.events.forEach((e, i) => {
          const ts = e.timestamp ? Math.floor(Date.parse(e.timestamp) / 1000) : undefined;
          if (e.timestamp && !Number.isFinite(ts)) throw errors.invalid('Invalid timestamp', `events[${i}][timestamp]`);
          recordEvent(ctx, { event_name: e.event_name, payload: e.payload, identifier: e.identifier, timestamp: ts }, `events[${i}]`, true);
        });
        return {};
      }),
  );
}
