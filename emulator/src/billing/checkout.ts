/** Checkout Sessions and Billing Portal (configurations + sessions). */
import type Stripe from 'stripe'
import { applyMetadata, errors, listParams, p, type Ctx, type EmulatorApp } from '../core'
import { base62 } from '../core/ids'
import type { BillingModule } from './index'
import { apiList, DAY, idOf } from './util'

type Session = Stripe.Checkout.Session

interface CheckoutInternal {
  lineItems: Array<{ price: string; quantity: number }>
  trialPeriodDays: number | null
  subscriptionMetadata: Record<string, string>
  discounts: Array<{ coupon?: string; promotion_code?: string }>
}

export function registerCheckout(app: EmulatorApp, mod: BillingModule): void {
  const { engine, run } = mod
  const store = app.store
  app.registerType({ type: 'checkout.session', prefix: 'cs', displayName: 'checkout.session' })
  app.registerType({ type: 'billing_portal.session', prefix: 'bps', displayName: 'billing_portal.session' })
  app.registerType({ type: 'billing_portal.configuration', prefix: 'bpc', displayName: 'billing_portal.configuration' })

  const lineItemsOf = (s: Session): Stripe.ApiList<Stripe.LineItem> => {
    const st = store.getInternal<CheckoutInternal>(s.id)
    const data: Stripe.LineItem[] = (st?.lineItems ?? []).map((li, i) => {
      const price = engine.price(li.price)
      const amount = (price.unit_amount ?? 0) * li.quantity
      return {
        id: `li_${s.id.slice(3, 15)}${i}`,
        object: 'item',
        adjustable_quantity: null,
        amount_discount: 0,
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        currency: price.currency,
        description: engine.productName(price),
        metadata: {},
        price,
        quantity: li.quantity,
      } as unknown as Stripe.LineItem
    })
    return apiList(data, `/v1/checkout/sessions/${s.id}/line_items`)
  }
  app.includable('checkout.session', 'line_items', (_ctx, s: Session) => lineItemsOf(s))

  const createParams = p.object({
    mode: p.enum(['payment', 'setup', 'subscription'] as const),
    ui_mode: p.enum(['hosted_page', 'embedded_page', 'elements', 'form', 'hosted', 'embedded', 'custom'] as const),
    customer: p.string(),
    customer_email: p.string(),
    customer_creation: p.enum(['always', 'if_required'] as const),
    client_reference_id: p.string(),
    line_items: p.array(p.object({ price: p.string(), quantity: p.integer({ min: 0 }), price_data: p.any(), adjustable_quantity: p.any(), tax_rates: p.any(), dynamic_tax_rates: p.any() })),
    success_url: p.string(),
    cancel_url: p.string(),
    return_url: p.string(),
    allow_promotion_codes: p.boolean(),
    discounts: p.array(p.object({ coupon: p.string(), promotion_code: p.string() })),
    subscription_data: p.object({ trial_period_days: p.integer({ min: 1 }), trial_end: p.integer(), metadata: p.metadata(), description: p.string(), trial_settings: p.any(), default_tax_rates: p.any(), billing_cycle_anchor: p.integer(), proration_behavior: p.any() }),
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
  })

  app.post('/v1/checkout/sessions', createParams, (ctx, params) =>
    run(ctx, () => {
      const mode = params.mode
      if (!mode) throw errors.missingParam('mode')
      const uiRaw = params.ui_mode ?? 'hosted_page'
      const ui = (uiRaw === 'hosted' ? 'hosted_page' : uiRaw === 'embedded' ? 'embedded_page' : uiRaw === 'custom' ? 'elements' : uiRaw) as Stripe.Checkout.Session.UiMode
      if (ui === 'hosted_page' && !params.success_url && mode !== 'setup') {
        // Stripe accepts a missing success_url for hosted pages (shows a generic page) — keep it null
      }
      if ((ui === 'embedded_page' || ui === 'elements') && params.success_url) throw errors.invalid(`success_url is not allowed when ui_mode is ${ui}.`, 'success_url')
      if (params.customer && !store.get('customer', params.customer)) throw errors.noSuch('customer', params.customer, 'customer')
      if (mode !== 'setup' && (!params.line_items || params.line_items.length === 0)) throw errors.missingParam('line_items')
      if (params.allow_promotion_codes && params.discounts?.length) throw errors.invalid('You may only specify one of these parameters: allow_promotion_codes, discounts.', 'discounts')
      const items = (params.line_items ?? []).map((li, i) => {
        if (!li.price) throw errors.missingParam(`line_items[${i}][price]`)
        const price = engine.price(li.price, `line_items[${i}][price]`)
        if (mode === 'payment' && price.type === 'recurring') throw errors.invalid('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', `line_items[${i}][price]`)
        if (mode === 'subscription' && price.type !== 'recurring' && i === 0) throw errors.invalid('You must specify at least one recurring price in `subscription` mode when using prices.', `line_items[${i}][price]`)
        return { price: li.price, quantity: li.quantity ?? 1, amount: (price.unit_amount ?? 0) * (li.quantity ?? 1), currency: price.currency }
      })
      const at = ctx.now()
      const id = `cs_test_${base62(58)}`
      const subtotal = items.reduce((s, i) => s + i.amount, 0)
      const base = app.publicUrl.replace(/\/$/, '')
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
        customer_details: params.customer_email ? { address: null, business_name: null, email: params.customer_email, individual_name: null, name: null, phone: null, tax_exempt: 'none', tax_ids: null } : null,
        customer_email: params.customer_email ?? null,
        discounts: (params.discounts ?? []).map((d) => ({ coupon: d.coupon ?? null, promotion_code: d.promotion_code ?? null })),
        expires_at: params.expires_at ?? at + DAY,
        integration_identifier: null,
        invoice: null,
        invoice_creation: mode === 'payment' ? { enabled: false, invoice_data: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: null, metadata: {}, rendering_options: null } } : null,
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
      }
      if (params.return_url) session.return_url = params.return_url
      store.put('checkout.session', session as never)
      const internal: CheckoutInternal = {
        lineItems: items.map((i) => ({ price: i.price, quantity: i.quantity })),
        trialPeriodDays: params.subscription_data?.trial_period_days ?? null,
        subscriptionMetadata: applyMetadata({}, params.subscription_data?.metadata),
        discounts: params.discounts ?? [],
      }
      store.setInternal(id, internal)
      return session
    }),
  )

  const getSession = (ctx: Ctx, id: string): Session => {
    const s = ctx.store.get('checkout.session', id) as Session | null
    if (!s) throw errors.noSuch('checkout.session', id, 'session')
    if (s.status === 'open' && s.expires_at <= ctx.now()) {
      s.status = 'expired'
      ctx.store.put('checkout.session', s as never)
      ctx.emit('checkout.session.expired', s as never)
    }
    return s
  }
  app.get('/v1/checkout/sessions/:id', p.object({}), (ctx, _p, req) => getSession(ctx, req.pathParams.id), { auth: 'either' })
  app.get('/v1/checkout/sessions/:id/line_items', p.object({ ...listParams }), (ctx, _p, req) => lineItemsOf(getSession(ctx, req.pathParams.id)))
  app.get(
    '/v1/checkout/sessions',
    p.object({ ...listParams, customer: p.string(), status: p.enum(['complete', 'expired', 'open'] as const), subscription: p.string(), payment_intent: p.string(), customer_details: p.any(), payment_link: p.string() }),
    (ctx, params) => ctx.list('checkout.session', params, { where: { customer: params.customer, status: params.status, subscription: params.subscription, payment_intent: params.payment_intent } }, '/v1/checkout/sessions'),
  )
  app.post('/v1/checkout/sessions/:id/expire', p.object({}), (ctx, _p, req) => {
    const s = getSession(ctx, req.pathParams.id)
    if (s.status !== 'open') throw errors.invalid(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`)
    s.status = 'expired'
    ctx.store.put('checkout.session', s as never)
    ctx.emit('checkout.session.expired', s as never)
    return s
  })

  /**
   * Complete a session as the hosted page would: create the customer if needed, attach the
   * payment method, then create the subscription / payment / setup and emit checkout.session.completed.
   * Used by the browser module's hosted checkout page.
   */
  const completeCheckoutSession = (ctx: Ctx, id: string, paymentMethodId: string, opts: { email?: string; name?: string; promotionCode?: string } = {}): Session =>
    run(ctx, () => {
      const s = getSession(ctx, id)
      if (s.status !== 'open') throw errors.invalid(`This Checkout Session is no longer active (status ${s.status}).`)
      const st = store.getInternal<CheckoutInternal>(id) ?? { lineItems: [], trialPeriodDays: null, subscriptionMetadata: {}, discounts: [] }
      let customerId = idOf(s.customer as string | null)
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
        }
        store.put('customer', c as never)
        ctx.emit('customer.created', c as never)
        customerId = c.id
      }
      if (customerId) {
        const pm = store.get('payment_method', paymentMethodId) as Stripe.PaymentMethod | null
        if (!pm) throw errors.noSuch('PaymentMethod', paymentMethodId, 'payment_method')
        if (!pm.customer) {
          pm.customer = customerId
          store.put('payment_method', pm as never)
          ctx.emit('payment_method.attached', pm as never)
        }
      }
      const promo = opts.promotionCode && s.allow_promotion_codes ? (store.all('promotion_code', { where: { code: opts.promotionCode, active: true } }) as Stripe.PromotionCode[])[0] : undefined
      const discounts = promo ? [{ promotion_code: promo.id }] : st.discounts
      if (s.mode === 'subscription') {
        const sub = engine.createSubscription({
          customer: customerId!,
          items: st.lineItems.map((li) => ({ price: li.price, quantity: li.quantity })),
          default_payment_method: paymentMethodId,
          trial_period_days: st.trialPeriodDays ?? undefined,
          metadata: st.subscriptionMetadata,
          discounts,
          payment_behavior: 'allow_incomplete',
          checkout_session: s.id,
        })
        if (sub.status === 'incomplete') {
          const inv0 = sub.latest_invoice ? engine.getInvoice(idOf(sub.latest_invoice as string)!) : null
          const piId = inv0?.payments?.data[0]?.payment.payment_intent
          const pi = piId ? engine.host.getPaymentIntent(idOf(piId as string)!) : null
          const err = pi?.last_payment_error
          throw errors.card({ code: err?.code ?? 'card_declined', decline_code: err?.decline_code, message: err?.message ?? 'Your card was declined.', extra: pi ? { payment_intent: pi } : undefined })
        }
        s.subscription = sub.id
        s.invoice = idOf(sub.latest_invoice as string | null)
        const inv = s.invoice ? engine.getInvoice(s.invoice) : null
        s.amount_total = inv?.total ?? s.amount_total
        s.amount_subtotal = inv?.subtotal ?? s.amount_subtotal
        if (s.total_details && inv) s.total_details.amount_discount = (inv.total_discount_amounts ?? []).reduce((a, d) => a + d.amount, 0)
        s.payment_status = inv && inv.amount_due > 0 ? 'paid' : 'no_payment_required'
        if (inv?.status === 'paid' && inv.amount_due > 0) s.payment_status = 'paid'
      } else if (s.mode === 'payment') {
        const pi = engine.host.createPaymentIntent({ amount: s.amount_total ?? 0, currency: s.currency ?? 'usd', customer: customerId ?? '', payment_method: paymentMethodId, off_session: false, confirm: true, description: 'Checkout payment' })
        if (pi.status !== 'succeeded') throw errors.card({ code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', extra: { payment_intent: pi } })
        s.payment_intent = pi.id
        s.payment_status = 'paid'
      } else {
        const si = engine.host.createSetupIntent({ customer: customerId!, usage: 'off_session' })
        s.setup_intent = si.id
      }
      s.customer = customerId
      s.status = 'complete'
      s.url = null
      if (customerId) {
        const c = store.get('customer', customerId) as Stripe.Customer | null
        s.customer_details = { address: null, business_name: null, email: c?.email ?? null, individual_name: null, name: c?.name ?? null, phone: null, tax_exempt: 'none', tax_ids: [] }
      }
      store.put('checkout.session', s as never)
      ctx.emit('checkout.session.completed', s as never)
      return s
    })
  ;(mod as BillingModule & { completeCheckoutSession?: typeof completeCheckoutSession }).completeCheckoutSession = completeCheckoutSession
  ;(app as unknown as { completeCheckoutSession?: (ctx: Ctx, id: string, pm: string, opts?: { email?: string; name?: string; promotionCode?: string }) => Session }).completeCheckoutSession = completeCheckoutSession

  // ---- billing portal ----
  type Conf = Stripe.BillingPortal.Configuration
  const defaultFeatures = (): Stripe.BillingPortal.Configuration.Features => ({
    customer_update: { allowed_updates: ['email', 'address'], enabled: true },
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true, payment_method_configuration: null },
    subscription_cancel: { cancellation_reason: { enabled: false, options: [] }, enabled: true, mode: 'at_period_end', proration_behavior: 'none' },
    subscription_update: { billing_cycle_anchor: null, default_allowed_updates: ['price'], enabled: false, products: [], proration_behavior: 'create_prorations', schedule_at_period_end: { conditions: [] }, trial_update_behavior: 'end_trial' },
  }) as unknown as Stripe.BillingPortal.Configuration.Features
  const buildConf = (ctx: Ctx, features: Record<string, unknown> | undefined, opts: { default_return_url?: string | null; is_default?: boolean; metadata?: Record<string, string>; name?: string | null; headline?: string | null }): Conf => {
    const f = defaultFeatures() as unknown as Record<string, Record<string, unknown>>
    for (const [k, v] of Object.entries(features ?? {})) if (v && typeof v === 'object') f[k] = { ...(f[k] ?? {}), ...(v as Record<string, unknown>) }
    for (const v of Object.values(f)) if (typeof v.enabled === 'string') v.enabled = v.enabled === 'true'
    return {
      id: ctx.newId('bpc'),
      object: 'billing_portal.configuration',
      active: true,
      application: null,
      business_profile: { headline: opts.headline ?? null, privacy_policy_url: null, terms_of_service_url: null },
      created: ctx.now(),
      default_return_url: opts.default_return_url ?? null,
      features: f as unknown as Stripe.BillingPortal.Configuration.Features,
      is_default: opts.is_default ?? false,
      livemode: false,
      login_page: { enabled: false, url: null },
      metadata: opts.metadata ?? {},
      name: opts.name ?? null,
      updated: ctx.now(),
    }
  }
  const defaultConf = (ctx: Ctx): Conf => {
    const existing = (store.all('billing_portal.configuration', { where: { is_default: true } }) as Conf[])[0]
    if (existing) return existing
    const c = buildConf(ctx, undefined, { is_default: true })
    store.put('billing_portal.configuration', c as never)
    return c
  }
  app.post(
    '/v1/billing_portal/configurations',
    p.object({ features: p.any().required(), business_profile: p.object({ headline: p.string().emptyable(), privacy_policy_url: p.string(), terms_of_service_url: p.string() }), default_return_url: p.string().emptyable(), metadata: p.metadata(), name: p.string().emptyable(), login_page: p.any() }),
    (ctx, params) => {
      const c = buildConf(ctx, params.features as Record<string, unknown>, { default_return_url: params.default_return_url, metadata: applyMetadata({}, params.metadata), name: params.name, headline: params.business_profile?.headline })
      store.put('billing_portal.configuration', c as never)
      ctx.emit('billing_portal.configuration.created', c as never)
      return c
    },
  )
  app.get('/v1/billing_portal/configurations/:id', p.object({}), (ctx, _p, req) => ctx.store.require('billing_portal.configuration', req.pathParams.id, 'configuration'))
  app.get('/v1/billing_portal/configurations', p.object({ ...listParams, active: p.boolean(), is_default: p.boolean() }), (ctx, params) =>
    ctx.list('billing_portal.configuration', params, { where: { active: params.active, is_default: params.is_default } }, '/v1/billing_portal/configurations'),
  )
  app.post('/v1/billing_portal/configurations/:id', p.object({ active: p.boolean(), features: p.any(), default_return_url: p.string().emptyable(), metadata: p.metadata(), name: p.string().emptyable(), business_profile: p.any(), login_page: p.any() }), (ctx, params, req) => {
    const c = ctx.store.require('billing_portal.configuration', req.pathParams.id, 'configuration') as Conf
    if (params.active !== undefined) c.active = params.active
    if (params.default_return_url !== undefined) c.default_return_url = params.default_return_url
    if (params.metadata !== undefined) c.metadata = applyMetadata(c.metadata, params.metadata)
    if (params.name !== undefined) c.name = params.name
    if (params.features) {
      const f = c.features as unknown as Record<string, Record<string, unknown>>
      for (const [k, v] of Object.entries(params.features as Record<string, unknown>)) if (v && typeof v === 'object') f[k] = { ...(f[k] ?? {}), ...(v as Record<string, unknown>) }
    }
    c.updated = ctx.now()
    store.put('billing_portal.configuration', c as never)
    ctx.emit('billing_portal.configuration.updated', c as never)
    return c
  })
  app.post(
    '/v1/billing_portal/sessions',
    p.object({ customer: p.string().required(), return_url: p.string(), configuration: p.string(), flow_data: p.any(), locale: p.string(), on_behalf_of: p.string() }),
    (ctx, params) => {
      if (!store.get('customer', params.customer)) throw errors.noSuch('customer', params.customer, 'customer')
      const conf = params.configuration ? (ctx.store.require('billing_portal.configuration', params.configuration, 'configuration') as Conf) : defaultConf(ctx)
      const returnUrl = params.return_url ?? conf.default_return_url
      if (!returnUrl) throw errors.invalid('You must provide a return_url, or set a default return URL on the portal configuration.', 'return_url')
      const id = ctx.newId('bps')
      const flow = params.flow_data as { type?: string; after_completion?: unknown; subscription_cancel?: { subscription?: string }; subscription_update?: { subscription?: string }; subscription_update_confirm?: { subscription?: string; items?: unknown; discounts?: unknown } } | undefined
      const s: Stripe.BillingPortal.Session = {
        id,
        object: 'billing_portal.session',
        configuration: conf.id,
        created: ctx.now(),
        customer: params.customer,
        customer_account: null,
        flow: flow?.type
          ? ({
              type: flow.type,
              after_completion: { type: 'portal_homepage', hosted_confirmation: null, redirect: null, ...(flow.after_completion as object) },
              subscription_cancel: flow.subscription_cancel ? { retention: null, subscription: flow.subscription_cancel.subscription } : null,
              subscription_update: flow.subscription_update ? { subscription: flow.subscription_update.subscription } : null,
              subscription_update_confirm: flow.subscription_update_confirm ?? null,
            } as unknown as Stripe.BillingPortal.Session.Flow)
          : null,
        livemode: false,
        locale: (params.locale ?? null) as Stripe.BillingPortal.Session.Locale | null,
        on_behalf_of: params.on_behalf_of ?? null,
        return_url: returnUrl,
        url: `${app.publicUrl.replace(/\/$/, '')}/portal/${id}`,
      }
      store.put('billing_portal.session', s as never)
      return s
    },
  )
}
