import type Stripe from 'stripe';
import { applyMetadata, base62, errors, p, listParams, previousAttributes, type Ctx, type EmulatorApp } from '../core';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods';
import { addressParam, toAddress } from './shared';
import { searchFilter } from './search';

const shippingParam = p.object({ address: addressParam.required(), name: p.string().required(), phone: p.string().emptyable() });
const invoiceSettingsParam = p.object({
  custom_fields: p
    .array(p.object({ name: p.string({ maxLength: 40 }).required(), value: p.string({ maxLength: 140 }).required() }), { max: 4 })
    .emptyable(),
  default_payment_method: p.string().emptyable(),
  footer: p.string().emptyable(),
  rendering_options: p
    .object({ amount_tax_display: p.enum(['exclude_tax', 'include_inclusive_tax'] as const).emptyable(), template: p.string() })
    .emptyable(),
});
const taxExempt = p.enum(['exempt', 'none', 'reverse'] as const).emptyable();

const common = {
  address: addressParam.emptyable(),
  balance: p.integer(),
  business_name: p.string().emptyable(),
  individual_name: p.string().emptyable(),
  description: p.string({ maxLength: 350 }).emptyable(),
  email: p.string({ maxLength: 512 }).emptyable(),
  invoice_prefix: p.string(),
  invoice_settings: invoiceSettingsParam,
  metadata: p.metadata(),
  name: p.string({ maxLength: 256 }).emptyable(),
  next_invoice_sequence: p.integer({ min: 1 }),
  phone: p.string({ maxLength: 20 }).emptyable(),
  preferred_locales: p.array(p.string()).emptyable(),
  shipping: shippingParam.emptyable(),
  source: p.string(),
  tax: p.object({ ip_address: p.string().emptyable(), validate_location: p.enum(['auto', 'deferred', 'immediately'] as const) }),
  tax_exempt: taxExempt,
  validate: p.boolean(),
};

const CreateCustomer = p.object({
  ...common,
  payment_method: p.string(),
  test_clock: p.string(),
  tax_id_data: p.array(p.object({ type: p.string().required(), value: p.string().required() })),
  cash_balance: p.any(),
});
const UpdateCustomer = p.object({ ...common, default_source: p.string(), cash_balance: p.any() });

type CommonIn = Partial<{
  address: Parameters<typeof toAddress>[0] | null;
  balance: number;
  description: string | null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: ReturnType<typeof invoiceSettingsParam.parse>;
  metadata: Record<string, string | null> | null;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[] | null;
  shipping: { address: Parameters<typeof toAddress>[0]; name: string; phone?: string | null } | null;
  tax_exempt: string | null;
}>;

function applyCommon(ctx: Ctx, c: Stripe.Customer, params: CommonIn, justAttached: Map<string, string>): void {
  if (params.address !== undefined) c.address = toAddress(params.address);
  if (params.balance !== undefined) c.balance = params.balance;
  if (params.description !== undefined) c.description = params.description;
  if (params.email !== undefined) c.email = params.email;
  if (params.invoice_prefix !== undefined) {
    if (!/^[A-Z0-9]{3,12}$/.test(params.invoice_prefix))
      throw errors.invalidParam('invoice_prefix', 'Invalid invoice_prefix: must be 3-12 uppercase letters or numbers');
    c.invoice_prefix = params.invoice_prefix;
  }
  if (params.metadata !== undefined) c.metadata = applyMetadata(c.metadata, params.metadata);
  if (params.name !== undefined) c.name = params.name;
  if (params.next_invoice_sequence !== undefined) c.next_invoice_sequence = params.next_invoice_sequence;
  if (params.phone !== undefined) c.phone = params.phone;
  if (params.preferred_locales !== undefined) c.preferred_locales = params.preferred_locales ?? [];
  if (params.shipping !== undefined)
    c.shipping = params.shipping
      ? {
          address: toAddress(params.shipping.address)!,
          name: params.shipping.name,
          phone: params.shipping.phone ?? null,
          carrier: null,
          tracking_number: null,
        }
      : null;
  if (params.tax_exempt !== undefined) c.tax_exempt = (params.tax_exempt ?? 'none') as Stripe.Customer.TaxExempt;
  const is = params.invoice_settings;
  if (is) {
    if (is.custom_fields !== undefined) c.invoice_settings.custom_fields = is.custom_fields;
    if (is.footer !== undefined) c.invoice_settings.footer = is.footer;
    if (is.rendering_options !== undefined)
      c.invoice_settings.rendering_options = is.rendering_options
        ? { amount_tax_display: is.rendering_options.amount_tax_display ?? null, template: is.rendering_options.template ?? null }
        : null;
    if (is.default_payment_method !== undefined) {
      const v = is.default_payment_method;
      if (v === null) c.invoice_settings.default_payment_method = null;
      else {
        const param = 'invoice_settings[default_payment_method]';
        let pmId = justAttached.get(v);
        if (!pmId) {
          const pm = resolvePaymentMethod(ctx, v, param);
          // a test id creates a fresh pm: attach it (what Stripe does for `payment_method` + default)
          const attached = pm.customer ? pm : pm.id !== v ? attachPaymentMethod(ctx, pm, c.id) : pm;
          if (attached.customer !== c.id)
            throw errors.invalid(
              `The customer does not have a payment method with the ID ${v}. The payment method must be attached to the customer.`,
              param,
              'resource_missing',
            );
          pmId = attached.id;
        }
        c.invoice_settings.default_payment_method = pmId;
      }
    }
  }
}

