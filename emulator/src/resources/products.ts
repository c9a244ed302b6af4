import type Stripe from 'stripe';
import { applyMetadata, errors, p, listParams, previousAttributes, type EmulatorApp } from '../core';
import { createPrice, createProduct, recurringParam } from './catalog';
import { searchFilter } from './search';
import { deleted } from './shared';

const dims = p.object({
  height: p.number().required(),
  length: p.number().required(),
  weight: p.number().required(),
  width: p.number().required(),
});
const features = p.array(p.object({ name: p.string({ maxLength: 80 }).required() }), { max: 15 });

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'product', prefix: 'prod', displayName: 'product' });

  app.post(
    '/v1/products',
    p.object({
      id: p.string(),
      name: p.string({ maxLength: 250 }).required(),
      active: p.boolean(),
      description: p.string({ maxLength: 40000 }),
      metadata: p.metadata(),
      default_price_data: p.object({
        currency: p.string().required(),
        unit_amount: p.integer({ min: 0 }),
        unit_amount_decimal: p.decimal(),
        recurring: p.object({ interval: recurringParam.shape.interval, interval_count: recurringParam.shape.interval_count }),
        tax_behavior: p.enum(['exclusive', 'inclusive', 'unspecified'] as const),
        currency_options: p.any(),
        custom_unit_amount: p.any(),
        metadata: p.metadata(),
      }),
      images: p.array(p.string(), { max: 8 }),
      marketing_features: features,
      package_dimensions: dims,
      shippable: p.boolean(),
      statement_descriptor: p.string({ maxLength: 22 }),
      tax_code: p.string(),
      tax_details: p.any(),
      unit_label: p.string({ maxLength: 12 }),
      url: p.string(),
    }),
    (ctx, params) => {
      const prod = createProduct(ctx, params);
      if (params.default_price_data) {
        const d = params.default_price_data;
        const price = createPrice(
          ctx,
          { ...d, product: prod.id, recurring: d.recurring ? { ...d.recurring, interval: d.recurring.interval! } : undefined },
          'default_price_data',
        );
        const next = { ...prod, default_price: price.id };
        ctx.store.put('product', next);
        return next;
      }
      return prod;
    },
  );

  app.get(
    '/v1/products/search',
    p.object({ query: p.string().required(), limit: p.integer({ min: 1, max: 100 }), page: p.string() }),
    (ctx, params) => {
      const matched = ctx.store.all('product').filter(searchFilter(params.query));
      const offset = params.page ? Number(Buffer.from(params.page, 'base64url').toString()) || 0 : 0;
      const limit = params.limit ?? 10;
      const hasMore = offset + limit < matched.length;
      return {
        object: 'search_result',
        data: matched.slice(offset, offset + limit),
        has_more: hasMore,
        next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
        url: '/v1/products/search',
        total_count: matched.length,
      };
    },
  );

  app.get('/v1/products/:id', p.object({}), (ctx, _params, req) =>
    ctx.store.require('product', req.pathParams.id!, 'id', { includeDeleted: true }),
  );

  app.post(
    '/v1/products/:id',
    p.object({
      active: p.boolean(),
      default_price: p.string(),
      description: p.string().emptyable(),
      images: p.array(p.string(), { max: 8 }).emptyable(),
      marketing_features: features.emptyable(),
      metadata: p.metadata(),
      name: p.string({ maxLength: 250 }),
      package_dimensions: dims.emptyable(),
      shippable: p.boolean(),
      statement_descriptor: p.string({ maxLength: 22 }),
      tax_code: p.string().emptyable(),
      tax_details: p.any(),
      unit_label: p.string().emptyable(),
      url: p.string().emptyable(),
    }),
    (ctx, params, req) => {
      const before = ctx.store.require('product', req.pathParams.id!, 'id');
      const prod: Stripe.Product = structuredClone(before);
      if (params.active !== undefined) prod.active = params.active;
      if (params.default_price !== undefined) {
        const price = ctx.store.require('price', params.default_price, 'default_price');
        if (price.product !== prod.id) throw errors.invalidParam('default_price', 'The default price must belong to this product.');
        prod.default_price = price.id;
      }
      if (params.description !== undefined) prod.description = params.description;
      if (params.images !== undefined) prod.images = params.images ?? [];
      if (params.marketing_features !== undefined) prod.marketing_features = params.marketing_features ?? [];
      if (params.metadata !== undefined) prod.metadata = applyMetadata(prod.metadata, params.metadata);
      if (params.name !== undefined) prod.name = params.name;
      if (params.package_dimensions !== undefined) prod.package_dimensions = params.package_dimensions;
      if (params.shippable !== undefined) prod.shippable = params.shippable;
      if (params.statement_descriptor !== undefined) prod.statement_descriptor = params.statement_descriptor;
      if (params.tax_code !== undefined) prod.tax_code = params.tax_code;
      if (params.unit_label !== undefined) prod.unit_label = params.unit_label;
      if (params.url !== undefined) prod.url = params.url;
      const prev = previousAttributes(before, prod);
      if (prev) {
        prod.updated = ctx.now();
        ctx.store.put('product', prod);
        ctx.emit('product.updated', prod, prev);
      }
      return prod;
    },
  );

  app.del('/v1/products/:id', p.object({}), (ctx, _params, req) => {
    const prod = ctx.store.require('product', req.pathParams.id!, 'id');
    if (ctx.store.list('price', { where: { product: prod.id }, limit: 1 }).data.length)
      throw errors.invalid(
        'This product cannot be deleted because it has one or more user-created prices.',
        undefined,
        'product_has_prices' as string,
      );
    ctx.emit('product.deleted', prod);
    const tomb = deleted('product', prod.id);
    ctx.store.delete('product', prod.id, tomb);
    return tomb;
  });

  app.get(
    '/v1/products',
    p.object({
      ...listParams,
      active: p.boolean(),
      ids: p.array(p.string()),
      shippable: p.boolean(),
      url: p.string(),
      type: p.enum(['good', 'service'] as const),
    }),
    (ctx, params) =>
      ctx.list(
        'product',
        params,
        { where: { active: params.active, id: params.ids, shippable: params.shippable, url: params.url, type: params.type } },
        '/v1/products',
      ),
  );
}
