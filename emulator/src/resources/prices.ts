/**
 * Prices: immutable except active, metadata, nickname, lookup_key (+ transfer_lookup_key),
 * tax_behavior (only from unspecified). lookup_key is unique among prices.
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, p, listParams, previousAttributes, type EmulatorApp } from '../core';
import { claimLookupKey, createPrice, recurringParam, taxBehavior, tierParam } from './catalog';
import { searchFilter } from './search';

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'price', prefix: 'price', displayName: 'price' });

  app.post(
    '/v1/prices',
    p.object({
      currency: p.string().required(),
      product: p.string(),
      product_data: p.object({
        name: p.string().required(),
        id: p.string(),
        active: p.boolean(),
        metadata: p.metadata(),
        statement_descriptor: p.string(),
        tax_code: p.string(),
        tax_details: p.any(),
        unit_label: p.string(),
      }),
      unit_amount: p.integer({ min: 0 }),
      unit_amount_decimal: p.decimal(),
      recurring: recurringParam,
      lookup_key: p.string({ maxLength: 200 }),
      transfer_lookup_key: p.boolean(),
      active: p.boolean(),
      nickname: p.string(),
      metadata: p.metadata(),
      tax_behavior: taxBehavior,
      billing_scheme: p.enum(['per_unit', 'tiered'] as const),
      tiers: p.array(tierParam),
      tiers_mode: p.enum(['graduated', 'volume'] as const),
      transform_quantity: p.object({ divide_by: p.integer({ min: 1 }).required(), round: p.enum(['up', 'down'] as const).required() }),
      custom_unit_amount: p.any(),
      currency_options: p.any(),
    }),
    (ctx, params) => createPrice(ctx, params),
  );

  app.get(
    '/v1/prices/search',
    p.object({ query: p.string().required(), limit: p.integer({ min: 1, max: 100 }), page: p.string() }),
    (ctx, params) => {
      const matched = ctx.store.all('price').filter(searchFilter(params.query));
      const offset = params.page ? Number(Buffer.from(params.page, 'base64url').toString()) || 0 : 0;
      const limit = params.limit ?? 10;
      const hasMore = offset + limit < matched.length;
      return {
        object: 'search_result',
        data: matched.slice(offset, offset + limit),
        has_more: hasMore,
        next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
        url: '/v1/prices/search',
      };
    },
  );

  app.get('/v1/prices/:id', p.object({}), (ctx, _params, req) =>
    ctx.store.require('price', req.pathParams.id!, 'id', { includeDeleted: true }),
  );

  app.post(
    '/v1/prices/:id',
    p.object({
      active: p.boolean(),
      metadata: p.metadata(),
      nickname: p.string().emptyable(),
      lookup_key: p.string({ maxLength: 200 }).emptyable(),
      transfer_lookup_key: p.boolean(),
      tax_behavior: taxBehavior,
      currency_options: p.any(),
    }),
    (ctx, params, req) => {
      const before = ctx.store.require('price', req.pathParams.id!, 'id');
      const price: Stripe.Price = structuredClone(before);
      if (params.active !== undefined) price.active = params.active;
      if (params.metadata !== undefined) price.metadata = applyMetadata(price.metadata, params.metadata);
      if (params.nickname !== undefined) price.nickname = params.nickname;
      if (params.lookup_key !== undefined) {
        if (params.lookup_key) claimLookupKey(ctx, params.lookup_key, params.transfer_lookup_key, price.id);
        price.lookup_key = params.lookup_key;
      }
      if (params.tax_behavior !== undefined && params.tax_behavior !== price.tax_behavior) {
        if (price.tax_behavior !== 'unspecified')
          throw errors.invalidParam('tax_behavior', 'tax_behavior cannot be changed once it is set to exclusive or inclusive.');
        price.tax_behavior = params.tax_behavior;
      }
      const prev = previousAttributes(before, price);
      if (prev) {
        ctx.store.put('price', price);
        ctx.emit('price.updated', price, prev);
      }
      return price;
    },
  );

  app.get(
    '/v1/prices',
    p.object({
      ...listParams,
      active: p.boolean(),
      currency: p.string(),
      product: p.string(),
      type: p.enum(['one_time', 'recurring'] as const),
      lookup_keys: p.array(p.string(), { max: 10 }),
      recurring: p.object({
        interval: p.enum(['day', 'week', 'month', 'year'] as const),
        usage_type: p.enum(['licensed', 'metered'] as const),
        meter: p.string(),
      }),
    }),
    (ctx, params) =>
      ctx.list(
        'price',
        params,
        {
          where: {
            active: params.active,
            currency: params.currency?.toLowerCase(),
            product: params.product,
            type: params.type,
            lookup_key: params.lookup_keys,
            'recurring.interval': params.recurring?.interval,
            'recurring.usage_type': params.recurring?.usage_type,
            'recurring.meter': params.recurring?.meter,
          },
        },
        '/v1/prices',
      ),
  );
}