function customerNow(ctx: Ctx, testClockId: string | null | undefined): number {
  if (!testClockId) return ctx.now();
  const clock = ctx.store.getAny(testClockId);
  const frozen = clock?.object?.frozen_time;
  return typeof frozen === 'number' ? frozen : ctx.now();
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'customer', prefix: 'cus', displayName: 'customer' });

  app.post('/v1/customers', CreateCustomer, (ctx, params) => {
    if (params.test_clock) {
      const clock = ctx.store.getAny(params.test_clock);
      if (!clock || clock.deleted || clock.type !== 'test_helpers.test_clock')
        throw errors.noSuch('test_clock', params.test_clock, 'test_clock');
    }
    const c: Stripe.Customer = {
      id: ctx.newId('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: customerNow(ctx, params.test_clock),
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: null,
      invoice_prefix: base62(8)
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, 'X'),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: {},
      name: null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: params.test_clock ?? null,
    };
    if (params.business_name) c.business_name = params.business_name;
    if (params.individual_name) c.individual_name = params.individual_name;
    // store first so attach can see the customer
    const justAttached = new Map<string, string>();
    ctx.store.put('customer', c);
    if (params.payment_method) {
      const pm = resolvePaymentMethod(ctx, params.payment_method);
      const attached = attachPaymentMethod(ctx, pm, c.id);
      justAttached.set(params.payment_method, attached.id);
    }
    applyCommon(ctx, c, params, justAttached);
    ctx.store.put('customer', c);
    // customer.created comes before the payment_method.attached events on Stripe; reorder by emitting now
    ctx.emit('customer.created', c);
    return c;
  });

  app.get(
    '/v1/customers/search',
    p.object({ query: p.string().required(), limit: p.integer({ min: 1, max: 100 }), page: p.string() }),
    (ctx, params) => {
      const all = ctx.store.all('customer');
      const matched = all.filter(searchFilter(params.query));
      const offset = params.page ? Number(Buffer.from(params.page, 'base64url').toString()) || 0 : 0;
      const limit = params.limit ?? 10;
      const data = matched.slice(offset, offset + limit);
      const hasMore = offset + limit < matched.length;
      return {
        object: 'search_result',
        data,
        has_more: hasMore,
        next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
        url: '/v1/customers/search',
        total_count: matched.length,
      };
    },
  );

  app.get('/v1/customers/:id', p.object({}), (ctx, _params, req) =>
    ctx.store.require('customer', req.pathParams.id!, 'id', { includeDeleted: true }),
  );

  app.post('/v1/customers/:id', UpdateCustomer, (ctx, params, req) => {
    const before = ctx.store.require('customer', req.pathParams.id!, 'id');
    const c: Stripe.Customer = structuredClone(before);
    applyCommon(ctx, c, params, new Map());
    if (params.business_name !== undefined) c.business_name = params.business_name ?? undefined;
    if (params.individual_name !== undefined) c.individual_name = params.individual_name ?? undefined;
    const prev = previousAttributes(before, c);
    ctx.store.put('customer', c);
    if (prev) ctx.emit('customer.updated', c, prev);
    return c;
  });

  app.del('/v1/customers/:id', p.object({}), (ctx, _params, req) => {
    const c = ctx.store.require('customer', req.pathParams.id!, 'id');
    const tomb = { id: c.id, object: 'customer', deleted: true };
    // payment methods stay in the store but lose their customer, as on Stripe
    for (const pm of ctx.store.all('payment_method', { where: { customer: c.id } }))
      ctx.store.put('payment_method', { ...pm, customer: null });
    ctx.emit('customer.deleted', c);
    ctx.store.delete('customer', c.id, tomb);
    return tomb;
  });

  app.get('/v1/customers', p.object({ ...listParams, email: p.string(), test_clock: p.string() }), (ctx, params) =>
    ctx.list('customer', params, { where: { email: params.email, test_clock: params.test_clock } }, '/v1/customers'),
  );
}
