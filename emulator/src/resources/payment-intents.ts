// Over 500 lines: PaymentIntents' whole state machine (confirm, 3DS, capture, cancel) in one resource file, as Stripe's API reference groups it.
/**
 * PaymentIntents and the charges they create. Card behaviour comes from cards.ts.
 *
 * For the billing engine: `createPaymentIntent(ctx, input, { throwOnDecline: false })` and
 * `confirmPaymentIntent(ctx, pi, opts)` create/confirm from code and return the stored intent
 * (status succeeded | requires_payment_method | requires_action | requires_capture) without
 * throwing on declines when `throwOnDecline: false`.
 */
import type Stripe from 'stripe';
import { applyMetadata, base62, errors, p, listParams, previousAttributes, type Ctx, type EmulatorApp } from '../core';
import { buildCharge, declineError } from './charges';
import {
  attachPaymentMethod,
  cardOf,
  paymentMethodDataParam,
  paymentMethodFromCardParams,
  pmInternal,
  resolvePaymentMethod,
  type PmInternal,
} from './payment-methods';

export interface PaymentIntentInput {
  amount: number;
  currency: string;
  customer?: string | null;
  payment_method?: string | null;
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  setup_future_usage?: 'off_session' | 'on_session' | null;
  capture_method?: 'automatic' | 'automatic_async' | 'manual';
  receipt_email?: string | null;
  statement_descriptor?: string | null;
  statement_descriptor_suffix?: string | null;
  automatic_payment_methods?: { enabled: boolean; allow_redirects?: 'always' | 'never' } | null;
  confirm?: boolean;
  off_session?: boolean;
  return_url?: string;
  error_on_requires_action?: boolean;
  shipping?: Stripe.PaymentIntent.Shipping | null;
}

export interface ConfirmOpts {
  payment_method?: string;
  off_session?: boolean;
  return_url?: string;
  setup_future_usage?: 'off_session' | 'on_session' | null;
  error_on_requires_action?: boolean;
  receipt_email?: string | null;
  /** Default true (HTTP semantics: 402 card_error). Billing passes false. */
  throwOnDecline?: boolean;
}

interface PiInternal {
  return_url?: string | null;
  off_session?: boolean;
}

const DOC = 'https://stripe.com/docs/error-codes';

function emitUpdate(ctx: Ctx, type: string, before: Stripe.PaymentIntent | null, after: Stripe.PaymentIntent): void {
  ctx.emit(type, after, before ? previousAttributes(before, after) : undefined);
}

