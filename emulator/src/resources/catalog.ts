/**
 * Creating products and prices, shared by both resources: a price can create its product
 * (`product_data`), a product its default price (`default_price_data`).
 */
import type Stripe from 'stripe';
import { applyMetadata, canonicalDecimal, errors, p, type Ctx } from '../core';
import { decimal } from './shared';

export function createProduct(
  ctx: Ctx,
  params: {
    id?: string;
    name: string;
    active?: boolean;
    description?: string;
    metadata?: Record<string, string | null> | null;
    images?: string[];
    marketing_features?: { name: string }[];
    package_dimensions?: Stripe.Product.PackageDimensions;
    shippable?: boolean;
    statement_descriptor?: string;
    tax_code?: string;
    unit_label?: string;
    url?: string;
  },
): Stripe.Product {
  if (params.id && ctx.store.getAny(params.id)) throw errors.invalidParam('id', `Product already exists.`, 'resource_already_exists');
  const prod: Stripe.Product = {
    id: params.id ?? ctx.newId('prod'),
    object: 'product',
    active: params.active ?? true,
    created: ctx.now(),
    default_price: null,
    description: params.description ?? null,
    images: params.images ?? [],
    livemode: false,
    marketing_features: params.marketing_features ?? [],
    metadata: applyMetadata({}, params.metadata),
    name: params.name,
    package_dimensions: params.package_dimensions ?? null,
    shippable: params.shippable ?? null,
    statement_descriptor: params.statement_descriptor ?? null,
    tax_code: params.tax_code ?? null,
    tax_details: null,
    type: 'service',
    unit_label: params.unit_label ?? null,
    updated: ctx.now(),
    url: params.url ?? null,
  };
  ctx.store.put('product', prod);
  ctx.emit('product.created', prod);
  return prod;
}

export const recurringParam = p.object({
  interval: p.enum(['day', 'week', 'month', 'year'] as const).required(),
  interval_count: p.integer({ min: 1 }),
  usage_type: p.enum(['licensed', 'metered'] as const),
  meter: p.string(),
  trial_period_days: p.integer({ min: 1 }),
});

export const tierParam = p.object({
  up_to: p.union(p.literal('inf'), p.integer({ min: 1 })).required(),
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
  flat_amount: p.integer({ min: 0 }),
  flat_amount_decimal: p.decimal(),
});

export const taxBehavior = p.enum(['exclusive', 'inclusive', 'unspecified'] as const);

export interface PriceInput {
  currency: string;
  product?: string;
  product_data?: {
    name: string;
    active?: boolean;
    metadata?: Record<string, string | null> | null;
    statement_descriptor?: string;
    tax_code?: string;
    unit_label?: string;
    id?: string;
  };
  unit_amount?: number;
  unit_amount_decimal?: string;
  recurring?: {
    interval: 'day' | 'week' | 'month' | 'year';
    interval_count?: number;
    usage_type?: 'licensed' | 'metered';
    meter?: string;
    trial_period_days?: number;
  };
  lookup_key?: string;
  transfer_lookup_key?: boolean;
  active?: boolean;
  nickname?: string;
  metadata?: Record<string, string | null> | null;
  tax_behavior?: 'exclusive' | 'inclusive' | 'unspecified';
  billing_scheme?: 'per_unit' | 'tiered';
  tiers?: {
    up_to: 'inf' | number;
    unit_amount?: number;
    unit_amount_decimal?: string;
    flat_amount?: number;
    flat_amount_decimal?: string;
  }[];
  tiers_mode?: 'graduated' | 'volume';
  transform_quantity?: { divide_by: number; round: 'up' | 'down' };
  custom_unit_amount?: unknown;
  currency_options?: unknown;
}

