/** HTTP endpoints of the billing engine. */
import type Stripe from 'stripe'
import { applyMetadata, errors, listParams, p, previousAttributes, RawResponse, type Ctx, type EmulatorApp } from '../core'
import { base62 } from '../core/ids'
import type { BillingModule } from './index'
import type { Inv, LineSpec, Sub } from './engine'
import { renderInvoicePdf } from './pdf'
import { apiList, clone, idOf } from './util'

const discountsParam = p.array(p.object({ coupon: p.string(), promotion_code: p.string(), discount: p.string() })).emptyable()
const itemCreate = p.object({
  price: p.string(),
  quantity: p.integer({ min: 0 }),
  metadata: p.metadata(),
  discounts: discountsParam,
  tax_rates: p.array(p.string()).emptyable(),
})
const itemUpdate = itemCreate.extend({ id: p.string(), deleted: p.boolean(), clear_usage: p.boolean() })
const paymentSettings = p.object({
  save_default_payment_method: p.enum(['on_subscription', 'off'] as const),
  payment_method_types: p.array(p.string()).emptyable(),
  payment_method_options: p.any(),
})
const trialSettings = p.object({
  end_behavior: p.object({ missing_payment_method: p.enum(['cancel', 'create_invoice', 'pause'] as const).required() }).required(),
})
const cancellationDetails = p.object({ comment: p.string().emptyable(), feedback: p.string().emptyable() })

/** `billing_cycle_anchor` on update/resume/preview: `{ type: 'now' | 'unchanged' }` (older SDKs sent a string). */
const anchorParam = p.union(
  p.enum(['now', 'unchanged'] as const),
  p.object({ type: p.enum(['now', 'unchanged', 'timestamp'] as const).required(), timestamp: p.integer() }),
)
function anchorType(v: 'now' | 'unchanged' | { type: string } | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : v.type
}

function stripMeta(m: Record<string, string | null> | null | undefined): Record<string, string> {
  return applyMetadata({}, m ?? undefined)
}

