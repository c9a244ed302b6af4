/** Coupons and promotion codes. */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, type Ctx, type EmulatorApp } from '../../core';
import { base62 } from '../../core/ids';
import { clone } from '../util';

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'promotion_code', prefix: 'promo', displayName: 'promotion code' });
  app.registerType({ type: 'discount', prefix: 'di', displayName: 'discount' });
  app.store.displayNames.set('coupon', 'coupon');
  const store = app.store;

  app.post(
    '/v1/coupons',
    p.object({
      id: p.string(),
      duration: p.enum(['once', 'repeating', 'forever'] as const),
      duration_in_months: p.integer({ min: 1 }),
      percent_off: p.number(),
      amount_off: p.integer({ min: 1 }),
      currency: p.string(),
      max_redemptions: p.integer({ min: 1 }),
      redeem_by: p.integer(),
      name: p.string({ maxLength: 40 }),
      metadata: p.metadata(),
      applies_to: p.object({ products: p.array(p.string()) }),
      currency_options: p.any(),
    }),
    (ctx, params) => {
      if (params.percent_off === undefined && params.amount_off === undefined)
        throw errors.invalid('Must provide either `percent_off` or `amount_off`.', 'percent_off');
      if (params.percent_off !== undefined && params.amount_off !== undefined)
        throw errors.invalid('You may only specify one of these parameters: amount_off, percent_off.', 'amount_off');
      if (params.percent_off !== undefined && (params.percent_off <= 0 || params.percent_off > 100))
        throw errors.invalid('Invalid percent_off: must be greater than 0 and at most 100', 'percent_off');
      if (params.amount_off !== undefined && !params.currency) throw errors.missingParam('currency');
      const duration = params.duration ?? 'once';
      if (duration === 'repeating' && !params.duration_in_months) throw errors.missingParam('duration_in_months');
      const id = params.id ?? base62(8);
      if (store.get('coupon', id)) throw errors.invalid('Coupon already exists.', 'id', 'resource_already_exists');
      const c: Stripe.Coupon = {
        id,
        object: 'coupon',
        amount_off: params.amount_off ?? null,
        applies_to: params.applies_to ? { products: params.applies_to.products ?? [] } : undefined,
        created: ctx.now(),
        currency: params.currency?.toLowerCase() ?? null,
        duration,
        duration_in_months: duration === 'repeating' ? (params.duration_in_months ?? null) : null,
        livemode: false,
        max_redemptions: params.max_redemptions ?? null,
        metadata: applyMetadata({}, params.metadata),
        name: params.name ?? null,
        percent_off: params.percent_off ?? null,
        redeem_by: params.redeem_by ?? null,
        times_redeemed: 0,
        valid: true,
      };
      if (!c.applies_to) delete c.applies_to;
      store.put('coupon', c as never);
      ctx.emit('coupon.created', c as never);
      return c;
    },
  );
  const getCoupon = (ctx: Ctx, id: string) => {
    const c = ctx.store.get('coupon', id) as Stripe.Coupon | null;
    if (!c) throw errors.noSuch('coupon', id, 'id');
    if (c.redeem_by && c.redeem_by < ctx.now() && c.valid) c.valid = false;
    return c;
  };
  app.get('/v1/coupons/:id', p.object({}), (ctx, _p, req) => getCoupon(ctx, req.pathParams.id));
  app.post(
    '/v1/coupons/:id',
    p.object({ name: p.string().emptyable(), metadata: p.metadata(), currency_options: p.any() }),
    (ctx, params, req) => {
      const c = getCoupon(ctx, req.pathParams.id);
      const before = clone(c);
      if (params.name !== undefined) c.name = params.name;
      if (params.metadata !== undefined) c.metadata = applyMetadata(c.metadata, params.metadata);
      store.put('coupon', c as never);
      const prev = previousAttributes(before as never, c as never);
      if (prev) ctx.emit('coupon.updated', c as never, prev);
      return c;
    },
  );
  app.del('/v1/coupons/:id', p.object({}), (ctx, _p, req) => {
    const c = getCoupon(ctx, req.pathParams.id);
    store.delete('coupon', c.id, { ...c, deleted: true, valid: false });
    ctx.emit('coupon.deleted', c as never);
    return { id: c.id, object: 'coupon', deleted: true };
  });
  app.get('/v1/coupons', p.object({ ...listParams }), (ctx, params) => ctx.list('coupon', params, {}, '/v1/coupons'));

  const promoRestrictions = p.object({
    first_time_transaction: p.boolean(),
    minimum_amount: p.integer(),
    minimum_amount_currency: p.string(),
    currency_options: p.any(),
  });
  app.post(
    '/v1/promotion_codes',
    p.object({
      promotion: p.object({ coupon: p.string(), type: p.enum(['coupon'] as const).required() }).required(),
      code: p.string({ maxLength: 500 }),
      active: p.boolean(),
      customer: p.string(),
      expires_at: p.integer(),
      max_redemptions: p.integer({ min: 1 }),
      metadata: p.metadata(),
      restrictions: promoRestrictions,
    }),
    (ctx, params) => {
      const couponId = params.promotion.coupon;
      if (!couponId) throw errors.missingParam('promotion[coupon]');
      getCoupon(ctx, couponId);
      const code = params.code ?? base62(8).toUpperCase();
      const clash = (store.all('promotion_code', { where: { code, active: true } }) as Stripe.PromotionCode[])[0];
      if (clash) throw errors.invalid(`A promotion code with code: ${code} already exists.`, 'code', 'resource_already_exists');
      const promo: Stripe.PromotionCode = {
        id: ctx.newId('promo'),
        object: 'promotion_code',
        active: params.active ?? true,
        code,
        created: ctx.now(),
        customer: params.customer ?? null,
        customer_account: null,
        expires_at: params.expires_at ?? null,
        livemode: false,
        max_redemptions: params.max_redemptions ?? null,
        metadata: applyMetadata({}, params.metadata),
        promotion: { coupon: couponId, type: 'coupon' },
        restrictions: {
          first_time_transaction: params.restrictions?.first_time_transaction ?? false,
          minimum_amount: params.restrictions?.minimum_amount ?? null,
          minimum_amount_currency: params.restrictions?.minimum_amount_currency ?? null,
        },
        times_redeemed: 0,
      };
      store.put('promotion_code', promo as never);
      ctx.emit('promotion_code.created', promo as never);
      return promo;
    },
  );
  app.get('/v1/promotion_codes/:id', p.object({}), (ctx, _p, req) => ctx.store.require('promotion_code', req.pathParams.id, 'id'));
  app.post(
    '/v1/promotion_codes/:id',
    p.object({ active: p.boolean(), metadata: p.metadata(), restrictions: promoRestrictions }),
    (ctx, params, req) => {
      const promo = ctx.store.require('promotion_code', req.pathParams.id, 'id') as Stripe.PromotionCode;
      const before = clone(promo);
      if (params.active !== undefined) promo.active = params.active;
      if (params.metadata !== undefined) promo.metadata = applyMetadata(promo.metadata, params.metadata);
      store.put('promotion_code', promo as never);
      const prev = previousAttributes(before as never, promo as never);
      if (prev) ctx.emit('promotion_code.updated', promo as never, prev);
      return promo;
    },
  );
  app.get(
    '/v1/promotion_codes',
    p.object({ ...listParams, active: p.boolean(), code: p.string(), coupon: p.string(), customer: p.string() }),
    (ctx, params) =>
      ctx.list(
        'promotion_code',
        params,
        {
          where: { active: params.active, 'promotion.coupon': params.coupon, customer: params.customer },
          // Stripe matches `code` case-insensitively.
          filter: params.code === undefined ? undefined : (o: Stripe.PromotionCode) => o.code.toLowerCase() === params.code!.toLowerCase(),
        },
        '/v1/promotion_codes',
      ),
  );
}
