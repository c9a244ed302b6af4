/**
 * Customer sessions (`POST /v1/customer_sessions`): a short-lived `client_secret` (30 minutes) that
 * lets client-side components act for one customer. The components asked for are echoed with
 * Stripe's defaults for the features not given; at least one must be enabled. The emulator's
 * Stripe.js does not read the secret (saved payment methods are not redisplayed from it).
 */
import type Stripe from 'stripe';
import { base62, errors, p, type EmulatorApp } from '../core';

const onOff = p.enum(['enabled', 'disabled'] as const);
const redisplayFilters = p.array(p.enum(['always', 'limited', 'unspecified'] as const));
const simple = p.object({ enabled: p.boolean().required() });

type Features = Stripe.CustomerSession.Components.PaymentElement.Features;

export function register(app: EmulatorApp): void {
  app.post(
    '/v1/customer_sessions',
    p.object({
      customer: p.string(),
      customer_account: p.string(),
      components: p
        .object({
          buy_button: simple,
          pricing_table: simple,
          customer_portal: simple,
          active_entitlements: simple,
          customer_sheet: p.object({ enabled: p.boolean().required(), features: p.any() }),
          mobile_payment_element: p.object({ enabled: p.boolean().required(), features: p.any() }),
          payment_element: p.object({
            enabled: p.boolean().required(),
            features: p.object({
              payment_method_allow_redisplay_filters: redisplayFilters,
              payment_method_redisplay: onOff,
              payment_method_redisplay_limit: p.integer({ min: 1, max: 10 }),
              payment_method_remove: onOff,
              payment_method_save: onOff,
              payment_method_save_usage: p.enum(['off_session', 'on_session'] as const),
            }),
          }),
        })
        .required(),
    }),
    (ctx, params) => {
      if (params.customer_account)
        throw errors.invalidParam('customer_account', 'Accounts v2 customers are not supported by the emulator: pass customer.');
      if (!params.customer) throw errors.missingParam('customer');
      const customer = ctx.store.require('customer', params.customer, 'customer');
      const c = params.components;
      if (!Object.values(c).some((x) => x?.enabled)) throw errors.invalidParam('components', 'At least one component must be enabled.');
      const pe = c.payment_element;
      const peFeatures: Features | null = pe?.enabled
        ? {
            payment_method_allow_redisplay_filters: pe.features?.payment_method_allow_redisplay_filters ?? ['always'],
            payment_method_redisplay: pe.features?.payment_method_redisplay ?? 'disabled',
            payment_method_redisplay_limit: pe.features?.payment_method_redisplay_limit ?? 3,
            payment_method_remove: pe.features?.payment_method_remove ?? 'disabled',
            payment_method_save: pe.features?.payment_method_save ?? 'disabled',
            payment_method_save_usage: pe.features?.payment_method_save_usage ?? null,
          }
        : null;
      const now = ctx.now();
      const session: Stripe.CustomerSession = {
        object: 'customer_session',
        client_secret: `cuss_secret_${base62(40)}`,
        components: {
          active_entitlements: { enabled: c.active_entitlements?.enabled ?? false },
          buy_button: { enabled: c.buy_button?.enabled ?? false },
          customer_portal: { enabled: c.customer_portal?.enabled ?? false },
          customer_sheet: { enabled: c.customer_sheet?.enabled ?? false, features: null },
          mobile_payment_element: { enabled: c.mobile_payment_element?.enabled ?? false, features: null },
          payment_element: { enabled: pe?.enabled ?? false, features: peFeatures },
          pricing_table: { enabled: c.pricing_table?.enabled ?? false },
        },
        created: now,
        customer: customer.id,
        customer_account: null,
        expires_at: now + 30 * 60,
        livemode: false,
      };
      return session;
    },
  );
}
