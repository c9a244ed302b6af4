/**
 * SetupIntents (cards). For the billing engine: `createSetupIntent(ctx, input)` /
 * `confirmSetupIntent(ctx, si, opts)` (pass throwOnDecline: false to get the failed intent back).
 */
import type Stripe from 'stripe';
import { applyMetadata, base62, errors, p, listParams, previousAttributes, StripeError, type Ctx, type EmulatorApp } from '../core';
import { checkClientSecret, nextActionFor } from './payment-intents';
import {
  attachPaymentMethod,
  cardOf,
  paymentMethodDataParam,
  paymentMethodFromCardParams,
  pmInternal,
  resolvePaymentMethod,
  type PmInternal,
} from './payment-methods';

export interface SetupIntentInput {
  customer?: string | null;
  payment_method?: string | null;
  usage?: 'off_session' | 'on_session';
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  automatic_payment_methods?: { enabled: boolean; allow_redirects?: 'always' | 'never' } | null;
  confirm?: boolean;
  return_url?: string;
}

interface SiInternal {
  return_url?: string | null;
}

export function createSetupIntent(ctx: Ctx, input: SetupIntentInput, opts: { throwOnDecline?: boolean } = {}): Stripe.SetupIntent {
  if (input.customer) ctx.store.require('customer', input.customer, 'customer');
  const id = ctx.newId('seti');
  const pmId = input.payment_method ? resolvePaymentMethod(ctx, input.payment_method).id : null;
  const si: Stripe.SetupIntent = {
    id,
    object: 'setup_intent',
    allowed_payment_method_types: null,
    application: null,
    automatic_payment_methods: input.automatic_payment_methods ?? { allow_redirects: 'always', enabled: true },
    cancellation_reason: null,
    client_secret: `${id}_secret_${base62(25)}`,
    created: ctx.now(),
    customer: input.customer ?? null,
    customer_account: null,
    description: input.description ?? null,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: applyMetadata({}, input.metadata),
    next_action: null,
    on_behalf_of: null,
    payment_method: pmId,
    payment_method_configuration_details: null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: pmId ? 'requires_confirmation' : 'requires_payment_method',
    usage: input.usage ?? 'off_session',
  };
  ctx.store.put('setup_intent', si);
  ctx.emit('setup_intent.created', si);
  if (input.confirm) return confirmSetupIntent(ctx, si, { return_url: input.return_url, throwOnDecline: opts.throwOnDecline });
  return si;
}

function succeed(ctx: Ctx, before: Stripe.SetupIntent, pm: Stripe.PaymentMethod, authenticated: boolean): Stripe.SetupIntent {
  const si: Stripe.SetupIntent = {
    ...before,
    status: 'succeeded',
    next_action: null,
    last_setup_error: null,
    payment_method: pm.id,
    latest_attempt: ctx.newId('setatt'),
  };
  if (authenticated || cardOf(ctx, pm.id).auth === 'none')
    ctx.store.setInternal(pm.id, { ...pmInternal(ctx, pm.id), authenticated: true } satisfies PmInternal);
  const customerId = si.customer ? (typeof si.customer === 'string' ? si.customer : si.customer.id) : null;
  if (customerId && pm.customer !== customerId) attachPaymentMethod(ctx, pm, customerId, { check: false });
  ctx.store.put('setup_intent', si);
  ctx.emit('setup_intent.succeeded', si, previousAttributes(before, si));
  return si;
}