export function registerRoutes(app: EmulatorApp, mod: BillingModule): void {
  const { engine, schedules, run } = mod
  const store = app.store

  app.registerType({
    type: 'subscription',
    prefix: 'sub',
    displayName: 'subscription',
    load: (_ctx, id) => (id.startsWith('sub_sched_') ? store.get('subscription_schedule', id) : store.get('subscription', id)),
  })
  app.registerType({ type: 'subscription_item', prefix: 'si', displayName: 'subscription_item' })
  app.registerType({ type: 'invoice', prefix: 'in', displayName: 'invoice' })
  app.registerType({ type: 'invoiceitem', prefix: 'ii', displayName: 'invoiceitem' })
  app.registerType({ type: 'invoice_payment', prefix: 'inpay', displayName: 'invoice_payment' })
  app.registerType({ type: 'promotion_code', prefix: 'promo', displayName: 'promotion code' })
  app.registerType({ type: 'discount', prefix: 'di', displayName: 'discount' })
  app.registerType({ type: 'test_helpers.test_clock', prefix: 'clock', displayName: 'test_clock' })
  store.displayNames.set('subscription_schedule', 'subscription_schedule')
  store.displayNames.set('coupon', 'coupon')

  app.includable('invoice', 'confirmation_secret', (_ctx, inv: Inv) => engine.confirmationSecret(inv))

  const now = (customer: string | null) => engine.nowForCustomer(customer)

  // ================================================================ subscriptions
  const createSub = p.object({
    customer: p.string().required(),
    items: p.array(itemCreate),
    payment_behavior: p.enum(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const),
    payment_settings: paymentSettings,
    default_payment_method: p.string(),
    trial_period_days: p.integer({ min: 0, max: 730 }),
    trial_end: p.union(p.literal('now'), p.integer()),
    trial_from_plan: p.boolean(),
    trial_settings: trialSettings,
    billing_cycle_anchor: p.integer(),
    cancel_at_period_end: p.boolean(),
    cancel_at: p.integer(),
    discounts: discountsParam,
    metadata: p.metadata(),
    description: p.string(),
    proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const),
    collection_method: p.enum(['charge_automatically', 'send_invoice'] as const),
    days_until_due: p.integer(),
    off_session: p.boolean(),
    currency: p.string(),
    add_invoice_items: p.array(p.object({ price: p.string(), quantity: p.integer(), price_data: p.any(), metadata: p.metadata(), discounts: discountsParam, period: p.any(), tax_rates: p.any() })),
    automatic_tax: p.object({ enabled: p.boolean().required(), liability: p.any() }),
    default_tax_rates: p.array(p.string()).emptyable(),
    invoice_settings: p.any(),
    backdate_start_date: p.integer(),
  })
  app.post('/v1/subscriptions', createSub, (ctx, params) =>
    run(ctx, () => {
      if (!params.items || params.items.length === 0) throw errors.missingParam('items')
      params.items.forEach((it, i) => {
        if (!it.price) throw errors.missingParam(`items[${i}][price]`)
      })
      if (params.trial_end !== undefined && params.trial_period_days !== undefined)
        throw errors.invalid('You may only specify one of these parameters: trial_end, trial_period_days.', 'trial_end')
      return engine.createSubscription({
        customer: params.customer,
        items: params.items.map((it) => ({ price: it.price!, quantity: it.quantity, metadata: it.metadata })),
        payment_behavior: params.payment_behavior,
        default_payment_method: params.default_payment_method,
        trial_period_days: params.trial_period_days,
        trial_end: params.trial_end,
        trial_from_plan: params.trial_from_plan,
        trial_settings: params.trial_settings,
        billing_cycle_anchor: params.billing_cycle_anchor,
        cancel_at_period_end: params.cancel_at_period_end,
        cancel_at: params.cancel_at,
        discounts: params.discounts,
        metadata: stripMeta(params.metadata),
        description: params.description,
        save_default_payment_method: params.payment_settings?.save_default_payment_method,
        proration_behavior: params.proration_behavior,
        collection_method: params.collection_method,
        days_until_due: params.days_until_due,
        off_session: params.off_session,
      })
    }),
  )

  app.get('/v1/subscriptions/:id', p.object({}), (ctx, _params, req) => run(ctx, () => engine.requireSub(req.pathParams.id, 'id')))

  app.get(
    '/v1/subscriptions',
    p.object({
      ...listParams,
      customer: p.string(),
      price: p.string(),
      plan: p.string(),
      status: p.enum(['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] as const),
      test_clock: p.string(),
      collection_method: p.string(),
      current_period_end: p.range(),
      current_period_start: p.range(),
      automatic_tax: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const st = params.status
        const filter = (s: Sub) => {
          // status=all lists every status; no status lists all but canceled (as Stripe does).
          if (st === 'all') {
            // keep
          } else if (st === 'ended' ? !['canceled', 'incomplete_expired'].includes(s.status) : st ? s.status !== st : s.status === 'canceled') return false
          const price = params.price ?? params.plan
          if (price && !s.items.data.some((i) => i.price.id === price)) return false
          if (params.test_clock && idOf(s.test_clock as string) !== params.test_clock) return false
          return true
        }
        return ctx.list('subscription', params, { where: { customer: params.customer }, filter }, '/v1/subscriptions')
      }),
  )

  const updateSub = p.object({
    items: p.array(itemUpdate),
    proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const),
    proration_date: p.integer(),
    cancel_at_period_end: p.boolean(),
    cancel_at: p.integer().emptyable(),
    cancellation_details: cancellationDetails,
    pause_collection: p.object({ behavior: p.enum(['keep_as_draft', 'mark_uncollectible', 'void'] as const).required(), resumes_at: p.integer() }).emptyable(),
    trial_end: p.union(p.literal('now'), p.integer()),
    trial_from_plan: p.boolean(),
    trial_settings: trialSettings,
    billing_cycle_anchor: anchorParam,
    default_payment_method: p.string().emptyable(),
    discounts: discountsParam,
    metadata: p.metadata(),
    description: p.string().emptyable(),
    payment_behavior: p.enum(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const),
    payment_settings: paymentSettings,
    off_session: p.boolean(),
    collection_method: p.enum(['charge_automatically', 'send_invoice'] as const),
    days_until_due: p.integer(),
    default_tax_rates: p.array(p.string()).emptyable(),
    add_invoice_items: p.any(),
    automatic_tax: p.any(),
    invoice_settings: p.any(),
  })
  app.post('/v1/subscriptions/:id', updateSub, (ctx, params, req) =>
    run(ctx, () => {
      const sub = engine.requireSub(req.pathParams.id, 'id')
      const customer = idOf(sub.customer as string)!
      const at = now(customer)
      if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
        const allowed = ['metadata', 'cancellation_details', 'expand']
        const bad = Object.keys(params).find((k) => !allowed.includes(k))
        if (bad) throw errors.invalid('A canceled subscription can only update its cancellation_details and metadata.', bad)
      }
      if (sub.schedule && params.items) {
        throw errors.invalid(`The subscription is managed by the subscription schedule \`${idOf(sub.schedule as string)}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`, 'items')
      }
      const before = clone(sub)
      let inv: Inv | null = null
      if (params.items || (params.proration_date !== undefined && params.items)) {
        const plan = engine.planItemsUpdate(sub, params.items, params.proration_behavior, params.proration_date, at)
        inv = engine.applyItemsPlan(sub, plan, at)
      }
      if (params.metadata !== undefined) sub.metadata = applyMetadata(sub.metadata, params.metadata)
      if (params.description !== undefined) sub.description = params.description
      if (params.default_payment_method !== undefined) {
        if (params.default_payment_method && !store.get('payment_method', params.default_payment_method)) throw errors.noSuch('PaymentMethod', params.default_payment_method, 'default_payment_method')
        sub.default_payment_method = params.default_payment_method
      }
      if (params.payment_settings?.save_default_payment_method) sub.payment_settings = { ...sub.payment_settings!, save_default_payment_method: params.payment_settings.save_default_payment_method }
      if (params.trial_settings) sub.trial_settings = { end_behavior: { ...sub.trial_settings!.end_behavior, missing_payment_method: params.trial_settings.end_behavior.missing_payment_method } }
      if (params.cancellation_details) {
        sub.cancellation_details = { ...(sub.cancellation_details ?? { reason: null }), comment: params.cancellation_details.comment ?? null, feedback: (params.cancellation_details.feedback ?? null) as never } as Stripe.Subscription.CancellationDetails
      }
      const periodEnd = sub.items.data[0]?.current_period_end ?? at
      if (params.cancel_at_period_end !== undefined) {
        sub.cancel_at_period_end = params.cancel_at_period_end
        sub.cancel_at = params.cancel_at_period_end ? periodEnd : null
        sub.canceled_at = params.cancel_at_period_end ? at : null
        if (params.cancel_at_period_end && sub.cancellation_details) sub.cancellation_details.reason = 'cancellation_requested'
        if (!params.cancel_at_period_end && sub.cancellation_details) sub.cancellation_details.reason = null
      }
      if (params.cancel_at !== undefined) {
        if (params.cancel_at !== null && params.cancel_at < at) throw errors.invalid('cancel_at must be in the future', 'cancel_at')
        sub.cancel_at = params.cancel_at
        sub.cancel_at_period_end = params.cancel_at !== null && params.cancel_at === periodEnd
        sub.canceled_at = params.cancel_at === null ? null : at
      }
      if (params.pause_collection !== undefined) {
        sub.pause_collection = params.pause_collection ? { behavior: params.pause_collection.behavior, resumes_at: params.pause_collection.resumes_at ?? null } : null
      }
      if (params.discounts !== undefined) sub.discounts = params.discounts === null ? [] : engine.createDiscounts(params.discounts, { customer, subscription: sub.id }, at)
      if (params.trial_end !== undefined) {
        if (params.trial_end === 'now') {
          if (sub.status === 'trialing') {
            sub.trial_end = at
            sub.status = 'active'
            inv = engine.resetPeriod(sub, at, 'subscription_update', false)
          }
        } else {
          if (params.trial_end <= at) throw errors.invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end')
          sub.trial_end = params.trial_end
          sub.trial_start = sub.trial_start ?? at
          sub.status = 'trialing'
          sub.billing_cycle_anchor = params.trial_end
          for (const it of sub.items.data) it.current_period_end = params.trial_end
        }
      }
      if (anchorType(params.billing_cycle_anchor) === 'now' && !inv) {
        inv = engine.resetPeriod(sub, at, 'subscription_update', params.proration_behavior !== 'none')
      }
      engine.saveSub(sub)
      if (inv) {
        engine.saveSub(sub)
        const fin = engine.collect(inv, sub, at, params.off_session ?? true)
        if (fin.status === 'open' && params.payment_behavior === 'error_if_incomplete') {
          throw errors.card({ code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' })
        }
      }
      const after = engine.requireSub(sub.id)
      const prev = previousAttributes(before as never, after as never)
      if (prev) ctx.emit('customer.subscription.updated', after as never, prev)
      return after
    }),
  )

  app.del('/v1/subscriptions/:id', p.object({ invoice_now: p.boolean(), prorate: p.boolean(), cancellation_details: cancellationDetails }), (ctx, params, req) =>
    run(ctx, () => {
      const sub = engine.requireSub(req.pathParams.id, 'id')
      const at = now(idOf(sub.customer as string))
      if (sub.status === 'incomplete') {
        const inv = sub.latest_invoice ? engine.getInvoice(idOf(sub.latest_invoice as string)!) : null
        if (inv && inv.status === 'open') engine.voidInvoice(inv, at)
      }
      return engine.cancelSubscription(sub, at, {
        invoiceNow: params.invoice_now ?? false,
        prorate: params.prorate ?? false,
        comment: params.cancellation_details?.comment ?? null,
        feedback: params.cancellation_details?.feedback ?? null,
      })
    }),
  )

  app.post(
    '/v1/subscriptions/:id/pause',
    p.object({ type: p.enum(['subscription'] as const), bill_for: p.any(), invoicing_behavior: p.enum(['invoice', 'pending_invoice_item'] as const) }),
    (ctx, _params, req) =>
      run(ctx, () => {
        const sub = engine.requireSub(req.pathParams.id, 'id')
        if (!['active', 'trialing', 'past_due'].includes(sub.status)) throw errors.invalid(`Only active subscriptions can be paused; this one is ${sub.status}.`)
        const at = now(idOf(sub.customer as string))
        const before = clone(sub)
        sub.status = 'paused'
        sub.status_details = { paused: { subscription: { type: 'api' }, transitioned_at: at, type: 'subscription' } } as unknown as Stripe.Subscription.StatusDetails
        engine.saveSub(sub)
        ctx.emit('customer.subscription.paused', sub as never)
        ctx.emit('customer.subscription.updated', sub as never, previousAttributes(before as never, sub as never))
        return sub
      }),
  )

  app.post(
    '/v1/subscriptions/:id/resume',
    p.object({
      billing_cycle_anchor: anchorParam,
      payment_behavior: p.enum(['pending_if_incomplete', 'allow_incomplete'] as const),
      proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const),
      proration_date: p.integer(),
    }),
    (ctx, params, req) =>
      run(ctx, () => {
        const sub = engine.requireSub(req.pathParams.id, 'id')
        if (sub.status !== 'paused') throw errors.invalid('Only paused subscriptions can be resumed.')
        const at = now(idOf(sub.customer as string))
        const before = clone(sub)
        sub.status = 'active'
        delete sub.status_details
        if (sub.trial_end && sub.trial_end <= at) sub.trial_end = sub.trial_end
        let inv: Inv | null = null
        const first = sub.items.data[0]
        if (anchorType(params.billing_cycle_anchor) === 'unchanged' && first && first.current_period_end > at) {
          /* keep the period */
        } else {
          inv = engine.resetPeriod(sub, at, 'subscription_update', false)
        }
        engine.saveSub(sub)
        if (inv) engine.collect(inv, sub, at)
        const after = engine.requireSub(sub.id)
        ctx.emit('customer.subscription.resumed', after as never)
        ctx.emit('customer.subscription.updated', after as never, previousAttributes(before as never, after as never))
        return after
      }),
  )

  // ================================================================ subscription items
  app.get('/v1/subscription_items', p.object({ ...listParams, subscription: p.string().required() }), (ctx, params) =>
    run(ctx, () => {
      engine.requireSub(params.subscription, 'subscription')
      return ctx.list('subscription_item', params, { where: { subscription: params.subscription } }, '/v1/subscription_items')
    }),
  )
  app.get('/v1/subscription_items/:id', p.object({}), (ctx, _p, req) => ctx.store.require('subscription_item', req.pathParams.id, 'id'))

  const itemMutation = (ctx: Ctx, subId: string, input: Parameters<typeof engine.planItemsUpdate>[1], behavior: string | undefined, prorationDate: number | undefined, paymentBehavior?: string) => {
    const sub = engine.requireSub(subId, 'subscription')
    const at = now(idOf(sub.customer as string))
    const before = clone(sub)
    const plan = engine.planItemsUpdate(sub, input, behavior, prorationDate, at)
    const inv = engine.applyItemsPlan(sub, plan, at)
    engine.saveSub(sub)
    if (inv) engine.collect(inv, sub, at)
    void paymentBehavior
    const after = engine.requireSub(sub.id)
    const prev = previousAttributes(before as never, after as never)
    if (prev) ctx.emit('customer.subscription.updated', after as never, prev)
    return after
  }
  const itemCommon = {
    proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const),
    proration_date: p.integer(),
    payment_behavior: p.enum(['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const),
    off_session: p.boolean(),
  }
  app.post('/v1/subscription_items', itemCreate.extend({ subscription: p.string().required(), ...itemCommon }), (ctx, params) =>
    run(ctx, () => {
      if (!params.price) throw errors.missingParam('price')
      const after = itemMutation(ctx, params.subscription, [{ price: params.price, quantity: params.quantity, metadata: params.metadata }], params.proration_behavior, params.proration_date)
      return after.items.data[after.items.data.length - 1]
    }),
  )
  app.post('/v1/subscription_items/:id', itemCreate.extend({ ...itemCommon }), (ctx, params, req) =>
    run(ctx, () => {
      const item = ctx.store.require('subscription_item', req.pathParams.id, 'id') as Stripe.SubscriptionItem
      const after = itemMutation(ctx, item.subscription, [{ id: item.id, price: params.price, quantity: params.quantity, metadata: params.metadata }], params.proration_behavior, params.proration_date)
      return after.items.data.find((i) => i.id === item.id)
    }),
  )
  app.del('/v1/subscription_items/:id', p.object({ proration_behavior: itemCommon.proration_behavior, proration_date: p.integer(), clear_usage: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const item = ctx.store.require('subscription_item', req.pathParams.id, 'id') as Stripe.SubscriptionItem
      const sub = engine.requireSub(item.subscription)
      if (sub.items.data.length <= 1) throw errors.invalid('A subscription must have at least one active plan. To cancel a subscription, please use the cancel subscription endpoint.')
      itemMutation(ctx, item.subscription, [{ id: item.id, deleted: true }], params.proration_behavior, params.proration_date)
      return { id: item.id, object: 'subscription_item', deleted: true }
    }),
  )

  // ================================================================ invoices
  const renderList = (data: Inv[]) => data
  app.get(
    '/v1/invoices',
    p.object({ ...listParams, customer: p.string(), subscription: p.string(), status: p.enum(['draft', 'open', 'paid', 'uncollectible', 'void'] as const), collection_method: p.string(), due_date: p.range() }),
    (ctx, params) =>
      run(ctx, () => {
        const l = ctx.list('invoice', params, { where: { customer: params.customer, status: params.status, 'parent.subscription_details.subscription': params.subscription } }, '/v1/invoices')
        l.data = renderList(l.data)
        return l
      }),
  )
  app.get('/v1/invoices/:id', p.object({}), (ctx, _p, req) => run(ctx, () => engine.requireInvoice(req.pathParams.id, 'id')))
  app.get('/v1/invoices/:id/lines', p.object({ ...listParams }), (ctx, params, req) => {
    const inv = engine.requireInvoice(req.pathParams.id, 'invoice')
    let data = inv.lines.data
    if (params.starting_after) data = data.slice(data.findIndex((l) => l.id === params.starting_after) + 1)
    const limit = params.limit ?? 10
    return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: `/v1/invoices/${inv.id}/lines` }
  })

  app.post(
    '/v1/invoices',
    p.object({
      customer: p.string().required(),
      auto_advance: p.boolean(),
      collection_method: p.enum(['charge_automatically', 'send_invoice'] as const),
      days_until_due: p.integer(),
      description: p.string(),
      metadata: p.metadata(),
      discounts: discountsParam,
      pending_invoice_items_behavior: p.enum(['exclude', 'include'] as const),
      subscription: p.string(),
      currency: p.string(),
      default_payment_method: p.string(),
      due_date: p.integer(),
      footer: p.string(),
      automatic_tax: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const c = store.get('customer', params.customer) as Stripe.Customer | null
        if (!c) throw errors.noSuch('customer', params.customer, 'customer')
        const at = now(c.id)
        const sub = params.subscription ? engine.requireSub(params.subscription, 'subscription') : null
        const discounts = engine.createDiscounts(params.discounts, { customer: c.id, subscription: null }, at)
        const inv = engine.createInvoice({
          customer: c.id,
          currency: params.currency ?? sub?.currency ?? c.currency ?? 'usd',
          subscription: sub,
          billingReason: 'manual',
          specs: [],
          discounts,
          at,
          period: { start: at, end: at },
          includePending: params.pending_invoice_items_behavior === 'include',
        })
        inv.auto_advance = params.auto_advance ?? false
        inv.description = params.description ?? null
        inv.metadata = stripMeta(params.metadata)
        inv.collection_method = params.collection_method ?? 'charge_automatically'
        if (inv.collection_method === 'send_invoice') {
          // As Stripe: a sent invoice needs a due date, given or counted in days from creation.
          if (params.due_date == null && params.days_until_due == null) throw errors.missingParam('days_until_due')
          inv.due_date = params.due_date ?? at + params.days_until_due! * 86_400
        }
        if (params.default_payment_method) inv.default_payment_method = params.default_payment_method
        store.put('invoice', inv as never)
        return inv
      }),
  )

  app.post('/v1/invoices/:id', p.object({ metadata: p.metadata(), description: p.string().emptyable(), auto_advance: p.boolean(), footer: p.string().emptyable(), default_payment_method: p.string().emptyable(), discounts: discountsParam }), (ctx, params, req) =>
    run(ctx, () => {
      const inv = engine.requireInvoice(req.pathParams.id, 'id')
      const before = clone(inv)
      if (params.metadata !== undefined) inv.metadata = applyMetadata(inv.metadata, params.metadata)
      if (params.description !== undefined) inv.description = params.description
      if (params.footer !== undefined) inv.footer = params.footer
      if (params.auto_advance !== undefined) inv.auto_advance = params.auto_advance
      if (params.default_payment_method !== undefined) inv.default_payment_method = params.default_payment_method
      if (params.discounts !== undefined) {
        if (inv.status !== 'draft') throw errors.invalid('You can only update discounts on draft invoices.', 'discounts', 'invoice_not_editable')
        inv.discounts = engine.createDiscounts(params.discounts, { customer: idOf(inv.customer as string)!, subscription: null }, inv.created)
        engine.recomputeDraft(inv)
      }
      store.put('invoice', inv as never)
      const prev = previousAttributes(before as never, inv as never)
      if (prev) ctx.emit('invoice.updated', inv as never, prev)
      return inv
    }),
  )

  app.del('/v1/invoices/:id', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const inv = engine.requireInvoice(req.pathParams.id, 'id')
      if (inv.status !== 'draft') throw errors.invalid('You can only delete draft invoices.', undefined, 'invoice_not_editable')
      for (const ii of store.all('invoiceitem', { where: { invoice: inv.id } }) as Stripe.InvoiceItem[]) {
        ii.invoice = null
        store.put('invoiceitem', ii as never)
      }
      store.delete('invoice', inv.id, { id: inv.id, object: 'invoice', deleted: true })
      ctx.emit('invoice.deleted', inv as never)
      return { id: inv.id, object: 'invoice', deleted: true }
    }),
  )

  app.post('/v1/invoices/:id/finalize', p.object({ auto_advance: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const inv = engine.requireInvoice(req.pathParams.id, 'id')
      const at = now(idOf(inv.customer as string))
      const fin = engine.finalize(inv, at)
      if (params.auto_advance !== undefined) {
        fin.auto_advance = params.auto_advance
        store.put('invoice', fin as never)
      }
      return engine.getInvoice(fin.id)
    }),
  )

  app.post(
    '/v1/invoices/:id/pay',
    p.object({ payment_method: p.string(), off_session: p.boolean(), paid_out_of_band: p.boolean(), forgive: p.boolean(), mandate: p.string().emptyable(), source: p.string() }),
    (ctx, params, req) =>
      run(ctx, () => {
        let inv = engine.requireInvoice(req.pathParams.id, 'id')
        const customer = idOf(inv.customer as string)!
        const at = now(customer)
        if (inv.status === 'draft') inv = engine.finalize(inv, at)
        if (inv.status === 'paid') throw errors.invalid('Invoice is already paid', undefined, 'invoice_already_paid')
        if (inv.status !== 'open' && inv.status !== 'uncollectible') throw errors.invalid(`You cannot pay an invoice that is ${inv.status}.`)
        if (params.paid_out_of_band) {
          if (inv.status === 'uncollectible') inv.status = 'open'
          engine.markPaid(inv, null, at, true)
          return engine.getInvoice(inv.id)
        }
        if (inv.status === 'uncollectible') {
          inv.status = 'open'
          store.put('invoice', inv as never)
        }
        const subId = inv.parent?.subscription_details?.subscription
        const sub = subId ? engine.getSub(idOf(subId as string)!) : null
        const pm = params.payment_method ?? idOf(inv.default_payment_method as string | null) ?? engine.defaultPaymentMethod(sub, customer)
        if (!pm) throw errors.invalid('This customer has no attached payment source or default payment method. Please consider adding a default payment method.', undefined, 'resource_missing')
        const res = engine.attemptPayment(inv, pm, at, { offSession: params.off_session ?? true, automatic: false })
        if (!res.paid) {
          const pi = res.pi
          const err = pi?.last_payment_error
          if (pi?.status === 'requires_action') {
            throw errors.card({ code: 'invoice_payment_intent_requires_action', message: 'This payment requires additional user action before it can be completed successfully.', extra: { payment_intent: pi } })
          }
          throw errors.card({ code: err?.code ?? 'card_declined', decline_code: err?.decline_code, message: err?.message ?? 'Your card was declined.', extra: pi ? { payment_intent: pi } : undefined })
        }
        return engine.getInvoice(inv.id)
      }),
  )

  app.post('/v1/invoices/:id/void', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const inv = engine.requireInvoice(req.pathParams.id, 'id')
      if (inv.status === 'draft') throw errors.invalid('You can only void invoices that are open or uncollectible. Delete draft invoices instead.')
      return engine.voidInvoice(inv, now(idOf(inv.customer as string)))
    }),
  )
  app.post('/v1/invoices/:id/mark_uncollectible', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const inv = engine.requireInvoice(req.pathParams.id, 'id')
      return engine.markUncollectible(inv, now(idOf(inv.customer as string)))
    }),
  )

  // ---- preview ----
  const previewItem = p.object({
    id: p.string(),
    price: p.string(),
    quantity: p.integer({ min: 0 }),
    deleted: p.boolean(),
    metadata: p.metadata(),
    clear_usage: p.boolean(),
    discounts: discountsParam,
    tax_rates: p.any(),
    price_data: p.any(),
    billing_thresholds: p.any(),
    plan: p.string(),
  })
  app.post(
    '/v1/invoices/create_preview',
    p.object({
      customer: p.string(),
      subscription: p.string(),
      subscription_details: p.object({
        items: p.array(previewItem),
        proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const),
        proration_date: p.integer(),
        cancel_at_period_end: p.boolean(),
        cancel_at: p.integer().emptyable(),
        cancel_now: p.boolean(),
        billing_cycle_anchor: anchorParam,
        trial_end: p.union(p.literal('now'), p.integer()),
        resume_at: p.literal('now'),
        start_date: p.integer(),
        metadata: p.metadata(),
        default_tax_rates: p.any(),
        billing_mode: p.any(),
      }),
      discounts: discountsParam,
      invoice_items: p.array(p.object({ amount: p.integer(), currency: p.string(), description: p.string(), price: p.string(), quantity: p.integer(), discountable: p.boolean(), period: p.object({ start: p.integer().required(), end: p.integer().required() }), metadata: p.metadata(), unit_amount: p.integer() })),
      currency: p.string(),
      preview_mode: p.enum(['next', 'recurring'] as const),
      automatic_tax: p.any(),
      customer_details: p.any(),
      schedule: p.string(),
      schedule_details: p.any(),
      issuer: p.any(),
      on_behalf_of: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const sd = params.subscription_details
        if (!params.customer && !params.subscription) throw errors.missingParam('customer')
        const sub = params.subscription ? engine.requireSub(params.subscription, 'subscription') : null
        const customer = params.customer ?? idOf(sub!.customer as string)!
        const at = now(customer)
        const extra: LineSpec[] = (params.invoice_items ?? []).map((ii) => {
          const price = ii.price ? engine.price(ii.price) : null
          const unit = ii.unit_amount ?? price?.unit_amount ?? ii.amount ?? 0
          const qty = ii.quantity ?? 1
          return { amount: ii.amount ?? unit * qty, description: ii.description ?? (price ? engine.productName(price) : ''), quantity: qty, price, unitAmount: unit, period: ii.period ?? { start: at, end: at }, proration: false, subscription: null, subscriptionItem: null, invoiceItem: null, discountable: ii.discountable ?? true, metadata: {} }
        })
        if (!sub) {
          if (sd?.items?.length) {
            // preview of a new subscription
            const prices = sd.items.map((it, i) => engine.price(it.price ?? '', `subscription_details[items][${i}][price]`))
            const r = engine.recurrence(prices[0])
            const start = sd.start_date ?? at
            const period = { start, end: engine.addDuration(start, r) }
            const fake = { id: 'sub_preview', metadata: {}, customer, currency: prices[0].currency } as unknown as Sub
            const specs = sd.items.map((it, i) => engine.itemLine(fake, engine.buildItem('sub_preview', prices[i], it.quantity ?? 1, period, at), period))
            const inv = engine.buildInvoice({ customer, currency: prices[0].currency, subscription: null, billingReason: 'subscription_create', specs: [...specs, ...extra], discounts: [], at, period: { start: at, end: at } })
            return engine.asPreview(inv)
          }
          const pending = engine.pendingItems(customer, undefined).map((ii) => engine.specFromInvoiceItem(ii))
          if (pending.length + extra.length === 0) throw errors.invalid('Nothing to invoice for customer', undefined, 'invoice_upcoming_none')
          const inv = engine.buildInvoice({ customer, currency: params.currency ?? 'usd', subscription: null, billingReason: 'manual', specs: [...pending, ...extra], discounts: [], at, period: { start: at, end: at } })
          return engine.asPreview(inv)
        }
        if (sub.status === 'canceled' || sub.status === 'incomplete_expired') throw errors.invalid('No upcoming invoices for customer', undefined, 'invoice_upcoming_none')
        const behavior = sd?.proration_behavior ?? 'create_prorations'
        if (sd?.cancel_now) {
          const specs = sd.proration_behavior === 'none' ? [] : engine.unusedCredit(sub, sd.proration_date ?? at)
          const pending = engine.pendingItems(customer, sub.id).map((ii) => engine.specFromInvoiceItem(ii))
          return engine.asPreview(engine.buildInvoice({ customer, currency: sub.currency, subscription: sub, billingReason: 'subscription_update', specs: [...pending, ...specs, ...extra], discounts: sub.discounts as string[], at, period: { start: at, end: at } }))
        }
        if (sd?.cancel_at_period_end) {
          throw errors.invalid('No upcoming invoices for customer', undefined, 'invoice_upcoming_none')
        }
        const plan = engine.planItemsUpdate(sub, sd?.items, behavior, sd?.proration_date, at)
        if (behavior === 'always_invoice' && plan.prorations.length > 0) {
          const pending = engine.pendingItems(customer, sub.id).map((ii) => engine.specFromInvoiceItem(ii))
          const inv = engine.buildInvoice({ customer, currency: sub.currency, subscription: sub, billingReason: 'subscription_update', specs: [...plan.prorations, ...pending, ...extra], discounts: sub.discounts as string[], at, period: { start: at, end: at }, prorationDate: plan.at })
          return engine.asPreview(inv)
        }
        if (anchorType(sd?.billing_cycle_anchor) === 'now' || sd?.trial_end === 'now') {
          const first = plan.items[0]
          const r = engine.recurrence(first.price)
          const period = { start: at, end: engine.addDuration(at, r) }
          const credit = anchorType(sd?.billing_cycle_anchor) === 'now' && behavior !== 'none' ? engine.unusedCredit(sub, at) : []
          const specs = plan.items.filter((it) => !engine.isMetered(it.price)).map((it) => engine.itemLine(sub, it, period))
          const pending = engine.pendingItems(customer, sub.id).map((ii) => engine.specFromInvoiceItem(ii))
          return engine.asPreview(engine.buildInvoice({ customer, currency: sub.currency, subscription: sub, billingReason: 'subscription_update', specs: [...pending, ...credit, ...specs, ...extra], discounts: sub.discounts as string[], at, period: { start: at, end: at } }))
        }
        const inv = engine.previewUpcoming(sub, at, [...plan.prorations, ...extra], plan.items)
        if (sd?.proration_date !== undefined && inv.parent?.subscription_details) inv.parent.subscription_details.subscription_proration_date = plan.at
        return inv
      }),
  )

  // ================================================================ invoice items
  app.post(
    '/v1/invoiceitems',
    p.object({
      customer: p.string().required(),
      amount: p.integer(),
      currency: p.string(),
      description: p.string(),
      price: p.string(),
      pricing: p.object({ price: p.string() }),
      quantity: p.integer(),
      unit_amount: p.integer(),
      unit_amount_decimal: p.decimal(),
      discountable: p.boolean(),
      invoice: p.string(),
      subscription: p.string(),
      period: p.object({ start: p.integer().required(), end: p.integer().required() }),
      metadata: p.metadata(),
      discounts: discountsParam,
      tax_rates: p.any(),
      tax_behavior: p.any(),
      price_data: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const c = store.get('customer', params.customer) as Stripe.Customer | null
        if (!c) throw errors.noSuch('customer', params.customer, 'customer')
        const at = now(c.id)
        const priceId = params.price ?? params.pricing?.price
        const price = priceId ? engine.price(priceId) : null
        const qty = params.quantity ?? 1
        const unit = params.unit_amount ?? (params.unit_amount_decimal ? Number(params.unit_amount_decimal) : null) ?? price?.unit_amount ?? null
        const amount = params.amount ?? (unit != null ? Math.round(unit * qty) : null)
        if (amount == null) throw errors.missingParam('amount')
        const currency = params.currency ?? price?.currency
        if (!currency) throw errors.missingParam('currency')
        const sub = params.subscription ? engine.requireSub(params.subscription, 'subscription') : null
        const spec: LineSpec = {
          amount,
          description: params.description ?? (price ? engine.productName(price) : ''),
          quantity: qty,
          price,
          unitAmount: unit ?? amount,
          period: params.period ?? { start: at, end: at },
          proration: false,
          subscription: sub?.id ?? null,
          subscriptionItem: null,
          invoiceItem: null,
          discountable: params.discountable ?? true,
          metadata: stripMeta(params.metadata),
        }
        const ii = engine.createInvoiceItem(c.id, currency, spec, at)
        if (params.invoice) {
          const inv = engine.requireInvoice(params.invoice, 'invoice')
          if (inv.status !== 'draft') throw errors.invalid('You can only add invoice items to draft invoices.', 'invoice', 'invoice_not_editable')
          ii.invoice = inv.id
          store.put('invoiceitem', ii as never)
          inv.lines.data.push(engine.lineFromSpec({ ...spec, invoiceItem: ii.id }, inv.id, inv.currency, []))
          engine.recomputeDraft(inv)
          store.put('invoice', inv as never)
        }
        return ii
      }),
  )
  app.get('/v1/invoiceitems/:id', p.object({}), (ctx, _p, req) => ctx.store.require('invoiceitem', req.pathParams.id, 'id'))
  app.get('/v1/invoiceitems', p.object({ ...listParams, customer: p.string(), invoice: p.string(), pending: p.boolean() }), (ctx, params) =>
    ctx.list('invoiceitem', params, { where: { customer: params.customer, invoice: params.invoice }, filter: (ii: Stripe.InvoiceItem) => (params.pending === undefined ? true : params.pending ? ii.invoice == null : ii.invoice != null) }, '/v1/invoiceitems'),
  )
  app.post('/v1/invoiceitems/:id', p.object({ amount: p.integer(), description: p.string(), metadata: p.metadata(), quantity: p.integer(), discountable: p.boolean() }), (ctx, params, req) => {
    const ii = ctx.store.require('invoiceitem', req.pathParams.id, 'id') as Stripe.InvoiceItem
    if (ii.invoice) {
      const inv = engine.getInvoice(idOf(ii.invoice as string)!)
      if (inv && inv.status !== 'draft') throw errors.invalid('This invoice item is attached to a finalized invoice and cannot be updated.', undefined, 'invoice_not_editable')
    }
    const before = clone(ii)
    if (params.amount !== undefined) ii.amount = params.amount
    if (params.description !== undefined) ii.description = params.description
    if (params.metadata !== undefined) ii.metadata = applyMetadata(ii.metadata, params.metadata)
    if (params.discountable !== undefined) ii.discountable = params.discountable
    store.put('invoiceitem', ii as never)
    const prev = previousAttributes(before as never, ii as never)
    if (prev) ctx.emit('invoiceitem.updated', ii as never, prev)
    return ii
  })
  app.del('/v1/invoiceitems/:id', p.object({}), (ctx, _p, req) => {
    const ii = ctx.store.require('invoiceitem', req.pathParams.id, 'id') as Stripe.InvoiceItem
    if (ii.invoice) {
      const inv = engine.getInvoice(idOf(ii.invoice as string)!)
      if (inv && inv.status !== 'draft') throw errors.invalid('This invoice item is attached to a finalized invoice and cannot be deleted.', undefined, 'invoice_not_editable')
      if (inv) {
        inv.lines.data = inv.lines.data.filter((l) => l.parent?.invoice_item_details?.invoice_item !== ii.id && l.parent?.subscription_item_details?.invoice_item !== ii.id)
        engine.recomputeDraft(inv)
        store.put('invoice', inv as never)
      }
    }
    store.delete('invoiceitem', ii.id, { id: ii.id, object: 'invoiceitem', deleted: true })
    ctx.emit('invoiceitem.deleted', ii as never)
    return { id: ii.id, object: 'invoiceitem', deleted: true }
  })

  // ================================================================ invoice payments
  app.get('/v1/invoice_payments', p.object({ ...listParams, invoice: p.string(), payment: p.object({ type: p.string().required(), payment_intent: p.string() }), status: p.string() }), (ctx, params) =>
    ctx.list('invoice_payment', params, { where: { invoice: params.invoice, status: params.status, 'payment.payment_intent': params.payment?.payment_intent } }, '/v1/invoice_payments'),
  )
  app.get('/v1/invoice_payments/:id', p.object({}), (ctx, _p, req) => ctx.store.require('invoice_payment', req.pathParams.id, 'id'))

  // ================================================================ PDF + settings
  app.route({
    method: 'GET',
    path: '/invoices/:id/pdf',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, _params, req) => {
      const inv = engine.getInvoice(req.pathParams.id)
      if (!inv || inv.status === 'draft') return new RawResponse(404, 'Not found', { 'Content-Type': 'text/plain' })
      const bytes = await renderInvoicePdf(inv)
      return new RawResponse(200, Buffer.from(bytes), {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `inline; filename="Invoice-${inv.number ?? inv.id}.pdf"`,
      })
    },
  })
  app.route({
    method: 'POST',
    path: '/_emulator/billing/settings',
    auth: 'none',
    handler: (_ctx, params) => {
      const b = params as Record<string, unknown>
      if (b.after_retries === 'cancel' || b.after_retries === 'unpaid' || b.after_retries === 'past_due') engine.settings.afterRetries = b.after_retries
      if (Array.isArray(b.retry_days)) engine.settings.retryDays = b.retry_days.map(Number)
      return engine.settings
    },
  })
  app.onReset(() => {
    engine.settings.afterRetries = 'cancel'
    engine.settings.retryDays = [3, 5, 7]
  })

  // ================================================================ coupons & promotion codes
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
      if (params.percent_off === undefined && params.amount_off === undefined) throw errors.invalid('Must provide either `percent_off` or `amount_off`.', 'percent_off')
      if (params.percent_off !== undefined && params.amount_off !== undefined) throw errors.invalid('You may only specify one of these parameters: amount_off, percent_off.', 'amount_off')
      if (params.percent_off !== undefined && (params.percent_off <= 0 || params.percent_off > 100)) throw errors.invalid('Invalid percent_off: must be greater than 0 and at most 100', 'percent_off')
      if (params.amount_off !== undefined && !params.currency) throw errors.missingParam('currency')
      const duration = params.duration ?? 'once'
      if (duration === 'repeating' && !params.duration_in_months) throw errors.missingParam('duration_in_months')
      const id = params.id ?? base62(8)
      if (store.get('coupon', id)) throw errors.invalid('Coupon already exists.', 'id', 'resource_already_exists')
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
        metadata: stripMeta(params.metadata),
        name: params.name ?? null,
        percent_off: params.percent_off ?? null,
        redeem_by: params.redeem_by ?? null,
        times_redeemed: 0,
        valid: true,
      }
      if (!c.applies_to) delete c.applies_to
      store.put('coupon', c as never)
      ctx.emit('coupon.created', c as never)
      return c
    },
  )
  const getCoupon = (ctx: Ctx, id: string) => {
    const c = ctx.store.get('coupon', id) as Stripe.Coupon | null
    if (!c) throw errors.noSuch('coupon', id, 'id')
    if (c.redeem_by && c.redeem_by < ctx.now() && c.valid) c.valid = false
    return c
  }
  app.get('/v1/coupons/:id', p.object({}), (ctx, _p, req) => getCoupon(ctx, req.pathParams.id))
  app.post('/v1/coupons/:id', p.object({ name: p.string().emptyable(), metadata: p.metadata(), currency_options: p.any() }), (ctx, params, req) => {
    const c = getCoupon(ctx, req.pathParams.id)
    const before = clone(c)
    if (params.name !== undefined) c.name = params.name
    if (params.metadata !== undefined) c.metadata = applyMetadata(c.metadata, params.metadata)
    store.put('coupon', c as never)
    const prev = previousAttributes(before as never, c as never)
    if (prev) ctx.emit('coupon.updated', c as never, prev)
    return c
  })
  app.del('/v1/coupons/:id', p.object({}), (ctx, _p, req) => {
    const c = getCoupon(ctx, req.pathParams.id)
    store.delete('coupon', c.id, { ...c, deleted: true, valid: false })
    ctx.emit('coupon.deleted', c as never)
    return { id: c.id, object: 'coupon', deleted: true }
  })
  app.get('/v1/coupons', p.object({ ...listParams }), (ctx, params) => ctx.list('coupon', params, {}, '/v1/coupons'))

  const promoRestrictions = p.object({
    first_time_transaction: p.boolean(),
    minimum_amount: p.integer(),
    minimum_amount_currency: p.string(),
    currency_options: p.any(),
  })
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
      const couponId = params.promotion.coupon
      if (!couponId) throw errors.missingParam('promotion[coupon]')
      getCoupon(ctx, couponId)
      const code = params.code ?? base62(8).toUpperCase()
      const clash = (store.all('promotion_code', { where: { code, active: true } }) as Stripe.PromotionCode[])[0]
      if (clash) throw errors.invalid(`A promotion code with code: ${code} already exists.`, 'code', 'resource_already_exists')
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
        metadata: stripMeta(params.metadata),
        promotion: { coupon: couponId, type: 'coupon' },
        restrictions: {
          first_time_transaction: params.restrictions?.first_time_transaction ?? false,
          minimum_amount: params.restrictions?.minimum_amount ?? null,
          minimum_amount_currency: params.restrictions?.minimum_amount_currency ?? null,
        },
        times_redeemed: 0,
      }
      store.put('promotion_code', promo as never)
      ctx.emit('promotion_code.created', promo as never)
      return promo
    },
  )
  app.get('/v1/promotion_codes/:id', p.object({}), (ctx, _p, req) => ctx.store.require('promotion_code', req.pathParams.id, 'id'))
  app.post('/v1/promotion_codes/:id', p.object({ active: p.boolean(), metadata: p.metadata(), restrictions: promoRestrictions }), (ctx, params, req) => {
    const promo = ctx.store.require('promotion_code', req.pathParams.id, 'id') as Stripe.PromotionCode
    const before = clone(promo)
    if (params.active !== undefined) promo.active = params.active
    if (params.metadata !== undefined) promo.metadata = applyMetadata(promo.metadata, params.metadata)
    store.put('promotion_code', promo as never)
    const prev = previousAttributes(before as never, promo as never)
    if (prev) ctx.emit('promotion_code.updated', promo as never, prev)
    return promo
  })
  app.get('/v1/promotion_codes', p.object({ ...listParams, active: p.boolean(), code: p.string(), coupon: p.string(), customer: p.string() }), (ctx, params) =>
    ctx.list('promotion_code', params, { where: { active: params.active, code: params.code, 'promotion.coupon': params.coupon, customer: params.customer } }, '/v1/promotion_codes'),
  )

  // ================================================================ schedules
  const phaseParam = p.object({
    items: p.array(p.object({ price: p.string(), quantity: p.integer({ min: 0 }), metadata: p.metadata(), plan: p.string(), discounts: discountsParam, tax_rates: p.any(), price_data: p.any(), billing_thresholds: p.any() })).required(),
    start_date: p.union(p.literal('now'), p.integer()),
    end_date: p.union(p.literal('now'), p.integer()),
    duration: p.object({ interval: p.enum(['day', 'week', 'month', 'year'] as const).required(), interval_count: p.integer({ min: 1 }) }),
    proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const),
    trial_end: p.union(p.literal('now'), p.integer()),
    trial: p.boolean(),
    metadata: p.metadata(),
    default_payment_method: p.string(),
    discounts: discountsParam,
    billing_cycle_anchor: p.enum(['automatic', 'phase_start'] as const),
    collection_method: p.any(),
    currency: p.string(),
    description: p.any(),
    invoice_settings: p.any(),
    add_invoice_items: p.any(),
    automatic_tax: p.any(),
    default_tax_rates: p.any(),
    application_fee_percent: p.any(),
    on_behalf_of: p.any(),
    transfer_data: p.any(),
    billing_thresholds: p.any(),
  })
  app.post(
    '/v1/subscription_schedules',
    p.object({
      customer: p.string(),
      from_subscription: p.string(),
      phases: p.array(phaseParam),
      start_date: p.union(p.literal('now'), p.integer()),
      end_behavior: p.enum(['cancel', 'none', 'release', 'renew'] as const),
      metadata: p.metadata(),
      default_settings: p.any(),
      billing_mode: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        if (params.from_subscription) {
          if (params.phases || params.start_date !== undefined || params.end_behavior)
            throw errors.invalid('You cannot set `phases`, `start_date` or `end_behavior` when `from_subscription` is set.', params.phases ? 'phases' : 'from_subscription')
          const sub = engine.requireSub(params.from_subscription, 'from_subscription')
          if (sub.schedule) throw errors.invalid(`You cannot migrate a subscription that is already attached to a schedule: \`${idOf(sub.schedule as string)}\`.`, 'from_subscription')
          if (sub.status === 'canceled' || sub.status === 'incomplete_expired') throw errors.invalid('You cannot create a schedule from a canceled subscription.', 'from_subscription')
          const customer = idOf(sub.customer as string)!
          const at = now(customer)
          const sch = schedules.build(customer, sub, [schedules.phaseFromSub(sub)], 'release', at, stripMeta(params.metadata))
          sch.status = 'active'
          schedules.refreshCurrent(sch, at)
          schedules.save(sch)
          const before = clone(sub)
          sub.schedule = sch.id
          engine.saveSub(sub)
          ctx.emit('subscription_schedule.created', sch as never)
          ctx.emit('customer.subscription.updated', sub as never, previousAttributes(before as never, sub as never))
          return sch
        }
        if (!params.customer) throw errors.missingParam('customer')
        if (!params.phases || params.phases.length === 0) throw errors.missingParam('phases')
        const c = store.get('customer', params.customer)
        if (!c) throw errors.noSuch('customer', params.customer, 'customer')
        const at = now(params.customer)
        const start = params.start_date === undefined || params.start_date === 'now' ? at : params.start_date
        const prices = params.phases[0].items.map((it) => engine.price(it.price ?? '', 'phases[0][items][0][price]'))
        const phases = schedules.resolvePhases(params.phases, start, prices[0].currency, at)
        const sch = schedules.build(params.customer, null, phases, params.end_behavior ?? 'release', at, stripMeta(params.metadata))
        sch.status = 'not_started'
        sch.current_phase = null
        schedules.save(sch)
        ctx.emit('subscription_schedule.created', sch as never)
        if (start <= at) schedules.transition(sch.id, at)
        return schedules.get(sch.id)
      }),
  )
  app.get('/v1/subscription_schedules/:id', p.object({}), (ctx, _p, req) => run(ctx, () => schedules.require(req.pathParams.id)))
  app.get('/v1/subscription_schedules', p.object({ ...listParams, customer: p.string(), scheduled: p.boolean(), canceled_at: p.any(), completed_at: p.any(), released_at: p.any() }), (ctx, params) =>
    ctx.list('subscription_schedule', params, { where: { customer: params.customer } }, '/v1/subscription_schedules'),
  )
  app.post(
    '/v1/subscription_schedules/:id',
    p.object({ phases: p.array(phaseParam), end_behavior: p.enum(['cancel', 'none', 'release', 'renew'] as const), metadata: p.metadata(), proration_behavior: p.enum(['always_invoice', 'create_prorations', 'none'] as const), default_settings: p.any(), billing_mode: p.any() }),
    (ctx, params, req) =>
      run(ctx, () => {
        const sch = schedules.require(req.pathParams.id)
        if (sch.status !== 'active' && sch.status !== 'not_started') throw errors.invalid(`You cannot update a subscription schedule that is currently in the \`${sch.status}\` status.`)
        const before = clone(sch)
        const customer = idOf(sch.customer as string)!
        const at = now(customer)
        if (params.end_behavior) sch.end_behavior = params.end_behavior
        if (params.metadata !== undefined) sch.metadata = applyMetadata(sch.metadata, params.metadata)
        if (params.phases) {
          const currentStart = sch.current_phase?.start_date ?? sch.phases[0]?.start_date ?? at
          const phases = schedules.resolvePhases(params.phases, currentStart, sch.phases[0]?.currency ?? 'usd', at)
          if (sch.status === 'active' && phases[0].start_date !== currentStart)
            throw errors.invalid('You can not modify the start date of the current phase.', 'phases[0][start_date]')
          sch.phases = phases
          schedules.refreshCurrent(sch, at)
          // the current phase's items apply right away (with its proration behavior)
          const subId = idOf(sch.subscription as string | null)
          const sub = subId ? engine.getSub(subId) : null
          const cur = phases.find((ph) => ph.start_date <= at && at < ph.end_date)
          if (sub && cur) {
            const same = JSON.stringify(cur.items.map((i) => [i.price, i.quantity ?? 1])) === JSON.stringify(sub.items.data.map((i) => [i.price.id, i.quantity ?? 1]))
            if (!same) schedules.applyPhase(sub, { ...cur, proration_behavior: params.proration_behavior ?? cur.proration_behavior }, at)
          }
        }
        schedules.save(sch)
        const prev = previousAttributes(before as never, sch as never)
        if (prev) ctx.emit('subscription_schedule.updated', sch as never, prev)
        return sch
      }),
  )
  app.post('/v1/subscription_schedules/:id/release', p.object({ preserve_cancel_date: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const sch = schedules.require(req.pathParams.id)
      return schedules.release(sch.id, now(idOf(sch.customer as string)), params.preserve_cancel_date)
    }),
  )
  app.post('/v1/subscription_schedules/:id/cancel', p.object({ invoice_now: p.boolean(), prorate: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const sch = schedules.require(req.pathParams.id)
      return schedules.cancel(sch.id, now(idOf(sch.customer as string)), { invoiceNow: params.invoice_now ?? false, prorate: params.prorate ?? true })
    }),
  )

  // ================================================================ test clocks
  type TC = Stripe.TestHelpers.TestClock
  app.post('/v1/test_helpers/test_clocks', p.object({ frozen_time: p.integer().required(), name: p.string({ maxLength: 300 }) }), (ctx, params) => {
    const tc: TC = {
      id: ctx.newId('clock'),
      object: 'test_helpers.test_clock',
      created: ctx.now(),
      deletes_after: ctx.now() + 30 * 86400,
      frozen_time: params.frozen_time,
      livemode: false,
      name: params.name ?? null,
      status: 'ready',
      status_details: {},
    }
    store.put('test_helpers.test_clock', tc as never)
    ctx.emit('test_helpers.test_clock.created', tc as never)
    return tc
  })
  app.get('/v1/test_helpers/test_clocks/:id', p.object({}), (ctx, _p, req) => ctx.store.require('test_helpers.test_clock', req.pathParams.id, 'id'))
  app.get('/v1/test_helpers/test_clocks', p.object({ ...listParams }), (ctx, params) => ctx.list('test_helpers.test_clock', params, {}, '/v1/test_helpers/test_clocks'))
  app.del('/v1/test_helpers/test_clocks/:id', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const tc = ctx.store.require('test_helpers.test_clock', req.pathParams.id, 'id') as TC
      // objects attached to the clock go away with it
      for (const sub of store.all('subscription') as Sub[]) {
        if (idOf(sub.test_clock as string) === tc.id) {
          store.delete('subscription', sub.id)
          for (const it of sub.items.data) store.delete('subscription_item', it.id)
        }
      }
      for (const c of store.all('customer', { where: { test_clock: tc.id } }) as Stripe.Customer[]) {
        store.delete('customer', c.id, { id: c.id, object: 'customer', deleted: true })
      }
      store.delete('test_helpers.test_clock', tc.id, { id: tc.id, object: 'test_helpers.test_clock', deleted: true })
      ctx.emit('test_helpers.test_clock.deleted', tc as never)
      return { id: tc.id, object: 'test_helpers.test_clock', deleted: true }
    }),
  )
  app.post('/v1/test_helpers/test_clocks/:id/advance', p.object({ frozen_time: p.integer().required() }), (ctx, params, req) =>
    run(ctx, () => {
      const tc = ctx.store.require('test_helpers.test_clock', req.pathParams.id, 'id') as TC
      if (params.frozen_time <= tc.frozen_time) throw errors.invalid('The frozen_time must be after the current frozen_time of the test clock.', 'frozen_time')
      if (tc.status === 'advancing') throw errors.invalid('The test clock is currently advancing.', undefined, 'test_clock_advancing' as string)
      tc.status = 'advancing'
      tc.status_details = { advancing: { target_frozen_time: params.frozen_time } }
      store.put('test_helpers.test_clock', tc as never)
      ctx.emit('test_helpers.test_clock.advancing', tc as never)
      mod.runDue(ctx, tc.id, params.frozen_time)
      app.runDueJobs({ scope: tc.id, until: params.frozen_time })
      const done = ctx.store.require('test_helpers.test_clock', tc.id) as TC
      done.frozen_time = params.frozen_time
      done.status = 'ready'
      done.status_details = {}
      store.put('test_helpers.test_clock', done as never)
      ctx.emit('test_helpers.test_clock.ready', done as never)
      return done
    }),
  )

  // keep unused helpers referenced for tsc
  void apiList
}