export function createPaymentIntent(ctx: Ctx, input: PaymentIntentInput, opts: { throwOnDecline?: boolean } = {}): Stripe.PaymentIntent {
  if (input.customer) ctx.store.require('customer', input.customer, 'customer');
  const id = ctx.newId('pi');
  let pmId: string | null = null;
  if (input.payment_method) pmId = resolvePaymentMethod(ctx, input.payment_method).id;
  const pi: Stripe.PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: input.automatic_payment_methods ?? { allow_redirects: 'always', enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.capture_method ?? 'automatic_async',
    client_secret: `${id}_secret_${base62(25)}`,
    confirmation_method: 'automatic',
    created: ctx.now(),
    currency: input.currency.toLowerCase(),
    customer: input.customer ?? null,
    customer_account: null,
    description: input.description ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: applyMetadata({}, input.metadata),
    next_action: null,
    on_behalf_of: null,
    payment_method: pmId,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: input.receipt_email ?? null,
    review: null,
    setup_future_usage: input.setup_future_usage ?? null,
    shipping: input.shipping ?? null,
    source: null,
    statement_descriptor: input.statement_descriptor ?? null,
    statement_descriptor_suffix: input.statement_descriptor_suffix ?? null,
    status: pmId ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  ctx.store.put('payment_intent', pi);
  ctx.emit('payment_intent.created', pi);
  if (input.confirm) {
    return confirmPaymentIntent(ctx, pi, {
      off_session: input.off_session,
      return_url: input.return_url,
      error_on_requires_action: input.error_on_requires_action,
      throwOnDecline: opts.throwOnDecline,
    });
  }
  return pi;
}

/** Charge now (no auth step). Used by confirm and by 3DS completion. */
function charge(
  ctx: Ctx,
  before: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  opts: { threeDs: boolean; throwOnDecline: boolean },
): Stripe.PaymentIntent {
  const card = cardOf(ctx, pm.id);
  const decline = card.charge;
  const ch = buildCharge(ctx, before, pm, card, decline, opts.threeDs);
  const pi: Stripe.PaymentIntent = { ...before, latest_charge: ch.id, next_action: null, payment_method: pm.id };
  if (decline) {
    pi.status = 'requires_payment_method';
    pi.payment_method = null;
    pi.last_payment_error = {
      charge: ch.id,
      code: decline.code,
      decline_code: decline.decline_code,
      doc_url: `${DOC}#${decline.code}`,
      message: decline.message,
      payment_method: pm,
      type: 'card_error',
    };
    ctx.store.put('payment_intent', pi);
    ctx.emit('charge.failed', ch);
    emitUpdate(ctx, 'payment_intent.payment_failed', before, pi);
    if (opts.throwOnDecline) throw declineError(ctx, pi, pm, pi.last_payment_error);
    return pi;
  }
  pi.last_payment_error = null;
  if (pi.capture_method === 'manual') {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
  }
  // save the card for later when asked (Stripe attaches it to the intent's customer)
  if (pi.setup_future_usage && pi.customer) {
    const customerId = typeof pi.customer === 'string' ? pi.customer : pi.customer.id;
    if (!pm.customer) attachPaymentMethod(ctx, pm, customerId, { check: false });
    if (opts.threeDs) ctx.store.setInternal(pm.id, { ...pmInternal(ctx, pm.id), authenticated: true } satisfies PmInternal);
  }
  ctx.store.put('payment_intent', pi);
  ctx.emit('charge.succeeded', ch);
  if (pi.status === 'requires_capture') emitUpdate(ctx, 'payment_intent.amount_capturable_updated', before, pi);
  else emitUpdate(ctx, 'payment_intent.succeeded', before, pi);
  return pi;
}

function threeDsUrl(ctx: Ctx, intent: { id: string; client_secret: string | null }, returnUrl: string | null): string {
  const q = new URLSearchParams({ client_secret: intent.client_secret ?? '' });
  if (returnUrl) q.set('return_url', returnUrl);
  return `${ctx.publicUrl}/3ds/${intent.id}?${q}`;
}

export function nextActionFor(
  ctx: Ctx,
  intent: { id: string; client_secret: string | null },
  returnUrl: string | null,
): Stripe.PaymentIntent.NextAction {
  const url = threeDsUrl(ctx, intent, returnUrl);
  if (returnUrl) return { type: 'redirect_to_url', redirect_to_url: { url, return_url: returnUrl } };
  return { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: `src_${base62(24)}` } };
}

export function confirmPaymentIntent(ctx: Ctx, current: Stripe.PaymentIntent, opts: ConfirmOpts = {}): Stripe.PaymentIntent {
  const throwOnDecline = opts.throwOnDecline !== false;
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(current.status))
    throw errors.unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${current.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_action, requires_payment_method.`,
      { payment_intent: current },
    );
  const before = current;
  let pm: Stripe.PaymentMethod;
  if (opts.payment_method) pm = resolvePaymentMethod(ctx, opts.payment_method);
  else if (current.payment_method) pm = ctx.store.require('payment_method', String(current.payment_method), 'payment_method');
  else
    throw errors.unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.",
      { payment_intent: current },
    );
  const customerId = current.customer ? (typeof current.customer === 'string' ? current.customer : current.customer.id) : null;
  if (pm.customer && pm.customer !== customerId)
    throw errors.invalid(
      `The provided PaymentMethod belongs to a different Customer than the one on this PaymentIntent.`,
      'payment_method',
    );
  const pi: Stripe.PaymentIntent = { ...current, payment_method: pm.id, last_payment_error: null };
  if (opts.setup_future_usage !== undefined) pi.setup_future_usage = opts.setup_future_usage;
  if (opts.receipt_email !== undefined) pi.receipt_email = opts.receipt_email;
  const offSession = !!opts.off_session;
  ctx.store.setInternal(pi.id, { return_url: opts.return_url ?? null, off_session: offSession } satisfies PiInternal);

  const card = cardOf(ctx, pm.id);
  const setUp = !!pmInternal(ctx, pm.id).authenticated;
  const needsAuth = card.auth === 'always' || (card.auth === 'unless_setup' && !(offSession && setUp));
  if (needsAuth) {
    if (offSession || opts.error_on_requires_action) {
      const ch = buildCharge(
        ctx,
        pi,
        pm,
        card,
        {
          code: 'authentication_required',
          decline_code: 'authentication_required',
          message: 'Your card was declined. This transaction requires authentication.',
        },
        false,
      );
      pi.latest_charge = ch.id;
      pi.status = 'requires_payment_method';
      pi.payment_method = null;
      pi.last_payment_error = {
        charge: ch.id,
        code: 'authentication_required',
        decline_code: 'authentication_required',
        doc_url: `${DOC}#authentication-required`,
        message: 'Your card was declined. This transaction requires authentication.',
        payment_method: pm,
        type: 'card_error',
      };
      ctx.store.put('payment_intent', pi);
      ctx.emit('charge.failed', ch);
      emitUpdate(ctx, 'payment_intent.payment_failed', before, pi);
      if (throwOnDecline) throw declineError(ctx, pi, pm, pi.last_payment_error);
      return pi;
    }
    pi.status = 'requires_action';
    pi.next_action = nextActionFor(ctx, pi, opts.return_url ?? null);
    ctx.store.put('payment_intent', pi);
    emitUpdate(ctx, 'payment_intent.requires_action', before, pi);
    return pi;
  }
  ctx.store.put('payment_intent', pi);
  return charge(ctx, pi, pm, { threeDs: false, throwOnDecline });
}