function confirmSetupIntent(
  ctx: Ctx,
  current: Stripe.SetupIntent,
  opts: { payment_method?: string; return_url?: string; throwOnDecline?: boolean } = {},
): Stripe.SetupIntent {
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(current.status))
    throw errors.unexpectedState(
      `You cannot confirm this SetupIntent because it has already succeeded or been canceled (status ${current.status}).`,
      { setup_intent: current },
    );
  let pm: Stripe.PaymentMethod;
  if (opts.payment_method) pm = resolvePaymentMethod(ctx, opts.payment_method);
  else if (current.payment_method) pm = ctx.store.require('payment_method', String(current.payment_method), 'payment_method');
  else
    throw errors.unexpectedState(
      "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again.",
      { setup_intent: current },
    );
  const before = current;
  const si: Stripe.SetupIntent = { ...current, payment_method: pm.id, last_setup_error: null };
  ctx.store.setInternal(si.id, { return_url: opts.return_url ?? null } satisfies SiInternal);
  const card = cardOf(ctx, pm.id);
  if (card.check) {
    const failed: Stripe.SetupIntent = {
      ...si,
      status: 'requires_payment_method',
      payment_method: null,
      last_setup_error: {
        code: card.check.code,
        decline_code: card.check.decline_code,
        doc_url: `https://stripe.com/docs/error-codes#${card.check.code}`,
        message: card.check.message,
        payment_method: pm,
        type: 'card_error',
      },
    };
    ctx.store.put('setup_intent', failed);
    ctx.emit('setup_intent.setup_failed', failed, previousAttributes(before, failed));
    if (opts.throwOnDecline !== false)
      throw new StripeError({
        status: 402,
        type: 'card_error',
        code: card.check.code,
        decline_code: card.check.decline_code,
        message: card.check.message,
        commit: true,
        extra: { setup_intent: failed, payment_method: pm },
      });
    return failed;
  }
  if (card.auth !== 'none') {
    si.status = 'requires_action';
    si.next_action = nextActionFor(ctx, si, opts.return_url ?? null) as Stripe.SetupIntent.NextAction;
    ctx.store.put('setup_intent', si);
    ctx.emit('setup_intent.requires_action', si, previousAttributes(before, si));
    return si;
  }
  ctx.store.put('setup_intent', si);
  return succeed(ctx, si, pm, false);
}

export function completeSetupIntentAuth(
  ctx: Ctx,
  si: Stripe.SetupIntent,
  outcome: 'complete' | 'fail',
): { intent: Stripe.SetupIntent; return_url: string | null } {
  if (si.status !== 'requires_action')
    throw errors.unexpectedState(`This SetupIntent is not awaiting authentication (status ${si.status}).`, { setup_intent: si });
  const pm = ctx.store.require('payment_method', String(si.payment_method), 'payment_method');
  let result: Stripe.SetupIntent;
  if (outcome === 'complete') result = succeed(ctx, si, pm, true);
  else {
    result = {
      ...si,
      status: 'requires_payment_method',
      next_action: null,
      payment_method: null,
      last_setup_error: {
        code: 'setup_intent_authentication_failure',
        doc_url: 'https://stripe.com/docs/error-codes#setup-intent-authentication-failure',
        message:
          'The latest attempt to set up the payment method has failed because authentication failed. Provide a new payment method to attempt to set up again.',
        payment_method: pm,
        type: 'invalid_request_error',
      },
    };
    ctx.store.put('setup_intent', result);
    ctx.emit('setup_intent.setup_failed', result, previousAttributes(si, result));
  }
  const internal = ctx.store.getInternal<SiInternal>(si.id) ?? {};
  let returnUrl: string | null = null;
  if (internal.return_url) {
    const u = new URL(internal.return_url);
    u.searchParams.set('setup_intent', si.id);
    u.searchParams.set('setup_intent_client_secret', si.client_secret ?? '');
    u.searchParams.set('redirect_status', result.status === 'succeeded' ? 'succeeded' : 'failed');
    returnUrl = u.toString();
  }
  return { intent: result, return_url: returnUrl };
}

