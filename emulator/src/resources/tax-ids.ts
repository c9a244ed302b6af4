import type Stripe from 'stripe';
import { errors, p, listParams, type Ctx, type EmulatorApp } from '../core';

/**
 * Customer tax IDs (`/v1/customers/:id/tax_ids`), validated by type as Stripe does for the common
 * types (error `tax_id_invalid` with Stripe's words, "Invalid value for eu_vat."), listed as the
 * customer's includable `tax_ids`, and copied onto invoices when they are finalized.
 */
const FORMATS: Record<string, RegExp> = {
  eu_vat: /^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z]{8,12}$/,
  gb_vat: /^GB(\d{9}|\d{12})$/,
  us_ein: /^\d{2}-\d{7}$/,
  au_abn: /^\d{11}$/,
  ca_bn: /^\d{9}$/,
  ch_vat: /^CHE-\d{3}\.\d{3}\.\d{3} (MWST|TVA|IVA)$/,
  no_vat: /^\d{9}MVA$/,
  in_gst: /^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/,
};
const COUNTRY: Record<string, string> = { gb_vat: 'GB', us_ein: 'US', au_abn: 'AU', ca_bn: 'CA', ch_vat: 'CH', no_vat: 'NO', in_gst: 'IN' };
const VERIFIED_TYPES = new Set(['eu_vat', 'gb_vat', 'au_abn']);

export function taxIdsOf(ctx: Pick<Ctx, 'store'>, customerId: string): Stripe.TaxId[] {
  return (ctx.store.all('tax_id', { where: { customer: customerId } }) as Stripe.TaxId[]).sort((a, b) => a.created - b.created);
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'tax_id', prefix: 'txi', displayName: 'tax ID' });
  app.includable('customer', 'tax_ids', (ctx, c: Stripe.Customer) => {
    const data = taxIdsOf(ctx, c.id);
    return { object: 'list', data, has_more: false, url: `/v1/customers/${c.id}/tax_ids` };
  });

  app.post('/v1/customers/:id/tax_ids', p.object({ type: p.string().required(), value: p.string().required() }), (ctx, params, req) => {
    const c = ctx.store.require('customer', req.pathParams.id!, 'id') as Stripe.Customer;
    const format = FORMATS[params.type];
    if (!format) throw errors.invalid(`Invalid type: must be one of ${Object.keys(FORMATS).join(', ')}`, 'type');
    const value = params.value.replace(/\s+/g, params.type === 'ch_vat' ? ' ' : '').toUpperCase();
    if (!format.test(value)) throw errors.invalid(`Invalid value for ${params.type}.`, 'value', 'tax_id_invalid');
    const t: Stripe.TaxId = {
      id: ctx.newId('txi'),
      object: 'tax_id',
      country: COUNTRY[params.type] ?? (params.type === 'eu_vat' ? value.slice(0, 2).replace('EL', 'GR') : null),
      created: ctx.now(),
      customer: c.id,
      customer_account: null,
      livemode: false,
      owner: { type: 'customer', customer: c.id } as Stripe.TaxId.Owner,
      type: params.type as Stripe.TaxId.Type,
      value,
      verification: VERIFIED_TYPES.has(params.type) ? { status: 'pending', verified_address: null, verified_name: null } : null,
    };
    ctx.store.put('tax_id', t as never);
    ctx.emit('customer.tax_id.created', t as never);
    return t;
  });

  app.get('/v1/customers/:id/tax_ids', p.object({ ...listParams }), (ctx, params, req) => {
    ctx.store.require('customer', req.pathParams.id!, 'id');
    return ctx.list('tax_id', params, { where: { customer: req.pathParams.id } }, `/v1/customers/${req.pathParams.id}/tax_ids`);
  });

  app.get('/v1/customers/:id/tax_ids/:tid', p.object({}), (ctx, _params, req) => {
    const t = ctx.store.require('tax_id', req.pathParams.tid!, 'id') as Stripe.TaxId;
    if (t.customer !== req.pathParams.id) throw errors.noSuch('tax_id', req.pathParams.tid!, 'id');
    return t;
  });

  app.del('/v1/customers/:id/tax_ids/:tid', p.object({}), (ctx, _params, req) => {
    const t = ctx.store.require('tax_id', req.pathParams.tid!, 'id') as Stripe.TaxId;
    if (t.customer !== req.pathParams.id) throw errors.noSuch('tax_id', req.pathParams.tid!, 'id');
    const tomb = { id: t.id, object: 'tax_id', deleted: true };
    ctx.emit('customer.tax_id.deleted', t as never);
    ctx.store.delete('tax_id', t.id, tomb);
    return tomb;
  });
}