/** 3DS outcome for a PaymentIntent in requires_action. Returns the intent and where to send the browser. */
export function completePaymentIntentAuth(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  outcome: 'complete' | 'fail',
): { intent: Stripe.PaymentIntent; return_url: string | null } {
  if (pi.status !== 'requires_action')
    throw errors.unexpectedState(`This PaymentIntent is not awaiting authentication (status ${pi.status}).`, { payment_intent: pi });
  const internal = ctx.store.getInternal<PiInternal>(pi.id) ?? {};
  const pm = ctx.store.require('payment_method', String(pi.payment_method), 'payment_method');
  let result: Stripe.PaymentIntent;
  if (outcome === 'complete') {
    result = charge(ctx, { ...pi, next_action: null }, pm, { threeDs: true, throwOnDecline: false });
  } else {
    result = {
      ...pi,
      status: 'requires_payment_method',
      next_action: null,
      payment_method: null,
      last_payment_error: {
        code: 'payment_intent_authentication_failure',
        doc_url: `${DOC}#payment-intent-authentication-failure`,
        message:
          'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
        payment_method: pm,
        type: 'invalid_request_error',
      },
    };
    ctx.store.put('payment_intent', result);
    emitUpdate(ctx, 'payment_intent.payment_failed', pi, result);
  }
  let returnUrl: string | null = null;
  if (internal.return_url) {
    const u = new URL(internal.return_url);
    u.searchParams.set('payment_intent', pi.id);
    u.searchParams.set('payment_intent_client_secret', pi.client_secret ?? '');
    u.searchParams.set('redirect_status', result.status === 'succeeded' || result.status === 'requires_capture' ? 'succeeded' : 'failed');
    returnUrl = u.toString();
  }
  return { intent: result, return_url: returnUrl };
}

export function cancelPaymentIntent(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  reason: Stripe.PaymentIntent.CancellationReason | null = null,
): Stripe.PaymentIntent {
  if (!['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'].includes(pi.status))
    throw errors.unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      { payment_intent: pi },
    );
  const next: Stripe.PaymentIntent = {
    ...pi,
    status: 'canceled',
    canceled_at: ctx.now(),
    cancellation_reason: reason,
    next_action: null,
    amount_capturable: 0,
  };
  ctx.store.put('payment_intent', next);
  emitUpdate(ctx, 'payment_intent.canceled', pi, next);
  return next;
}

/** For publishable-key access: the client_secret must match. */
export function checkClientSecret(ctx: Ctx, intent: { client_secret: string | null }, given: string | undefined): void {
  if (ctx.auth !== 'publishable') return;
  if (!given) throw errors.missingParam('client_secret');
  if (given !== intent.client_secret)
    throw errors.invalid('The client_secret provided does not match the client_secret associated with the PaymentIntent.', 'client_secret');
}