const apm = p.object({ enabled: p.boolean().required(), allow_redirects: p.enum(['always', 'never'] as const) });

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'setup_intent', prefix: 'seti', displayName: 'setupintent' });
  const load = (ctx: Ctx, id: string) => ctx.store.require('setup_intent', id, 'intent');

  app.post(
    '/v1/setup_intents',
    p.object({
      customer: p.string(),
      payment_method: p.string(),
      payment_method_data: paymentMethodDataParam,
      payment_method_options: p.any(),
      payment_method_configuration: p.string(),
      usage: p.enum(['off_session', 'on_session'] as const),
      description: p.string(),
      metadata: p.metadata(),
      automatic_payment_methods: apm,
      allowed_payment_method_types: p.array(p.string()),
      excluded_payment_method_types: p.array(p.string()),
      confirm: p.boolean(),
      return_url: p.string(),
      attach_to_self: p.boolean(),
      flow_directions: p.array(p.enum(['inbound', 'outbound'] as const)),
      mandate_data: p.any(),
      single_use: p.any(),
      use_stripe_sdk: p.boolean(),
      on_behalf_of: p.string(),
    }),
    (ctx, params) => {
      let pmId = params.payment_method;
      if (params.payment_method_data)
        pmId = paymentMethodFromCardParams(
          ctx,
          params.payment_method_data.card ?? {},
          params.payment_method_data,
          'payment_method_data[card]',
        ).id;
      return createSetupIntent(ctx, { ...params, payment_method: pmId });
    },
  );

  app.get(
    '/v1/setup_intents/:id',
    p.object({}),
    (ctx, params, req) => {
      const si = load(ctx, req.pathParams.id!);
      checkClientSecret(ctx, si, params.client_secret);
      return si;
    },
    { auth: 'either' },
  );

  app.post(
    '/v1/setup_intents/:id',
    p.object({
      customer: p.string(),
      description: p.string(),
      metadata: p.metadata(),
      payment_method: p.string(),
      payment_method_options: p.any(),
      attach_to_self: p.boolean(),
      flow_directions: p.array(p.string()),
    }),
    (ctx, params, req) => {
      const before = load(ctx, req.pathParams.id!);
      const si: Stripe.SetupIntent = structuredClone(before);
      if (params.customer !== undefined) si.customer = ctx.store.require('customer', params.customer, 'customer').id;
      if (params.description !== undefined) si.description = params.description;
      if (params.metadata !== undefined) si.metadata = applyMetadata(si.metadata, params.metadata);
      if (params.payment_method !== undefined) {
        if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(si.status))
          throw errors.unexpectedState(`You cannot update this SetupIntent because it has a status of ${si.status}.`, { setup_intent: si });
        si.payment_method = resolvePaymentMethod(ctx, params.payment_method).id;
        si.status = 'requires_confirmation';
        si.next_action = null;
      }
      ctx.store.put('setup_intent', si);
      return si;
    },
  );

  app.post(
    '/v1/setup_intents/:id/confirm',
    p.object({
      payment_method: p.string(),
      payment_method_data: paymentMethodDataParam,
      payment_method_options: p.any(),
      return_url: p.string(),
      mandate_data: p.any(),
      use_stripe_sdk: p.boolean(),
    }),
    (ctx, params, req) => {
      const si = load(ctx, req.pathParams.id!);
      checkClientSecret(ctx, si, params.client_secret);
      let pmId = params.payment_method;
      if (params.payment_method_data)
        pmId = paymentMethodFromCardParams(
          ctx,
          params.payment_method_data.card ?? {},
          params.payment_method_data,
          'payment_method_data[card]',
        ).id;
      return confirmSetupIntent(ctx, si, { payment_method: pmId, return_url: params.return_url });
    },
    { auth: 'either' },
  );

  app.post(
    '/v1/setup_intents/:id/cancel',
    p.object({ cancellation_reason: p.enum(['abandoned', 'duplicate', 'requested_by_customer'] as const) }),
    (ctx, params, req) => {
      const before = load(ctx, req.pathParams.id!);
      if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(before.status))
        throw errors.unexpectedState(`You cannot cancel this SetupIntent because it has a status of ${before.status}.`, {
          setup_intent: before,
        });
      const si: Stripe.SetupIntent = {
        ...before,
        status: 'canceled',
        cancellation_reason: params.cancellation_reason ?? null,
        next_action: null,
      };
      ctx.store.put('setup_intent', si);
      ctx.emit('setup_intent.canceled', si, previousAttributes(before, si));
      return si;
    },
  );

  app.get(
    '/v1/setup_intents',
    p.object({ ...listParams, customer: p.string(), payment_method: p.string(), attach_to_self: p.boolean() }),
    (ctx, params) =>
      ctx.list(
        'setup_intent',
        params,
        { where: { customer: params.customer, payment_method: params.payment_method } },
        '/v1/setup_intents',
      ),
  );
}
