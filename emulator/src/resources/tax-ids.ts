import type Stripe from 'stripe';
import { errors, p, listParams, type Ctx, type EmulatorApp } from '../core';

/**
 * Tax IDs: a customer's (`/v1/customers/:id/tax_ids`, and `/v1/tax_ids` with `owner[type]=customer`)
 * or the account's own (`/v1/tax_ids` with `owner[type]=self`). Every type of the pinned API is
 * accepted; the common ones are validated as Stripe does (error `tax_id_invalid` with Stripe's words,
 * "Invalid value for eu_vat."). A customer's are listed as its includable `tax_ids` and copied onto
 * invoices when they are finalized.
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
/** Every tax ID type of the pinned API; the formats above are checked, the others accepted as given. */
const TYPES = new Set(
  [
    'ad_nrt ae_trn al_tin am_tin ao_tin ar_cuit au_abn au_acn au_arn au_wpn aw_tin az_tin ba_tin',
    'bb_tin bd_bin bf_ifu bg_uic bh_vat bj_ifu bo_tin br_cnpj br_cpf bs_tin bw_vat by_tin ca_bn',
    'ca_gst_hst ca_pst_bc ca_pst_mb ca_pst_sk ca_qst cd_nif ch_uid ch_vat ci_vat cl_tin cm_niu cn_tin',
    'co_nit cr_tin cv_nif cz_dic de_stn do_rcn ec_ruc eg_tin es_cif et_tin eu_oss_vat eu_vat fo_vat',
    'fr_siren fr_siret fr_spi gb_vat ge_vat gh_tin gi_tin gn_nif hk_br hr_oib hu_tin ic_nif id_npwp',
    'il_vat in_gst is_kt is_vat it_cf jp_cn jp_rn jp_trn ke_pin kg_tin kh_tin kr_brn kz_bin la_tin',
    'li_uid li_vat lk_vat ma_vat md_cf md_vat me_pib mk_vat mr_nif mu_vat mx_rfc my_frp my_itn my_sst',
    'mz_nuit ng_tin no_vat no_voec np_pan nz_bn nz_gst om_vat pe_ruc ph_tin pl_nip pt_nif py_ruc',
    'ro_tin rs_pib ru_inn ru_kpp sa_vat sg_gst sg_uen si_tin sm_coe sn_ninea sr_fin sv_nit th_vat',
    'tj_tin tr_tin tt_bir tt_vat tw_vat tz_vat ua_vat ug_tin us_ein uy_ruc uz_tin uz_vat ve_rif',
    'vn_tin za_vat zm_tin zw_tin',
  ]
    .join(' ')
    .split(' '),
);

export function taxIdsOf(ctx: Pick<Ctx, 'store'>, customerId: string): Stripe.TaxId[] {
  return (ctx.store.all('tax_id', { where: { customer: customerId } }) as Stripe.TaxId[]).sort((a, b) => a.created - b.created);
}

function createTaxId(ctx: Ctx, params: { type: string; value: string }, customer: string | null): Stripe.TaxId {
  if (!TYPES.has(params.type)) throw errors.invalid(`Invalid type: ${params.type} is not a tax ID type.`, 'type');
  const format = FORMATS[params.type];
  const value = format ? params.value.replace(/\s+/g, params.type === 'ch_vat' ? ' ' : '').toUpperCase() : params.value.trim();
  if (format && !format.test(value)) throw errors.invalid(`Invalid value for ${params.type}.`, 'value', 'tax_id_invalid');
  if (!value) throw errors.invalid(`Invalid value for ${params.type}.`, 'value', 'tax_id_invalid');
  const t: Stripe.TaxId = {
    id: ctx.newId('txi'),
    object: 'tax_id',
    country:
      COUNTRY[params.type] ?? (params.type === 'eu_vat' ? value.slice(0, 2).replace('EL', 'GR') : params.type.slice(0, 2).toUpperCase()),
    created: ctx.now(),
    customer,
    customer_account: null,
    livemode: false,
    owner: customer ? { type: 'customer', customer, customer_account: null } : { type: 'self', customer_account: null },
    type: params.type as Stripe.TaxId.Type,
    value,
    verification: VERIFIED_TYPES.has(params.type) ? { status: 'pending', verified_address: null, verified_name: null } : null,
  };
  ctx.store.put('tax_id', t as never);
  // Only a customer's tax IDs have events at the pinned version (customer.tax_id.*); the account's own have none.
  if (customer) ctx.emit('customer.tax_id.created', t as never);
  return t;
}

function deleteTaxId(ctx: Ctx, t: Stripe.TaxId): { id: string; object: string; deleted: true } {
  const tomb = { id: t.id, object: 'tax_id', deleted: true as const };
  if (t.customer) ctx.emit('customer.tax_id.deleted', t as never);
  ctx.store.delete('tax_id', t.id, tomb);
  return tomb;
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'tax_id', prefix: 'txi', displayName: 'tax ID' });
  app.includable('customer', 'tax_ids', (ctx, c: Stripe.Customer) => {
    const data = taxIdsOf(ctx, c.id);
    return { object: 'list', data, has_more: false, url: `/v1/customers/${c.id}/tax_ids` };
  });

  app.post('/v1/customers/:id/tax_ids', p.object({ type: p.string().required(), value: p.string().required() }), (ctx, params, req) => {
    const c = ctx.store.require('customer', req.pathParams.id!, 'id') as Stripe.Customer;
    return createTaxId(ctx, params, c.id);
  });

  app.post(
    '/v1/tax_ids',
    p.object({
      type: p.string().required(),
      value: p.string().required(),
      owner: p.object({
        type: p.enum(['customer', 'self', 'account', 'application'] as const).required(),
        customer: p.string(),
        account: p.string(),
        customer_account: p.string(),
      }),
    }),
    (ctx, params) => {
      const owner = params.owner ?? { type: 'self' as const };
      if (owner.type === 'account' || owner.type === 'application')
        throw errors.invalidParam('owner[type]', 'The emulator has no Connect accounts: use owner[type]=customer or self.');
      if (owner.type === 'self') return createTaxId(ctx, params, null);
      if (!owner.customer) throw errors.missingParam('owner[customer]');
      return createTaxId(ctx, params, ctx.store.require('customer', owner.customer, 'owner[customer]').id);
    },
  );
  app.get('/v1/tax_ids/:id', p.object({}), (ctx, _params, req) => ctx.store.require('tax_id', req.pathParams.id!, 'id'));
  app.del('/v1/tax_ids/:id', p.object({}), (ctx, _params, req) =>
    deleteTaxId(ctx, ctx.store.require('tax_id', req.pathParams.id!, 'id') as Stripe.TaxId),
  );
  app.get(
    '/v1/tax_ids',
    p.object({
      ...listParams,
      owner: p.object({
        type: p.enum(['customer', 'self', 'account', 'application'] as const).required(),
        customer: p.string(),
        account: p.string(),
        customer_account: p.string(),
      }),
    }),
    (ctx, params) => {
      const owner = params.owner ?? { type: 'self' as const };
      if (owner.type === 'customer' && !owner.customer) throw errors.missingParam('owner[customer]');
      return ctx.list(
        'tax_id',
        params,
        { where: { 'owner.type': owner.type, customer: owner.type === 'customer' ? owner.customer : undefined } },
        '/v1/tax_ids',
      );
    },
  );

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
    return deleteTaxId(ctx, t);
  });
}