const shippingParam = p.any();
const sfu = p.enum(['off_session', 'on_session'] as const);
const apm = p.object({ enabled: p.boolean().required(), allow_redirects: p.enum(['always', 'never'] as const) });
const offSessionParam = p.union(p.boolean(), p.enum(['one_off', 'recurring'] as const));

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'payment_intent', prefix: 'pi', displayName: 'payment_intent' });
  app.registerType({ type: 'charge', prefix: 'ch', displayName: 'charge' });

  const id = (req: { pathParams: Record<string, string> }) => req.pathParams.id!;
  const load = (ctx: Ctx, piId: string) => ctx.store.require('payment_intent', piId, 'intent');

  app.post(
    '/v1/payment_intents',
    p.object({
      amount: p.integer({ min: 0 }).required(),
      currency: p.string().required(),
      customer: p.string(),
      payment_method: p.string(),
      payment_method_data: paymentMethodDataParam,
      payment_method_options: p.any(),
      payment_method_configuration: p.string(),
      description: p.string({ maxLength: 1000 }),
      metadata: p.metadata(),
      setup_future_usage: sfu,
      capture_method: p.enum(['automatic', 'automatic_async', 'manual'] as const),
      confirmation_method: p.enum(['automatic', 'manual'] as const),
      receipt_email: p.string(),
      statement_descriptor: p.string({ maxLength: 22 }),
      statement_descriptor_suffix: p.string({ maxLength: 22 }),
      automatic_payment_methods: apm,
      allowed_payment_method_types: p.array(p.string()),
      excluded_payment_method_types: p.array(p.string()),
      confirm: p.boolean(),
      off_session: offSessionParam,
      return_url: p.string(),
      error_on_requires_action: p.boolean(),
      mandate_data: p.any(),
      shipping: shippingParam,
      use_stripe_sdk: p.boolean(),
      radar_options: p.any(),
    }),
    (ctx, params) => {
      const currency = params.currency.toLowerCase();
      if (!/^[a-z]{3}$/.test(currency)) throw errors.invalidParam('currency', `Invalid currency: ${params.currency}.`);
      if (['usd', 'eur', 'gbp', 'cad', 'aud', 'chf'].includes(currency) && params.amount < 50)
        throw errors.invalidParam('amount', `Amount must be at least 50 cents`, 'amount_too_small');
      if (params.off_session !== undefined && params.off_session !== false && !params.confirm)
        throw errors.invalidParam('off_session', 'off_session can only be used when confirm=true.');
      if (params.allowed_payment_method_types && params.allowed_payment_method_types.some((t) => t !== 'card'))
        throw errors.invalidParam('allowed_payment_method_types', 'The emulator supports only card payments.');
      let pmId = params.payment_method;
      if (params.payment_method_data)
        pmId = paymentMethodFromCardParams(
          ctx,
          params.payment_method_data.card ?? {},
          params.payment_method_data,
          'payment_method_data[card]',
        ).id;
      return createPaymentIntent(ctx, {
        ...params,
        currency,
        payment_method: pmId,
        off_session: params.off_session !== undefined && params.off_session !== false,
        shipping: (params.shipping as Stripe.PaymentIntent.Shipping | undefined) ?? null,
      });
    },
  );

  app.get(
    '/v1/payment_intents/:id',
    p.object({}),
    (ctx, params, req) => {
      const pi = load(ctx, id(req));
      checkClientSecret(ctx, pi, params.client_secret);
      return pi;
    },
    { auth: 'either' },
  );

  app.post(
    '/v1/payment_intents/:id',
    p.object({
      amount: p.integer({ min: 0 }),
      currency: p.string(),
      customer: p.string(),
      description: p.string().emptyable(),
      metadata: p.metadata(),
      payment_method: p.string(),
      payment_method_options: p.any(),
      receipt_email: p.string().emptyable(),
      setup_future_usage: sfu.emptyable(),
      statement_descriptor: p.string(),
      statement_descriptor_suffix: p.string(),
      capture_method: p.enum(['automatic', 'automatic_async', 'manual'] as const),
      shipping: shippingParam,
    }),
    (ctx, params, req) => {
      const before = load(ctx, id(req));
      if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(before.status)) {
        const onlyMeta = Object.keys(params).every((k) => k === 'metadata' || k === 'description' || k === 'expand');
        if (!onlyMeta)
          throw errors.unexpectedState(`You cannot update this PaymentIntent because it has a status of ${before.status}.`, {
            payment_intent: before,
          });
      }
      const pi: Stripe.PaymentIntent = structuredClone(before);
      if (params.amount !== undefined) pi.amount = params.amount;
      if (params.currency !== undefined) pi.currency = params.currency.toLowerCase();
      if (params.customer !== undefined) pi.customer = ctx.store.require('customer', params.customer, 'customer').id;
      if (params.description !== undefined) pi.description = params.description;
      if (params.metadata !== undefined) pi.metadata = applyMetadata(pi.metadata, params.metadata);
      if (params.receipt_email !== undefined) pi.receipt_email = params.receipt_email;
      if (params.setup_future_usage !== undefined) pi.setup_future_usage = params.setup_future_usage;
      if (params.statement_descriptor !== undefined) pi.statement_descriptor = params.statement_descriptor;
      if (params.statement_descriptor_suffix !== undefined) pi.statement_descriptor_suffix = params.statement_descriptor_suffix;
      if (params.capture_method !== undefined) pi.capture_method = params.capture_method;
      if (params.shipping !== undefined) pi.shipping = params.shipping as Stripe.PaymentIntent.Shipping;
      if (params.payment_method !== undefined) {
        pi.payment_method = resolvePaymentMethod(ctx, params.payment_method).id;
        pi.status = 'requires_confirmation';
        pi.next_action = null;
      }
      // Stripe emits no event for a PaymentIntent update
      ctx.store.put('payment_intent', pi);
      return pi;
    },
  );

  app.post(
    '/v1/payment_intents/:id/confirm',
    p.object({
      payment_method: p.string(),
      payment_method_data: paymentMethodDataParam,
      payment_method_options: p.any(),
      off_session: offSessionParam,
      return_url: p.string(),
      setup_future_usage: sfu.emptyable(),
      error_on_requires_action: p.boolean(),
      receipt_email: p.string().emptyable(),
      mandate_data: p.any(),
      shipping: shippingParam,
      use_stripe_sdk: p.boolean(),
      capture_method: p.enum(['automatic', 'automatic_async', 'manual'] as const),
      radar_options: p.any(),
    }),
    (ctx, params, req) => {
      let pi = load(ctx, id(req));
      checkClientSecret(ctx, pi, params.client_secret);
      if (params.capture_method) pi = { ...pi, capture_method: params.capture_method };
      let pmId = params.payment_method;
      if (params.payment_method_data)
        pmId = paymentMethodFromCardParams(
          ctx,
          params.payment_method_data.card ?? {},
          params.payment_method_data,
          'payment_method_data[card]',
        ).id;
      return confirmPaymentIntent(ctx, pi, {
        payment_method: pmId,
        off_session: params.off_session !== undefined && params.off_session !== false,
        return_url: params.return_url,
        setup_future_usage: params.setup_future_usage,
        error_on_requires_action: params.error_on_requires_action,
        receipt_email: params.receipt_email,
      });
    },
    { auth: 'either' },
  );

  app.post(
    '/v1/payment_intents/:id/cancel',
    p.object({ cancellation_reason: p.enum(['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const) }),
    (ctx, params, req) => cancelPaymentIntent(ctx, load(ctx, id(req)), params.cancellation_reason ?? null),
  );

  app.post(
    '/v1/payment_intents/:id/capture',
    p.object({ amount_to_capture: p.integer({ min: 1 }), metadata: p.metadata() }),
    (ctx, params, req) => {
      const before = load(ctx, id(req));
      if (before.status !== 'requires_capture')
        throw errors.unexpectedState(
          `This PaymentIntent could not be captured because it has a status of ${before.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
          { payment_intent: before },
        );
      const amount = params.amount_to_capture ?? before.amount_capturable;
      if (amount > before.amount_capturable)
        throw errors.invalidParam('amount_to_capture', 'The amount to capture is greater than the amount capturable.');
      const pi: Stripe.PaymentIntent = {
        ...before,
        status: 'succeeded',
        amount_received: amount,
        amount_capturable: 0,
        metadata: applyMetadata(before.metadata, params.metadata),
      };
      const ch = before.latest_charge ? ctx.store.get('charge', String(before.latest_charge)) : null;
      if (ch) {
        const next = { ...ch, captured: true, amount_captured: amount };
        ctx.store.put('charge', next);
        ctx.emit('charge.captured', next, previousAttributes(ch, next));
      }
      ctx.store.put('payment_intent', pi);
      emitUpdate(ctx, 'payment_intent.succeeded', before, pi);
      return pi;
    },
  );

  app.get('/v1/payment_intents', p.object({ ...listParams, customer: p.string() }), (ctx, params) =>
    ctx.list('payment_intent', params, { where: { customer: params.customer } }, '/v1/payment_intents'),
  );

  // charges (read-only)
  app.get('/v1/charges/:id', p.object({}), (ctx, _params, req) => ctx.store.require('charge', id(req), 'id'));
  app.get(
    '/v1/charges',
    p.object({ ...listParams, customer: p.string(), payment_intent: p.string(), transfer_group: p.string() }),
    (ctx, params) =>
      ctx.list('charge', params, { where: { customer: params.customer, payment_intent: params.payment_intent } }, '/v1/charges'),
  );
}
