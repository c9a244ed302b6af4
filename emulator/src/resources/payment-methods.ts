/**
 * PaymentMethods (cards only). Raw card numbers are accepted only with a publishable key (what the
 * emulator's stripe.js does); secret-key callers use test ids (`pm_card_visa`) or `card[token]=tok_visa`.
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, p, listParams, previousAttributes, stableToken, StripeError, type Ctx, type EmulatorApp } from '../core';
import { cardFor, luhnValid, testIdToNumber, type TestCard } from './cards';
import { addressParam, toAddress } from './shared';

export interface PmInternal {
  number: string;
  /** Card was set up with successful 3DS authentication (SetupIntent or PI with setup_future_usage). */
  authenticated?: boolean;
}

const billingDetailsParam = p.object({
  address: addressParam.emptyable(),
  email: p.string().emptyable(),
  name: p.string().emptyable(),
  phone: p.string().emptyable(),
  tax_id: p.string(),
});
type BillingDetailsIn = Partial<{
  address: Parameters<typeof toAddress>[0];
  email: string | null;
  name: string | null;
  phone: string | null;
  tax_id: string;
}>;

function cardError(code: string, message: string, param?: string): StripeError {
  return new StripeError({ status: 402, type: 'card_error', code, message, param, commit: false });
}

function createCardPaymentMethod(
  ctx: Ctx,
  input: {
    number: string;
    exp_month?: number;
    exp_year?: number;
    billing_details?: BillingDetailsIn;
    metadata?: Record<string, string | null> | null;
    allow_redisplay?: string;
  },
): Stripe.PaymentMethod {
  const c: TestCard = cardFor(input.number);
  const nowYear = new Date(ctx.now() * 1000).getUTCFullYear();
  const bd = input.billing_details ?? {};
  const pm: Stripe.PaymentMethod = {
    id: ctx.newId('pm'),
    object: 'payment_method',
    allow_redisplay: (input.allow_redisplay as Stripe.PaymentMethod.AllowRedisplay) ?? 'unspecified',
    billing_details: {
      address: toAddress(bd.address ?? null) ?? { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: bd.email ?? null,
      name: bd.name ?? null,
      phone: bd.phone ?? null,
      tax_id: bd.tax_id ?? null,
    },
    card: {
      brand: c.brand,
      checks: { address_line1_check: null, address_postal_code_check: bd.address?.postal_code ? 'pass' : null, cvc_check: 'pass' },
      country: c.country,
      display_brand: c.brand === 'amex' ? 'american_express' : c.brand,
      exp_month: input.exp_month ?? 12,
      exp_year: input.exp_year ?? nowYear + 5,
      fingerprint: stableToken(input.number),
      funding: c.funding,
      generated_from: null,
      last4: input.number.slice(-4),
      networks: { available: [c.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: ctx.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: applyMetadata({}, input.metadata),
    type: 'card',
  };
  ctx.store.put('payment_method', pm);
  ctx.store.setInternal(pm.id, { number: input.number } satisfies PmInternal);
  return pm;
}

/**
 * Resolve a payment method id as Stripe does where it accepts one: a test id (`pm_card_visa`,
 * `tok_visa`) creates a new pm_ object each time; otherwise the pm must exist (404 naming `param`).
 */
export function resolvePaymentMethod(ctx: Ctx, id: string, param = 'payment_method'): Stripe.PaymentMethod {
  const number = testIdToNumber(id);
  if (number) return createCardPaymentMethod(ctx, { number });
  return ctx.store.require('payment_method', id, param);
}

export function pmInternal(ctx: Ctx, pmId: string): PmInternal {
  return ctx.store.getInternal<PmInternal>(pmId) ?? { number: '4242424242424242' };
}

export function cardOf(ctx: Ctx, pmId: string): TestCard {
  return cardFor(pmInternal(ctx, pmId).number);
}

/** Card check Stripe runs on attach and on SetupIntent confirm. Throws a 402 card_error (no commit). */
function checkCard(ctx: Ctx, pm: Stripe.PaymentMethod): void {
  const c = cardOf(ctx, pm.id);
  if (c.check) {
    throw new StripeError({
      status: 402,
      type: 'card_error',
      code: c.check.code,
      decline_code: c.check.decline_code,
      message: c.check.message,
      param: '',
    });
  }
}

/** Attach to a customer (card check first), emitting payment_method.attached. Idempotent for the same customer. */
export function attachPaymentMethod(
  ctx: Ctx,
  pm: Stripe.PaymentMethod,
  customerId: string,
  opts: { check?: boolean } = {},
): Stripe.PaymentMethod {
  ctx.store.require('customer', customerId, 'customer');
  if (pm.customer === customerId) return pm;
  if (pm.customer)
    throw errors.invalid(
      'The payment method you provided has already been attached to a customer.',
      undefined,
      'payment_method_unexpected_state',
    );
  if (opts.check !== false) checkCard(ctx, pm);
  const updated = { ...pm, customer: customerId };
  ctx.store.put('payment_method', updated);
  ctx.emit('payment_method.attached', updated);
  return updated;
}

function detachPaymentMethod(ctx: Ctx, pm: Stripe.PaymentMethod): Stripe.PaymentMethod {
  if (!pm.customer)
    throw errors.invalid(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      undefined,
      'payment_method_unexpected_state',
    );
  const customerId = typeof pm.customer === 'string' ? pm.customer : pm.customer.id;
  const updated = { ...pm, customer: null };
  ctx.store.put('payment_method', updated);
  const cust = ctx.store.get('customer', customerId);
  if (cust && cust.invoice_settings.default_payment_method === pm.id) {
    const next = { ...cust, invoice_settings: { ...cust.invoice_settings, default_payment_method: null } };
    ctx.store.put('customer', next);
    ctx.emit('customer.updated', next, previousAttributes(cust, next));
  }
  ctx.emit('payment_method.detached', updated, { customer: customerId });
  return updated;
}

const cardParam = p.object({
  number: p.string(),
  exp_month: p.integer(),
  exp_year: p.integer(),
  cvc: p.string(),
  token: p.string(),
  networks: p.object({ preferred: p.string() }),
});

export type CardParam = NonNullable<ReturnType<typeof cardParam.parse>>;

/** Build a card pm from `card[...]` params (raw numbers need a publishable key). */
export function paymentMethodFromCardParams(
  ctx: Ctx,
  card: CardParam,
  extra: { billing_details?: BillingDetailsIn; metadata?: Record<string, string | null> | null; allow_redisplay?: string },
  prefix = 'card',
): Stripe.PaymentMethod {
  if (card.token) {
    const number = testIdToNumber(card.token);
    if (!number) throw errors.noSuch('token', card.token, `${prefix}[token]`);
    return createCardPaymentMethod(ctx, { number, ...extra });
  }
  if (card.number === undefined) throw errors.missingParam(`${prefix}[number]`);
  if (ctx.auth === 'secret')
    throw errors.invalid(
      'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. (The Stripe emulator accepts raw card numbers only with a publishable key, as its stripe.js sends them.)',
      `${prefix}[number]`,
    );
  const number = card.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number))
    throw cardError('incorrect_number', 'Your card number is incorrect.', `${prefix}[number]`);
  if (card.exp_month === undefined) throw errors.missingParam(`${prefix}[exp_month]`);
  if (card.exp_year === undefined) throw errors.missingParam(`${prefix}[exp_year]`);
  if (card.exp_month < 1 || card.exp_month > 12)
    throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", `${prefix}[exp_month]`);
  const year = card.exp_year < 100 ? 2000 + card.exp_year : card.exp_year;
  const now = new Date(ctx.now() * 1000);
  if (
    year < now.getUTCFullYear() ||
    (year === now.getUTCFullYear() && card.exp_month < now.getUTCMonth() + 1) ||
    year > now.getUTCFullYear() + 50
  )
    throw cardError('invalid_expiry_year', "Your card's expiration year is invalid.", `${prefix}[exp_year]`);
  if (card.cvc !== undefined && !/^\d{3,4}$/.test(card.cvc))
    throw cardError('invalid_cvc', "Your card's security code is invalid.", `${prefix}[cvc]`);
  return createCardPaymentMethod(ctx, { number, exp_month: card.exp_month, exp_year: year, ...extra });
}

export const paymentMethodDataParam = p.object({
  type: p.enum(['card'] as const).required(),
  card: cardParam,
  billing_details: billingDetailsParam,
  metadata: p.metadata(),
  allow_redisplay: p.enum(['always', 'limited', 'unspecified'] as const),
});

export function register(app: EmulatorApp): void {
  app.registerType({
    type: 'payment_method',
    prefix: 'pm',
    displayName: 'PaymentMethod',
  });

  app.post(
    '/v1/payment_methods',
    p.object({
      type: p.enum(['card'] as const),
      card: cardParam,
      billing_details: billingDetailsParam,
      metadata: p.metadata(),
      allow_redisplay: p.enum(['always', 'limited', 'unspecified'] as const),
      customer: p.string(),
      payment_method: p.string(),
    }),
    (ctx, params) => {
      if (params.payment_method) {
        // "clone" form: only meaningful on Connect; resolve test ids, return the pm
        return resolvePaymentMethod(ctx, params.payment_method);
      }
      if (!params.type) throw errors.missingParam('type');
      if (!params.card) throw errors.missingParam('card');
      return paymentMethodFromCardParams(ctx, params.card, params);
    },
    { auth: 'either' },
  );

  app.get('/v1/payment_methods/:id', p.object({}), (ctx, _params, req) => resolvePaymentMethod(ctx, req.pathParams.id!, 'id'));

  app.post(
    '/v1/payment_methods/:id',
    p.object({
      billing_details: billingDetailsParam,
      metadata: p.metadata(),
      allow_redisplay: p.enum(['always', 'limited', 'unspecified'] as const),
      card: p.object({ exp_month: p.integer(), exp_year: p.integer(), networks: p.object({ preferred: p.string().emptyable() }) }),
    }),
    (ctx, params, req) => {
      const pm = ctx.store.require('payment_method', req.pathParams.id!, 'id');
      if (!pm.customer)
        throw errors.invalid(
          'You must save this PaymentMethod to a customer before you can update it.',
          undefined,
          'payment_method_unexpected_state',
        );
      const next: Stripe.PaymentMethod = structuredClone(pm);
      if (params.metadata !== undefined) next.metadata = applyMetadata(pm.metadata, params.metadata);
      if (params.allow_redisplay) next.allow_redisplay = params.allow_redisplay;
      if (params.billing_details) {
        const bd = params.billing_details;
        if (bd.address !== undefined) next.billing_details.address = toAddress(bd.address);
        if (bd.email !== undefined) next.billing_details.email = bd.email;
        if (bd.name !== undefined) next.billing_details.name = bd.name;
        if (bd.phone !== undefined) next.billing_details.phone = bd.phone;
        if (bd.tax_id !== undefined) next.billing_details.tax_id = bd.tax_id;
      }
      if (params.card && next.card) {
        if (params.card.exp_month !== undefined) next.card.exp_month = params.card.exp_month;
        if (params.card.exp_year !== undefined) next.card.exp_year = params.card.exp_year;
      }
      const prev = previousAttributes(pm, next);
      ctx.store.put('payment_method', next);
      if (prev) ctx.emit('payment_method.updated', next, prev);
      return next;
    },
  );

  app.post('/v1/payment_methods/:id/attach', p.object({ customer: p.string().required() }), (ctx, params, req) => {
    const pm = resolvePaymentMethod(ctx, req.pathParams.id!, 'id');
    return attachPaymentMethod(ctx, pm, params.customer);
  });

  app.post('/v1/payment_methods/:id/detach', p.object({}), (ctx, _params, req) => {
    const pm = ctx.store.require('payment_method', req.pathParams.id!, 'id');
    return detachPaymentMethod(ctx, pm);
  });

  app.get('/v1/payment_methods', p.object({ ...listParams, customer: p.string(), type: p.string() }), (ctx, params) => {
    if (params.customer) ctx.store.require('customer', params.customer, 'customer');
    return ctx.list('payment_method', params, { where: { customer: params.customer, type: params.type } }, '/v1/payment_methods');
  });

  app.get(
    '/v1/customers/:id/payment_methods',
    p.object({ ...listParams, type: p.string(), allow_redisplay: p.enum(['always', 'limited', 'unspecified'] as const) }),
    (ctx, params, req) => {
      const cus = ctx.store.require('customer', req.pathParams.id!, 'customer');
      return ctx.list(
        'payment_method',
        params,
        { where: { customer: cus.id, type: params.type, allow_redisplay: params.allow_redisplay } },
        `/v1/customers/${cus.id}/payment_methods`,
      );
    },
  );

  app.get('/v1/customers/:id/payment_methods/:pm', p.object({}), (ctx, _params, req) => {
    const cus = ctx.store.require('customer', req.pathParams.id!, 'customer');
    const pm = ctx.store.get('payment_method', req.pathParams.pm!);
    if (!pm || pm.customer !== cus.id) throw errors.noSuch('PaymentMethod', req.pathParams.pm!);
    return pm;
  });
}
