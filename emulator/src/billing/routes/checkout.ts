/** Checkout Sessions: create, retrieve, list, expire, line items, and completing one as the hosted page does. */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, type Ctx, type EmulatorApp } from '../../core';
import { base62 } from '../../core/ids';
import { apiList, DAY, idOf } from '../util';
import { getInvoice, productName, requirePrice } from '../engine/lookups';
import { createSubscription } from '../engine/subscriptions';
import type { BillingRuntime } from '../runtime';

type Session = Stripe.Checkout.Session;

interface CompleteCheckoutOptions {
  email?: string;
  name?: string;
  promotionCode?: string;
}

/** Completes an open Checkout Session with a payment method, as Stripe's hosted page does. */
export type CompleteCheckoutSession = (ctx: Ctx, id: string, paymentMethodId: string, opts?: CompleteCheckoutOptions) => Session;

interface CheckoutInternal {
  lineItems: Array<{ price: string; quantity: number }>;
  trialPeriodDays: number | null;
  subscriptionMetadata: Record<string, string>;
  discounts: Array<{ coupon?: string; promotion_code?: string }>;
}

export function register(app: EmulatorApp, { b, run }: BillingRuntime): { completeCheckoutSession: CompleteCheckoutSession } {
  const store = app.store;
  app.registerType({ type: 'checkout.session', prefix: 'cs', displayName: 'checkout.session' });

  const lineItemsOf = (s: Session): Stripe.ApiList<Stripe.LineItem> => {
    const st = store.getInternal<CheckoutInternal>(s.id);
    const data: Stripe.LineItem[] = (st?.lineItems ?? []).map((li, i) => {
      const price = requirePrice(b, li.price);
      const amount = (price.unit_amount ?? 0) * li.quantity;
      return {
        id: `li_${s.id.slice(3, 15)}${i}`,
        object: 'item',
        adjustable_quantity: null,
        amount_discount: 0,
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        currency: price.currency,
        description: productName(b, price),
        metadata: {},
        price,
        quantity: li.quantity,
      } as unknown as Stripe.LineItem;
    });
    return apiList(data, `/v1/checkout/sessions/${s.id}/line_items`);
  };
  app.includable('checkout.session', 'line_items', (_ctx, s: Session) => lineItemsOf(s));

  const createParams = p.object({
    mode: p.enum(['payment', 'setup', 'subscription'] as const),
    ui_mode: p.enum(['hosted_page', 'embedded_page', 'elements', 'form', 'hosted', 'embedded', 'custom'] as const),
    customer: p.string(),
    customer_email: p.string(),
    customer_creation: p.enum(['always', 'if_required'] as const),
    client_reference_id: p.string(),
    line_items: p.array(
      p.object({
        price: p.string(),
        quantity: p.integer({ min: 0 }),
        price_data: p.any(),
        adjustable_quantity: p.any(),
        tax_rates: p.any(),
        dynamic_tax_rates: p.any(),
      }),
    ),
    success_url: p.string(),
    cancel_url: p.string(),
    return_url: p.string(),
    allow_promotion_codes: p.boolean(),
    discounts: p.array(p.object({ coupon: p.string(), promotion_code: p.string() })),
    subscription_data: p.object({
      trial_period_days: p.integer({ min: 1 }),
      trial_end: p.integer(),
      metadata: p.metadata(),
      description: p.string(),
      trial_settings: p.any(),
      default_tax_rates: p.any(),
      billing_cycle_anchor: p.integer(),
      proration_behavior: p.any(),
    }),
    payment_intent_data: p.any(),
    setup_intent_data: p.any(),
    metadata: p.metadata(),
    expires_at: p.integer(),
    currency: p.string(),
    locale: p.string(),
    billing_address_collection: p.enum(['auto', 'required'] as const),
    payment_method_collection: p.enum(['always', 'if_required'] as const),
    automatic_tax: p.any(),
    tax_id_collection: p.any(),
    consent_collection: p.any(),
    custom_text: p.any(),
    custom_fields: p.any(),
    phone_number_collection: p.any(),
    saved_payment_method_options: p.any(),
    invoice_creation: p.any(),
    submit_type: p.any(),
    redirect_on_completion: p.any(),
    payment_method_options: p.any(),
    shipping_address_collection: p.any(),
    customer_update: p.any(),
  });

  app.post('/v1/checkout/sessions', createParams, (ctx, params) =>
    run(ctx, () => {
      const mode = params.mode;
      if (!mode) throw errors.missingParam('mode');
      const uiRaw = params.ui_mode ?? 'hosted_page';
      const ui = (
        uiRaw === 'hosted' ? 'hosted_page' : uiRaw === 'embedded' ? 'embedded_page' : uiRaw === 'custom' ? 'elements' : uiRaw
      ) as Stripe.Checkout.Session.UiMode;
      // Stripe accepts a missing success_url for hosted pages (it shows a generic page): it stays null.
      if ((ui === 'embedded_page' || ui === 'elements') && params.success_url)
        throw errors.invalid(`success_url is not allowed when ui_mode is ${ui}.`, 'success_url');
      if (params.customer && !store.get('customer', params.customer)) throw errors.noSuch('customer', params.customer, 'customer');
      if (mode !== 'setup' && (!params.line_items || params.line_items.length === 0)) throw errors.missingParam('line_items');
      if (params.allow_promotion_codes && params.discounts?.length)
        throw errors.invalid('You may only specify one of these parameters: allow_promotion_codes, discounts.', 'discounts');
      const items = (params.line_items ?? []).map((li, i) => {
        if (!li.price) throw errors.missingParam(`line_items[${i}][price]`);
        const price = requirePrice(b, li.price, `line_items[${i}][price]`);
        if (mode === 'payment' && price.type === 'recurring')
          throw errors.invalid(
            'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
            `line_items[${i}][price]`,
          );
        if (mode === 'subscription' && price.type !== 'recurring' && i === 0)
          throw errors.invalid(
            'You must specify at least one recurring price in `subscription` mode when using prices.',
            `line_items[${i}][price]`,
          );
        return {
          price: li.price,
          quantity: li.quantity ?? 1,
          amount: (price.unit_amount ?? 0) * (li.quantity ?? 1),
          currency: price.currency,
        };
      });
      const at = ctx.now();
      const id = `cs_test_${base62(58)}`;
      const subtotal = items.reduce((s, i) => s + i.amount, 0);
      const base = app.publicUrl.replace(/\/$/, '');
      const session: Session = {
        id,
        object: 'checkout.session',
        adaptive_pricing: null,
        after_expiration: null,
        allow_promotion_codes: params.allow_promotion_codes ?? null,
        allowed_payment_method_types: null,
        amount_subtotal: mode === 'setup' ? null : subtotal,
        amount_total: mode === 'setup' ? null : subtotal,
        automatic_tax: { enabled: false, liability: null, provider: null, status: null },
        billing_address_collection: params.billing_address_collection ?? null,
        cancel_url: params.cancel_url ?? null,
        client_reference_id: params.client_reference_id ?? null,
        client_secret: ui === 'hosted_page' ? null : `${id}_secret_${base62(24)}`,
        collected_information: null,
        consent: null,
        consent_collection: null,
        created: at,
        currency: items[0]?.currency ?? params.currency ?? null,
        currency_conversion: null,
        custom_fields: [],
        custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
        customer: params.customer ?? null,
        customer_account: null,
        customer_creation: params.customer ? null : (params.customer_creation ?? (mode === 'payment' ? 'if_required' : 'always')),
        customer_details: params.customer_email
          ? {
              address: null,
              business_name: null,
              email: params.customer_email,
              individual_name: null,
              name: null,
              phone: null,
              tax_exempt: 'none',
              tax_ids: null,
            }
          : null,
        customer_email: params.customer_email ?? null,
        discounts: (params.discounts ?? []).map((d) => ({ coupon: d.coupon ?? null, promotion_code: d.promotion_code ?? null })),
        expires_at: params.expires_at ?? at + DAY,
        integration_identifier: null,
        invoice: null,
        invoice_creation:
          mode === 'payment'
            ? {
                enabled: false,
                invoice_data: {
                  account_tax_ids: null,
                  custom_fields: null,
                  description: null,
                  footer: null,
                  issuer: null,
                  metadata: {},
                  rendering_options: null,
                },
              }
            : null,
        livemode: false,
        locale: (params.locale ?? null) as Stripe.Checkout.Session.Locale | null,
        managed_payments: null,
        metadata: applyMetadata({}, params.metadata),
        mode,
        origin_context: null,
        payment_intent: null,
        payment_link: null,
        payment_method_collection: mode === 'payment' ? null : (params.payment_method_collection ?? 'always'),
        payment_method_configuration_details: null,
        payment_method_options: {},
        payment_method_types: ['card'],
        payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
        permissions: null,
        recovered_from: null,
        saved_payment_method_options: null,
        setup_intent: null,
        shipping_address_collection: null,
        shipping_cost: null,
        shipping_options: [],
        status: 'open',
        submit_type: null,
        subscription: null,
        success_url: params.success_url ?? null,
        total_details: mode === 'setup' ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
        ui_mode: ui,
        url: ui === 'hosted_page' ? `${base}/checkout/${id}` : null,
        wallet_options: null,
      };
      if (params.return_url) session.return_url = params.return_url;
      store.put('checkout.session', session as never);
      const internal: CheckoutInternal = {
        lineItems: items.map((i) => ({ price: i.price, quantity: i.quantity })),
        trialPeriodDays: params.subscription_data?.trial_period_days ?? null,
        subscriptionMetadata: applyMetadata({}, params.subscription_data?.metadata),
        discounts: params.discounts ?? [],
      };
      store.setInternal(id, internal);
      return session;
    }),
  );

  const getSession = (ctx: Ctx, id: string): Session => {
    const s = ctx.store.get('checkout.session', id) as Session | null;
    if (!s) throw errors.noSuch('checkout.session', id, 'session');
    if (s.status === 'open' && s.expires_at <= ctx.now()) {
      s.status = 'expired';
      ctx.store.put('checkout.session', s as never);
      ctx.emit('checkout.session.expired', s as never);
    }
    return s;
  };
  app.get('/v1/checkout/sessions/:id', p.object({}), (ctx, _p, req) => getSession(ctx, req.pathParams.id), { auth: 'either' });
  app.get('/v1/checkout/sessions/:id/line_items', p.object({ ...listParams }), (ctx, _p, req) =>
    lineItemsOf(getSession(ctx, req.pathParams.id)),
  );
  app.get(
    '/v1/checkout/sessions',
    p.object({
      ...listParams,
      customer: p.string(),
      status: p.enum(['complete', 'expired', 'open'] as const),
      subscription: p.string(),
      payment_intent: p.string(),
      customer_details: p.any(),
      payment_link: p.string(),
    }),
    (ctx, params) =>
      ctx.list(
        'checkout.session',
        params,
        {
          where: {
            customer: params.customer,
            status: params.status,
            subscription: params.subscription,
            payment_intent: params.payment_intent,
          },
        },
        '/v1/checkout/sessions',
      ),
  );
  app.post('/v1/checkout/sessions/:id/expire', p.object({}), (ctx, _p, req) => {
    const s = getSession(ctx, req.pathParams.id);
    if (s.status !== 'open')
      throw errors.invalid(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`,
      );
    s.status = 'expired';
    ctx.store.put('checkout.session', s as never);
    ctx.emit('checkout.session.expired', s as never);
    return s;
  });

  /**
   * Complete a session as the hosted page would: create the customer if needed, attach the
   * payment method, then create the subscription / payment / setup and emit checkout.session.completed.
   * Used by the browser module's hosted checkout page.
   */
  const completeCheckoutSession: CompleteCheckoutSession = (ctx, id, paymentMethodId, opts = {}) =>
    run(ctx, () => {
      const s = getSession(ctx, id);
      if (s.status !== 'open') throw errors.invalid(`This Checkout Session is no longer active (status ${s.status}).`);
      const st = store.getInternal<CheckoutInternal>(id) ?? {
        lineItems: [],
        trialPeriodDays: null,
        subscriptionMetadata: {},
        discounts: [],
      };
      let customerId = idOf(s.customer as string | null);
      if (!customerId && (s.mode !== 'payment' || s.customer_creation === 'always')) {
        const c: Stripe.Customer = {
          id: ctx.newId('cus'),
          object: 'customer',
          address: null,
          balance: 0,
          created: ctx.now(),
          currency: null,
          default_source: null,
          delinquent: false,
          description: null,
          email: opts.email ?? s.customer_email ?? null,
          invoice_prefix: base62(8).toUpperCase(),
          invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
          livemode: false,
          metadata: {},
          name: opts.name ?? null,
          next_invoice_sequence: 1,
          phone: null,
          preferred_locales: [],
          shipping: null,
          tax_exempt: 'none',
          test_clock: null,
        };
        store.put('customer', c as never);
        ctx.emit('customer.created', c as never);
        customerId = c.id;
      }
      if (customerId) {
        const pm = store.get('payment_method', paymentMethodId) as Stripe.PaymentMethod | null;
        if (!pm) throw errors.noSuch('PaymentMethod', paymentMethodId, 'payment_method');
        if (!pm.customer) {
          pm.customer = customerId;
          store.put('payment_method', pm as never);
          ctx.emit('payment_method.attached', pm as never);
        }
      }
      const promo =
        opts.promotionCode && s.allow_promotion_codes
          ? (store.all('promotion_code', { where: { code: opts.promotionCode, active: true } }) as Stripe.PromotionCode[])[0]
          : undefined;
      const discounts = promo ? [{ promotion_code: promo.id }] : st.discounts;
      if (s.mode === 'subscription') {
        const sub = createSubscription(b, {
          customer: customerId!,
          items: st.lineItems.map((li) => ({ price: li.price, quantity: li.quantity })),
          default_payment_method: paymentMethodId,
          trial_period_days: st.trialPeriodDays ?? undefined,
          metadata: st.subscriptionMetadata,
          discounts,
          payment_behavior: 'allow_incomplete',
          checkout_session: s.id,
        });
        if (sub.status === 'incomplete') {
          const inv0 = sub.latest_invoice ? getInvoice(b, idOf(sub.latest_invoice as string)!) : null;
          const piId = inv0?.payments?.data[0]?.payment.payment_intent;
          const pi = piId ? b.host.getPaymentIntent(idOf(piId as string)!) : null;
          const err = pi?.last_payment_error;
          throw errors.card({
            code: err?.code ?? 'card_declined',
            decline_code: err?.decline_code,
            message: err?.message ?? 'Your card was declined.',
            extra: pi ? { payment_intent: pi } : undefined,
          });
        }
        s.subscription = sub.id;
        s.invoice = idOf(sub.latest_invoice as string | null);
        const inv = s.invoice ? getInvoice(b, s.invoice) : null;
        s.amount_total = inv?.total ?? s.amount_total;
        s.amount_subtotal = inv?.subtotal ?? s.amount_subtotal;
        if (s.total_details && inv) s.total_details.amount_discount = (inv.total_discount_amounts ?? []).reduce((a, d) => a + d.amount, 0);
        s.payment_status = inv && inv.amount_due > 0 ? 'paid' : 'no_payment_required';
        if (inv?.status === 'paid' && inv.amount_due > 0) s.payment_status = 'paid';
      } else if (s.mode === 'payment') {
        const pi = b.host.createPaymentIntent({
          amount: s.amount_total ?? 0,
          currency: s.currency ?? 'usd',
          customer: customerId ?? '',
          payment_method: paymentMethodId,
          off_session: false,
          confirm: true,
          description: 'Checkout payment',
        });
        if (pi.status !== 'succeeded')
          throw errors.card({
            code: 'card_declined',
            decline_code: 'generic_decline',
            message: 'Your card was declined.',
            extra: { payment_intent: pi },
          });
        s.payment_intent = pi.id;
        s.payment_status = 'paid';
      } else {
        const si = b.host.createSetupIntent({ customer: customerId!, usage: 'off_session' });
        s.setup_intent = si.id;
      }
      s.customer = customerId;
      s.status = 'complete';
      s.url = null;
      if (customerId) {
        const c = store.get('customer', customerId) as Stripe.Customer | null;
        s.customer_details = {
          address: null,
          business_name: null,
          email: c?.email ?? null,
          individual_name: null,
          name: c?.name ?? null,
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        };
      }
      store.put('checkout.session', s as never);
      ctx.emit('checkout.session.completed', s as never);
      return s;
    });

  return { completeCheckoutSession };
}
