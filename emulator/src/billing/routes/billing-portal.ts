/** Billing portal: configurations (a default one is created on first use) and sessions. */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, type Ctx, type EmulatorApp } from '../../core';
import { applyFeatures, featureParams, flowDataParams, sessionFlow, type FeatureParams } from './billing-portal-params';

type Conf = Stripe.BillingPortal.Configuration;
type Features = Conf['features'];

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'billing_portal.session', prefix: 'bps', displayName: 'billing_portal.session' });
  app.registerType({ type: 'billing_portal.configuration', prefix: 'bpc', displayName: 'billing_portal.configuration' });
  const store = app.store;
  const defaultFeatures = (): Features => ({
    customer_update: { allowed_updates: ['email', 'address'], enabled: true },
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true, payment_method_configuration: null },
    subscription_cancel: {
      cancellation_reason: { enabled: false, feedback_options: null, options: [] },
      enabled: true,
      mode: 'at_period_end',
      proration_behavior: 'none',
    },
    subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: ['price'],
      enabled: false,
      products: [],
      proration_behavior: 'create_prorations',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  });
  const buildConf = (
    ctx: Ctx,
    features: FeatureParams | undefined,
    opts: {
      default_return_url?: string | null;
      is_default?: boolean;
      metadata?: Record<string, string>;
      name?: string | null;
      headline?: string | null;
    },
  ): Conf => ({
    id: ctx.newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: { headline: opts.headline ?? null, privacy_policy_url: null, terms_of_service_url: null },
    created: ctx.now(),
    default_return_url: opts.default_return_url ?? null,
    features: applyFeatures(defaultFeatures(), features),
    is_default: opts.is_default ?? false,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: opts.metadata ?? {},
    name: opts.name ?? null,
    updated: ctx.now(),
  });
  const defaultConf = (ctx: Ctx): Conf => {
    const existing = (store.all('billing_portal.configuration', { where: { is_default: true } }) as Conf[])[0];
    if (existing) return existing;
    const c = buildConf(ctx, undefined, { is_default: true });
    store.put('billing_portal.configuration', c as never);
    return c;
  };
  app.post(
    '/v1/billing_portal/configurations',
    p.object({
      features: featureParams.required(),
      business_profile: p.object({ headline: p.string().emptyable(), privacy_policy_url: p.string(), terms_of_service_url: p.string() }),
      default_return_url: p.string().emptyable(),
      metadata: p.metadata(),
      name: p.string().emptyable(),
      login_page: p.any(),
    }),
    (ctx, params) => {
      const c = buildConf(ctx, params.features, {
        default_return_url: params.default_return_url,
        metadata: applyMetadata({}, params.metadata),
        name: params.name,
        headline: params.business_profile?.headline,
      });
      store.put('billing_portal.configuration', c as never);
      ctx.emit('billing_portal.configuration.created', c as never);
      return c;
    },
  );
  app.get('/v1/billing_portal/configurations/:id', p.object({}), (ctx, _p, req) =>
    ctx.store.require('billing_portal.configuration', req.pathParams.id, 'configuration'),
  );
  app.get('/v1/billing_portal/configurations', p.object({ ...listParams, active: p.boolean(), is_default: p.boolean() }), (ctx, params) =>
    ctx.list(
      'billing_portal.configuration',
      params,
      { where: { active: params.active, is_default: params.is_default } },
      '/v1/billing_portal/configurations',
    ),
  );
  app.post(
    '/v1/billing_portal/configurations/:id',
    p.object({
      active: p.boolean(),
      features: featureParams,
      default_return_url: p.string().emptyable(),
      metadata: p.metadata(),
      name: p.string().emptyable(),
      business_profile: p.any(),
      login_page: p.any(),
    }),
    (ctx, params, req) => {
      const c = ctx.store.require('billing_portal.configuration', req.pathParams.id, 'configuration') as Conf;
      if (params.active !== undefined) c.active = params.active;
      if (params.default_return_url !== undefined) c.default_return_url = params.default_return_url;
      if (params.metadata !== undefined) c.metadata = applyMetadata(c.metadata, params.metadata);
      if (params.name !== undefined) c.name = params.name;
      if (params.features) c.features = applyFeatures(c.features, params.features);
      c.updated = ctx.now();
      store.put('billing_portal.configuration', c as never);
      ctx.emit('billing_portal.configuration.updated', c as never);
      return c;
    },
  );
  app.post(
    '/v1/billing_portal/sessions',
    p.object({
      customer: p.string().required(),
      return_url: p.string(),
      configuration: p.string(),
      flow_data: flowDataParams,
      locale: p.string(),
      on_behalf_of: p.string(),
    }),
    (ctx, params) => {
      if (!store.get('customer', params.customer)) throw errors.noSuch('customer', params.customer, 'customer');
      const conf = params.configuration
        ? (ctx.store.require('billing_portal.configuration', params.configuration, 'configuration') as Conf)
        : defaultConf(ctx);
      const returnUrl = params.return_url ?? conf.default_return_url;
      if (!returnUrl)
        throw errors.invalid('You must provide a return_url, or set a default return URL on the portal configuration.', 'return_url');
      const id = ctx.newId('bps');
      const s: Stripe.BillingPortal.Session = {
        id,
        object: 'billing_portal.session',
        configuration: conf.id,
        created: ctx.now(),
        customer: params.customer,
        customer_account: null,
        flow: params.flow_data ? sessionFlow(ctx, params.customer, params.flow_data) : null,
        livemode: false,
        locale: (params.locale ?? null) as Stripe.BillingPortal.Session.Locale | null,
        on_behalf_of: params.on_behalf_of ?? null,
        return_url: returnUrl,
        url: `${app.publicUrl.replace(/\/$/, '')}/portal/${id}`,
      };
      store.put('billing_portal.session', s as never);
      return s;
    },
  );
}
