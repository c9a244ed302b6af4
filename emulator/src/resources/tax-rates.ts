/**
 * Tax rates (`/v1/tax_rates` create/retrieve/update/list). Stored and listed with Stripe's rules
 * (percentage fixed at creation; `active: false` archives), events `tax_rate.created/updated`. The
 * emulator does not compute tax: a rate set on an invoice, item or subscription is not applied to
 * its amounts (docs/emulator.md).
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, type EmulatorApp } from '../core';

const TAX_TYPES = [
  'admissions_tax',
  'amusement_tax',
  'attendance_tax',
  'communications_tax',
  'digital_excise_tax',
  'entertainment_tax',
  'get_fund',
  'gross_receipts_tax',
  'gst',
  'hospitality_tax',
  'hst',
  'igst',
  'jct',
  'lease_tax',
  'luxury_tax',
  'mass_transit_parking_tax',
  'nhil',
  'parking_tax',
  'pst',
  'qst',
  'resort_tax',
  'retail_delivery_fee',
  'rst',
  'sales_tax',
  'service_tax',
  'tourism_tax',
  'utility_users_tax',
  'vat',
] as const;

const common = {
  active: p.boolean(),
  country: p.string(),
  description: p.string(),
  jurisdiction: p.string(),
  metadata: p.metadata(),
  state: p.string(),
  tax_type: p.enum(TAX_TYPES),
};

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'tax_rate', prefix: 'txr', displayName: 'tax rate' });

  app.post(
    '/v1/tax_rates',
    p.object({
      ...common,
      display_name: p.string({ maxLength: 50 }).required(),
      inclusive: p.boolean().required(),
      percentage: p.number().required(),
    }),
    (ctx, params) => {
      if (params.percentage < 0 || params.percentage > 100)
        throw errors.invalidParam('percentage', 'The percentage must be between 0 and 100.');
      if (params.country !== undefined && !/^[A-Za-z]{2}$/.test(params.country))
        throw errors.invalidParam('country', `Invalid country: ${params.country}. Use a two-letter ISO code (e.g. DE).`);
      const rate: Stripe.TaxRate = {
        id: ctx.newId('txr'),
        object: 'tax_rate',
        active: params.active ?? true,
        country: params.country?.toUpperCase() ?? null,
        created: ctx.now(),
        description: params.description ?? null,
        display_name: params.display_name,
        effective_percentage: params.percentage,
        flat_amount: null,
        inclusive: params.inclusive,
        jurisdiction: params.jurisdiction ?? null,
        jurisdiction_level: null,
        livemode: false,
        metadata: applyMetadata({}, params.metadata),
        percentage: params.percentage,
        rate_type: 'percentage',
        state: params.state ?? null,
        tax_type: params.tax_type ?? null,
      };
      ctx.store.put('tax_rate', rate);
      ctx.emit('tax_rate.created', rate);
      return rate;
    },
  );

  app.get('/v1/tax_rates/:id', p.object({}), (ctx, _params, req) => ctx.store.require('tax_rate', req.pathParams.id!, 'id'));

  app.post('/v1/tax_rates/:id', p.object({ ...common, display_name: p.string({ maxLength: 50 }) }), (ctx, params, req) => {
    const before = ctx.store.require('tax_rate', req.pathParams.id!, 'id') as Stripe.TaxRate;
    const after: Stripe.TaxRate = {
      ...before,
      active: params.active ?? before.active,
      country: params.country?.toUpperCase() ?? before.country,
      description: params.description ?? before.description,
      display_name: params.display_name ?? before.display_name,
      jurisdiction: params.jurisdiction ?? before.jurisdiction,
      metadata: applyMetadata(before.metadata ?? {}, params.metadata),
      state: params.state ?? before.state,
      tax_type: params.tax_type ?? before.tax_type,
    };
    ctx.store.put('tax_rate', after);
    const prev = previousAttributes(before, after);
    if (prev) ctx.emit('tax_rate.updated', after, prev);
    return after;
  });

  app.get('/v1/tax_rates', p.object({ ...listParams, active: p.boolean(), inclusive: p.boolean() }), (ctx, params) =>
    ctx.list('tax_rate', params, { where: { active: params.active, inclusive: params.inclusive } }, '/v1/tax_rates'),
  );
}
