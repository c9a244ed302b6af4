/**
 * Meter event adjustments (`POST /v1/billing/meter_event_adjustments`, `type: 'cancel'`): cancels a
 * meter event by its identifier, within 24 hours of its receipt as on Stripe. The event stops
 * counting at once (event summaries and usage on the next invoice); Stripe applies it
 * asynchronously, so the answer says `pending` as Stripe's does.
 */
import type Stripe from 'stripe';
import { errors, p, type EmulatorApp } from '../../core';
import { DAY } from '../util';
import type { StoredMeterEvent } from '../engine/usage';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { run }: BillingRuntime): void {
  app.post(
    '/v1/billing/meter_event_adjustments',
    p.object({
      event_name: p.string({ maxLength: 100 }).required(),
      type: p.enum(['cancel'] as const).required(),
      cancel: p.object({ identifier: p.string({ maxLength: 100 }) }),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const identifier = params.cancel?.identifier;
        if (!identifier) throw errors.missingParam('cancel[identifier]');
        const ev = (
          ctx.store.all('billing.meter_event', { where: { event_name: params.event_name, identifier } }) as StoredMeterEvent[]
        )[0];
        if (!ev)
          throw errors.invalid(
            `No meter event '${params.event_name}' with identifier '${identifier}' to cancel (it may already be canceled).`,
            'cancel[identifier]',
            'resource_missing',
          );
        if (ev.created + DAY < ctx.now())
          throw errors.invalid('Meter events can only be canceled within 24 hours of being received.', 'cancel[identifier]');
        ctx.store.delete('billing.meter_event', ev.id, { id: ev.id, object: 'billing.meter_event', deleted: true });
        const out: Stripe.Billing.MeterEventAdjustment = {
          object: 'billing.meter_event_adjustment',
          cancel: { identifier },
          event_name: params.event_name,
          livemode: false,
          status: 'pending',
          type: 'cancel',
        };
        return out;
      }),
  );
}