/** Give `key` to a price; with transfer, take it from the price that holds it. */
export function claimLookupKey(ctx: Ctx, key: string, transfer: boolean | undefined, selfId: string | null, param = 'lookup_key'): void {
  const holders = ctx.store.all('price', { where: { lookup_key: key } }).filter((x) => x.id !== selfId);
  for (const holder of holders) {
    if (!transfer)
      throw errors.invalidParam(param, `A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key_already_exists' as string);
    const next = { ...holder, lookup_key: null };
    ctx.store.put('price', next);
    ctx.emit('price.updated', next, { lookup_key: key });
  }
}

export function createPrice(ctx: Ctx, params: PriceInput, prefix = ''): Stripe.Price {
  const P = (name: string) => (prefix ? `${prefix}[${name}]` : name);
  const currency = params.currency.toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw errors.invalidParam(P('currency'), `Invalid currency: ${params.currency}.`);
  let productId: string;
  if (params.product) {
    if (params.product_data)
      throw errors.invalidParam(
        'product_data',
        'You may only specify one of these parameters: product, product_data.',
        'parameters_exclusive' as string,
      );
    productId = ctx.store.require('product', params.product, 'product').id;
  } else if (params.product_data) {
    productId = createProduct(ctx, params.product_data).id;
  } else if (!prefix) throw errors.missingParam('product');
  else throw errors.missingParam(P('product'));
  const scheme = params.billing_scheme ?? 'per_unit';
  if (scheme === 'per_unit' && params.unit_amount === undefined && params.unit_amount_decimal === undefined && !params.custom_unit_amount)
    throw errors.missingParam(P('unit_amount'));
  if (params.unit_amount !== undefined && params.unit_amount_decimal !== undefined)
    throw errors.invalidParam(
      P('unit_amount'),
      'You may only specify one of these parameters: unit_amount, unit_amount_decimal.',
      'parameters_exclusive' as string,
    );
  if (scheme === 'tiered') {
    if (!params.tiers?.length) throw errors.missingParam(P('tiers'));
    if (!params.tiers_mode) throw errors.missingParam(P('tiers_mode'));
    if (params.tiers[params.tiers.length - 1]!.up_to !== 'inf')
      throw errors.invalidParam(P('tiers'), 'The last tier must have up_to set to inf.');
  }
  const rec = params.recurring;
  if (rec?.usage_type === 'metered') {
    if (!rec.meter) throw errors.missingParam(P('recurring[meter]'));
    const meter = ctx.store.getAny(rec.meter);
    if (!meter || meter.type !== 'billing.meter') throw errors.noSuch('billing meter', rec.meter, P('recurring[meter]'));
  }
  if (params.lookup_key) claimLookupKey(ctx, params.lookup_key, params.transfer_lookup_key, null, P('lookup_key'));
  const unitDec =
    params.unit_amount !== undefined
      ? String(params.unit_amount)
      : params.unit_amount_decimal !== undefined
        ? canonicalDecimal(params.unit_amount_decimal)
        : null;
  const unitAmount = params.unit_amount ?? (unitDec !== null && /^\d+$/.test(unitDec) ? Number(unitDec) : null);
  const price: Stripe.Price = {
    id: ctx.newId('price'),
    object: 'price',
    active: params.active ?? true,
    billing_scheme: scheme,
    created: ctx.now(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: params.lookup_key ?? null,
    metadata: applyMetadata({}, params.metadata),
    nickname: params.nickname ?? null,
    product: productId,
    recurring: rec
      ? {
          interval: rec.interval,
          interval_count: rec.interval_count ?? 1,
          meter: rec.meter ?? null,
          trial_period_days: rec.trial_period_days ?? null,
          usage_type: rec.usage_type ?? 'licensed',
        }
      : null,
    tax_behavior: params.tax_behavior ?? 'unspecified',
    tiers_mode: scheme === 'tiered' ? (params.tiers_mode ?? null) : null,
    transform_quantity: params.transform_quantity ?? null,
    type: rec ? 'recurring' : 'one_time',
    unit_amount: scheme === 'tiered' ? null : unitAmount,
    unit_amount_decimal: decimal(scheme === 'tiered' ? null : unitDec),
  };
  if (scheme === 'tiered')
    price.tiers = params.tiers!.map((t) => ({
      flat_amount: t.flat_amount ?? null,
      flat_amount_decimal: decimal(t.flat_amount !== undefined ? String(t.flat_amount) : (t.flat_amount_decimal ?? null)),
      unit_amount: t.unit_amount ?? null,
      unit_amount_decimal: decimal(t.unit_amount !== undefined ? String(t.unit_amount) : (t.unit_amount_decimal ?? null)),
      up_to: t.up_to === 'inf' ? null : t.up_to,
    }));
  ctx.store.put('price', price);
  ctx.emit('price.created', price);
  return price;
}
