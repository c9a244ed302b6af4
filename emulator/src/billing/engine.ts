/**
 * The billing engine: subscriptions, invoices, prorations, retries, schedules and the clock-driven
 * lifecycle. Stateless apart from the store; HTTP lives in routes.ts.
 */
import type Stripe from 'stripe'
import type { Store } from '../core/store'
import { errors, StripeError } from '../core/errors'
import type { Host } from './host'
import {
  addDuration,
  boundary,
  nextBoundaryAfter,
  periodContaining,
  type Interval,
  type Recurrence,
} from './period'
import { prorationLines, type ProratedItem, type ProrationBehavior } from './proration'
import {
  applyBalance,
  computeTotals,
  discountActiveAt,
  discountEnd,
  tieredAmount,
  usageQuantity,
  type DiscountLike,
} from './invoice-math'
import { formatMoney } from './pdf'
import { apiList, clone, DAY, dec, decOrNull, idOf, previousAttributes } from './util'

export type Sub = Stripe.Subscription
export type Inv = Stripe.Invoice

/** Private per-subscription state (store.internal). */
interface SubState {
  trialWillEndSentFor?: number | null
  upcomingSentFor?: number | null
  /** payment_behavior used at creation */
  paymentBehavior?: string
}

/** Private per-invoice state. */
interface InvState {
  paymentIntent?: string | null
  confirmationSecret?: string | null
  firstAttemptAt?: number | null
  /** pause_collection behavior to apply at finalization */
}

export interface LineSpec {
  amount: number
  description: string
  quantity: number | null
  price: Stripe.Price | null
  unitAmount: number | null
  period: { start: number; end: number }
  proration: boolean
  subscription: string | null
  subscriptionItem: string | null
  invoiceItem: string | null
  discountable: boolean
  metadata: Record<string, string>
}

export interface ItemInput {
  id?: string
  price?: string
  quantity?: number
  deleted?: boolean
  metadata?: Record<string, string | null> | null
}

export interface UpdatePlan {
  at: number
  items: Stripe.SubscriptionItem[]
  prorations: LineSpec[]
  behavior: ProrationBehavior
}

export class BillingEngine {
  settings = {
    /** What happens after the last retry fails: 'cancel' | 'unpaid' | 'past_due' */
    afterRetries: 'cancel' as 'cancel' | 'unpaid' | 'past_due',
    /** Days after the first failed attempt at which retries happen (Smart Retries, simplified). */
    retryDays: [3, 5, 7],
    /** invoice.upcoming is sent this many days before a renewal */
    upcomingDays: 3,
    /** incomplete subscriptions expire after this many seconds */
    incompleteExpirySeconds: 23 * 3600,
  }

  /** Time pinned per clock scope ('' = global) while running due work. */
  private pins = new Map<string, number>()
  /** Subscriptions being created (their events are emitted at the end of create). */
  private creating = new Set<string>()
  /** Invoices being charged by the engine itself (intent hooks ignore them). */
  private attempting = new Set<string>()

  constructor(
    readonly store: Store,
    readonly host: Host,
  ) {}

  // ---- time --------------------------------------------------------------------------------------

  clockOfCustomer(customerId: string | null): string | null {
    if (!customerId) return null
    const c = this.store.get('customer', customerId, { includeDeleted: true }) as Stripe.Customer | null
    const tc = c?.test_clock
    return tc ? (typeof tc === 'string' ? tc : tc.id) : null
  }

  now(clock: string | null): number {
    const pinned = this.pins.get(clock ?? '')
    if (pinned !== undefined) return pinned
    if (clock) {
      const tc = this.store.get('test_helpers.test_clock', clock) as Stripe.TestHelpers.TestClock | null
      if (tc) return tc.frozen_time
    }
    return this.host.globalNow()
  }

  nowForCustomer(customerId: string | null): number {
    return this.now(this.clockOfCustomer(customerId))
  }

  withPinned<R>(clock: string | null, t: number, fn: () => R): R {
    const key = clock ?? ''
    const prev = this.pins.get(key)
    this.pins.set(key, t)
    try {
      return fn()
    } finally {
      if (prev === undefined) this.pins.delete(key)
      else this.pins.set(key, prev)
    }
  }

  // ---- lookups -----------------------------------------------------------------------------------

  price(id: string, param = 'price'): Stripe.Price {
    const p = this.host.getPrice(id)
    if (!p) throw errors.noSuch('price', id, param)
    return p
  }

  productName(price: Stripe.Price): string {
    const pid = idOf(price.product as string | { id: string })
    const prod = pid ? this.host.getProduct(pid) : null
    return prod?.name ?? pid ?? 'product'
  }

  priceLabel(price: Stripe.Price): string {
    return price.nickname ?? this.productName(price)
  }

  recurrence(price: Stripe.Price): Recurrence {
    const r = price.recurring
    if (!r) throw errors.invalid(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, 'items')
    return { interval: r.interval as Interval, interval_count: r.interval_count }
  }

  isMetered(price: Stripe.Price): boolean {
    return price.recurring?.usage_type === 'metered'
  }

  plan(price: Stripe.Price): Stripe.Plan {
    const r = price.recurring!
    return {
      id: price.id,
      object: 'plan',
      active: price.active,
      amount: price.unit_amount,
      amount_decimal: decOrNull(price.unit_amount_decimal as unknown as string | null),
      billing_scheme: price.billing_scheme,
      created: price.created,
      currency: price.currency,
      interval: r.interval,
      interval_count: r.interval_count,
      livemode: false,
      metadata: price.metadata,
      meter: r.meter ?? null,
      nickname: price.nickname,
      product: price.product,
      tiers_mode: price.tiers_mode,
      transform_usage: null,
      trial_period_days: r.trial_period_days ?? null,
      usage_type: r.usage_type,
    }
  }

  getSub(id: string): Sub | null {
    return this.store.get('subscription', id) as Sub | null
  }

  requireSub(id: string, param?: string): Sub {
    const s = this.getSub(id)
    if (!s) throw errors.noSuch('subscription', id, param)
    return s
  }

  getInvoice(id: string): Inv | null {
    return this.store.get('invoice', id) as Inv | null
  }

  requireInvoice(id: string, param?: string): Inv {
    const i = this.getInvoice(id)
    if (!i) throw errors.noSuch('invoice', id, param)
    return i
  }

  subState(id: string): SubState {
    return (this.store.getInternal<SubState>(id) ?? {}) as SubState
  }

  setSubState(id: string, patch: Partial<SubState>): void {
    this.store.setInternal(id, { ...this.subState(id), ...patch })
  }

  invState(id: string): InvState {
    return (this.store.getInternal<InvState>(id) ?? {}) as InvState
  }

  setInvState(id: string, patch: Partial<InvState>): void {
    this.store.setInternal(id, { ...this.invState(id), ...patch })
  }

  /** Store a subscription (and its items as standalone rows for /v1/subscription_items). */
  saveSub(sub: Sub): void {
    this.store.put('subscription', sub as never)
    const ids = new Set(sub.items.data.map((i) => i.id))
    for (const it of sub.items.data) this.store.put('subscription_item', it as never)
    for (const old of this.store.all('subscription_item', { filter: (o: Stripe.SubscriptionItem) => o.subscription === sub.id })) {
      const o = old as Stripe.SubscriptionItem
      if (!ids.has(o.id)) this.store.delete('subscription_item', o.id)
    }
  }

  emitSubUpdated(before: Sub, after: Sub): void {
    if (this.creating.has(after.id)) return
    const prev = previousAttributes(before, after)
    if (Object.keys(prev).length === 0) return
    this.host.emit('customer.subscription.updated', after, prev)
  }

  /** Payment method used for automatic charges. */
  defaultPaymentMethod(sub: Sub | null, customerId: string): string | null {
    const fromSub = sub ? idOf(sub.default_payment_method as string | null) : null
    if (fromSub) return fromSub
    const c = this.host.getCustomer(customerId)
    return idOf((c?.invoice_settings?.default_payment_method as string | null) ?? null)
  }

  // ---- subscription items & lines ----------------------------------------------------------------

  buildItem(subId: string, price: Stripe.Price, quantity: number, period: { start: number; end: number }, at: number, metadata: Record<string, string> = {}): Stripe.SubscriptionItem {
    const item: Stripe.SubscriptionItem = {
      id: this.host.newId('si'),
      object: 'subscription_item',
      billing_thresholds: null,
      created: at,
      current_period_end: period.end,
      current_period_start: period.start,
      current_trial: null,
      discounts: [],
      metadata,
      plan: this.plan(price),
      price,
      subscription: subId,
      tax_rates: [],
    }
    if (!this.isMetered(price)) item.quantity = quantity
    return item
  }

  proratedItem(item: Stripe.SubscriptionItem): ProratedItem | null {
    if (this.isMetered(item.price)) return null
    return {
      price: item.price.id,
      label: this.priceLabel(item.price),
      unitAmount: item.price.unit_amount ?? 0,
      quantity: item.quantity ?? 1,
      subscriptionItem: item.id,
    }
  }

  /** Line for a licensed item for a full period, worded as Stripe does. */
  itemLine(sub: Sub, item: Stripe.SubscriptionItem, period: { start: number; end: number }): LineSpec {
    const price = item.price
    const qty = item.quantity ?? 1
    const unit = price.unit_amount ?? 0
    let amount = unit * qty
    if (price.billing_scheme === 'tiered' && price.tiers) {
      amount = tieredAmount(
        price.tiers.map((t) => ({ up_to: t.up_to, unit_amount: t.unit_amount, flat_amount: t.flat_amount })),
        (price.tiers_mode ?? 'graduated') as 'graduated' | 'volume',
        qty,
      )
    }
    const r = price.recurring!
    const every = r.interval_count > 1 ? `every ${r.interval_count} ${r.interval}s` : r.interval
    return {
      amount,
      description: `${qty} × ${this.productName(price)} (at ${formatMoney(unit, price.currency)} / ${every})`,
      quantity: qty,
      price,
      unitAmount: unit,
      period,
      proration: false,
      subscription: sub.id,
      subscriptionItem: item.id,
      invoiceItem: null,
      discountable: true,
      metadata: {},
    }
  }

  /** Usage line for a metered item over [start, end). */
  usageLine(sub: Sub, item: Stripe.SubscriptionItem, period: { start: number; end: number }): LineSpec {
    const price = item.price
    const customer = idOf(sub.customer as string)!
    const meterId = price.recurring?.meter ?? null
    const value = meterId ? this.meterUsage(meterId, customer, period.start, period.end) : 0
    const qty = usageQuantity(value)
    const unit = price.unit_amount ?? 0
    let amount = unit * qty
    if (price.billing_scheme === 'tiered' && price.tiers) {
      amount = tieredAmount(
        price.tiers.map((t) => ({ up_to: t.up_to, unit_amount: t.unit_amount, flat_amount: t.flat_amount })),
        (price.tiers_mode ?? 'graduated') as 'graduated' | 'volume',
        qty,
      )
    }
    return {
      amount,
      description: `${qty} × ${this.productName(price)} (at ${formatMoney(unit, price.currency)} / unit)`,
      quantity: qty,
      price,
      unitAmount: unit,
      period,
      proration: false,
      subscription: sub.id,
      subscriptionItem: item.id,
      invoiceItem: null,
      discountable: true,
      metadata: {},
    }
  }

  /** Aggregated meter value for a customer in [start, end). Set by meters.ts. */
  meterUsage: (meterId: string, customer: string, start: number, end: number) => number = () => 0

  // ---- discounts ---------------------------------------------------------------------------------

  coupon(id: string, param = 'coupon'): Stripe.Coupon {
    const c = this.store.get('coupon', id) as Stripe.Coupon | null
    if (!c) throw errors.noSuch('coupon', id, param)
    return c
  }

  /**
   * Resolve `discounts: [{ coupon | promotion_code | discount }]` into stored Discount objects
   * attached to a subscription (or a customer when sub is null).
   */
  createDiscounts(
    specs: Array<{ coupon?: string; promotion_code?: string; discount?: string }> | null | undefined,
    owner: { customer: string; subscription: string | null; checkout_session?: string | null },
    at: number,
    param = 'discounts',
  ): string[] {
    const out: string[] = []
    for (const [i, s] of (specs ?? []).entries()) {
      if (s.discount) {
        out.push(s.discount)
        continue
      }
      let coupon: Stripe.Coupon
      let promo: Stripe.PromotionCode | null = null
      if (s.promotion_code) {
        promo = this.store.get('promotion_code', s.promotion_code) as Stripe.PromotionCode | null
        if (!promo) throw errors.noSuch('promotion code', s.promotion_code, `${param}[${i}][promotion_code]`)
        if (!promo.active || (promo.expires_at && promo.expires_at <= at) || (promo.max_redemptions != null && promo.times_redeemed >= promo.max_redemptions)) {
          throw errors.invalid(`This promotion code cannot be redeemed because the associated coupon is no longer valid.`, `${param}[${i}][promotion_code]`)
        }
        if (promo.customer && idOf(promo.customer as string) !== owner.customer) {
          throw errors.invalid(`This promotion code cannot be redeemed by this customer.`, `${param}[${i}][promotion_code]`)
        }
        coupon = this.coupon(idOf(promo.promotion.coupon as string)!, `${param}[${i}][promotion_code]`)
      } else if (s.coupon) {
        coupon = this.coupon(s.coupon, `${param}[${i}][coupon]`)
      } else {
        throw errors.invalid('You must specify either `coupon`, `promotion_code` or `discount`.', `${param}[${i}]`)
      }
      if (!coupon.valid) throw errors.invalid(`Coupon expired: ${coupon.id}`, `${param}[${i}][coupon]`, 'coupon_expired')
      const d: Stripe.Discount = {
        id: this.host.newId('di'),
        object: 'discount',
        checkout_session: owner.checkout_session ?? null,
        customer: owner.customer,
        customer_account: null,
        end: discountEnd(coupon as never, at),
        invoice: null,
        invoice_item: null,
        promotion_code: promo?.id ?? null,
        source: { coupon: coupon.id, type: 'coupon' },
        start: at,
        subscription: owner.subscription,
        subscription_item: null,
      }
      this.store.put('discount', d as never)
      coupon.times_redeemed += 1
      if (coupon.max_redemptions != null && coupon.times_redeemed >= coupon.max_redemptions) coupon.valid = false
      this.store.put('coupon', coupon as never)
      if (promo) {
        promo.times_redeemed += 1
        this.store.put('promotion_code', promo as never)
      }
      out.push(d.id)
    }
    return out
  }

  discountLikes(ids: Array<string | { id: string }>, at: number): DiscountLike[] {
    const out: DiscountLike[] = []
    for (const ref of ids) {
      const d = this.store.get('discount', idOf(ref)!) as Stripe.Discount | null
      if (!d) continue
      const couponId = idOf(d.source.coupon as string | null)
      const c = couponId ? (this.store.get('coupon', couponId, { includeDeleted: true }) as Stripe.Coupon | null) : null
      if (!c || (c as { deleted?: boolean }).deleted) continue
      const like: DiscountLike = {
        id: d.id,
        coupon: {
          id: c.id,
          percent_off: c.percent_off,
          amount_off: c.amount_off,
          currency: c.currency,
          duration: c.duration,
          duration_in_months: c.duration_in_months,
          applies_to: c.applies_to,
        },
        start: d.start,
        end: d.end,
      }
      if (discountActiveAt(like, at)) out.push(like)
    }
    return out
  }

  /** After an invoice used the subscription's discounts, drop `once` ones. */
  consumeOnceDiscounts(sub: Sub, used: string[]): void {
    const keep = sub.discounts.filter((ref) => {
      const id = idOf(ref as string)!
      if (!used.includes(id)) return true
      const d = this.store.get('discount', id) as Stripe.Discount | null
      const c = d ? (this.store.get('coupon', idOf(d.source.coupon as string)!) as Stripe.Coupon | null) : null
      return c?.duration !== 'once'
    })
    if (keep.length !== sub.discounts.length) sub.discounts = keep
  }

  // ---- invoices ----------------------------------------------------------------------------------

  lineFromSpec(spec: LineSpec, invoiceId: string | null, currency: string, discountAmounts: Array<{ discount: string; amount: number }>): Stripe.InvoiceLineItem {
    const parent: Stripe.InvoiceLineItem.Parent = spec.subscriptionItem
      ? {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: spec.invoiceItem,
            proration: spec.proration,
            proration_details: spec.proration ? { credited_items: null } : null,
            subscription: spec.subscription,
            subscription_item: spec.subscriptionItem,
          },
        }
      : {
          type: 'invoice_item_details',
          subscription_item_details: null,
          invoice_item_details: {
            invoice_item: spec.invoiceItem ?? '',
            proration: spec.proration,
            proration_details: spec.proration ? { credited_items: null } : null,
            subscription: spec.subscription,
          },
        }
    return {
      id: this.host.newId('il'),
      object: 'line_item',
      amount: spec.amount,
      currency,
      description: spec.description,
      discount_amounts: discountAmounts,
      discountable: spec.discountable,
      discounts: discountAmounts.map((d) => d.discount),
      invoice: invoiceId,
      livemode: false,
      metadata: spec.metadata,
      parent,
      period: spec.period,
      pretax_credit_amounts: discountAmounts.map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' })),
      pricing: spec.price
        ? {
            type: 'price_details',
            price_details: { price: spec.price.id, product: idOf(spec.price.product as string)! },
            unit_amount_decimal: decOrNull(spec.unitAmount),
          }
        : spec.unitAmount != null
          ? { type: 'price_details', unit_amount_decimal: dec(spec.unitAmount) }
          : null,
      quantity: spec.quantity,
      quantity_decimal: decOrNull(spec.quantity),
      subscription: spec.subscription,
      subtotal: spec.amount,
      taxes: [],
    }
  }

  /** Build (not store) an invoice object. */
  buildInvoice(opts: {
    id?: string
    customer: string
    currency: string
    subscription: Sub | null
    billingReason: Stripe.Invoice.BillingReason
    specs: LineSpec[]
    discounts: string[]
    at: number
    period?: { start: number; end: number }
    prorationDate?: number
  }): Inv {
    const id = opts.id ?? this.host.newId('in')
    const dls = this.discountLikes(opts.discounts, opts.at)
    const totals = computeTotals(
      opts.specs.map((s) => ({ amount: s.amount, discountable: s.discountable, product: s.price ? idOf(s.price.product as string) : null })),
      dls,
      opts.currency,
    )
    const lines = opts.specs.map((s, i) => this.lineFromSpec(s, id, opts.currency, totals.lineDiscounts[i]))
    const c = this.host.getCustomer(opts.customer)
    const subPeriod = opts.period ?? { start: opts.at, end: opts.at }
    const clock = this.clockOfCustomer(opts.customer)
    const bal = applyBalance(totals.total, c?.balance ?? 0)
    const inv: Inv = {
      id,
      object: 'invoice',
      account_country: 'US',
      account_name: 'Stripe emulator',
      account_tax_ids: null,
      amount_due: bal.amount_due,
      amount_overpaid: 0,
      amount_paid: 0,
      amount_remaining: bal.amount_due,
      amount_shipping: 0,
      application: null,
      attempt_count: 0,
      attempted: false,
      auto_advance: true,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null } as unknown as Stripe.Invoice.AutomaticTax,
      automatically_finalizes_at: null,
      billing_reason: opts.billingReason,
      collection_method: 'charge_automatically',
      created: opts.at,
      currency: opts.currency,
      custom_fields: null,
      customer: opts.customer,
      customer_account: null,
      customer_address: c?.address ?? null,
      customer_email: c?.email ?? null,
      customer_name: c?.name ?? null,
      customer_phone: c?.phone ?? null,
      customer_shipping: c?.shipping ?? null,
      customer_tax_exempt: c?.tax_exempt ?? 'none',
      customer_tax_ids: [],
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: dls.map((d) => d.id),
      due_date: null,
      effective_at: null,
      ending_balance: null,
      footer: null,
      from_invoice: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      issuer: { type: 'self' },
      last_finalization_error: null,
      latest_revision: null,
      lines: apiList(lines, `/v1/invoices/${id}/lines`),
      livemode: false,
      metadata: {},
      next_payment_attempt: null,
      number: null,
      on_behalf_of: null,
      parent: opts.subscription
        ? {
            type: 'subscription_details',
            quote_details: null,
            subscription_details: {
              metadata: opts.subscription.metadata,
              subscription: opts.subscription.id,
              ...(opts.prorationDate !== undefined ? { subscription_proration_date: opts.prorationDate } : {}),
            },
          }
        : null,
      payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
      payments: apiList([], `/v1/invoice_payments?invoice=${id}`),
      period_end: subPeriod.end,
      period_start: subPeriod.start,
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      receipt_number: null,
      rendering: null,
      shipping_cost: null,
      shipping_details: null,
      starting_balance: 0,
      statement_descriptor: null,
      status: 'draft',
      status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
      subtotal: totals.subtotal,
      subtotal_excluding_tax: totals.subtotal,
      test_clock: clock,
      total: totals.total,
      total_discount_amounts: totals.totalDiscountAmounts,
      total_excluding_tax: totals.total,
      total_pretax_credit_amounts: totals.totalDiscountAmounts.map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' })),
      total_taxes: [],
      webhooks_delivered_at: opts.at,
    }
    return inv
  }

  /** Recompute totals of a draft invoice after its lines changed. */
  recomputeDraft(inv: Inv): void {
    const specs = inv.lines.data
    const dls = this.discountLikes(inv.discounts as string[], inv.created)
    const totals = computeTotals(
      specs.map((l) => ({ amount: l.amount, discountable: l.discountable, product: l.pricing?.price_details?.product ?? null })),
      dls,
      inv.currency,
    )
    specs.forEach((l, i) => {
      l.discount_amounts = totals.lineDiscounts[i]
      l.discounts = totals.lineDiscounts[i].map((d) => d.discount)
    })
    const c = this.host.getCustomer(idOf(inv.customer as string)!)
    const bal = applyBalance(totals.total, c?.balance ?? 0)
    inv.subtotal = totals.subtotal
    inv.subtotal_excluding_tax = totals.subtotal
    inv.total = totals.total
    inv.total_excluding_tax = totals.total
    inv.total_discount_amounts = totals.totalDiscountAmounts
    inv.amount_due = bal.amount_due
    inv.amount_remaining = bal.amount_due
  }

  /** Pending invoice items of a customer (optionally only those of a subscription). */
  pendingItems(customer: string, subscriptionId: string | null | undefined): Stripe.InvoiceItem[] {
    return (this.store.all('invoiceitem', { where: { customer } }) as Stripe.InvoiceItem[])
      .filter((ii) => ii.invoice == null)
      .filter((ii) => {
        const s = ii.parent?.subscription_details?.subscription ?? null
        return subscriptionId === undefined ? true : subscriptionId === null ? s == null : s == null || s === subscriptionId
      })
      .reverse()
  }

  specFromInvoiceItem(ii: Stripe.InvoiceItem): LineSpec {
    const priceId = ii.pricing?.price_details?.price ?? null
    const price = priceId ? this.host.getPrice(idOf(priceId as string)!) : null
    const subItem = ii.parent?.subscription_details?.subscription_item ?? null
    return {
      amount: ii.amount,
      description: ii.description ?? '',
      quantity: ii.quantity,
      price,
      unitAmount: ii.pricing?.unit_amount_decimal != null ? Number(String(ii.pricing.unit_amount_decimal)) : null,
      period: ii.period,
      proration: ii.proration,
      subscription: ii.parent?.subscription_details?.subscription ?? null,
      subscriptionItem: subItem,
      invoiceItem: ii.id,
      discountable: ii.discountable,
      metadata: ii.metadata ?? {},
    }
  }

  /** Store a pending invoice item from a spec (e.g. a proration). */
  createInvoiceItem(customer: string, currency: string, spec: LineSpec, at: number): Stripe.InvoiceItem {
    const ii: Stripe.InvoiceItem = {
      id: this.host.newId('ii'),
      object: 'invoiceitem',
      amount: spec.amount,
      currency,
      customer,
      customer_account: null,
      date: at,
      description: spec.description,
      discountable: spec.discountable,
      discounts: [],
      invoice: null,
      livemode: false,
      metadata: spec.metadata,
      net_amount: spec.amount,
      parent: spec.subscription
        ? {
            type: 'subscription_details',
            subscription_details: { subscription: spec.subscription, subscription_item: spec.subscriptionItem ?? undefined },
          } as Stripe.InvoiceItem.Parent
        : null,
      period: spec.period,
      pricing: spec.price
        ? { type: 'price_details', price_details: { price: spec.price.id, product: idOf(spec.price.product as string)! }, unit_amount_decimal: decOrNull(spec.unitAmount) }
        : spec.unitAmount != null
          ? { type: 'price_details', unit_amount_decimal: dec(spec.unitAmount) } as Stripe.InvoiceItem.Pricing
          : null,
      proration: spec.proration,
      proration_details: { credited_items: null } as unknown as Stripe.InvoiceItem.ProrationDetails,
      quantity: spec.quantity ?? 1,
      quantity_decimal: dec(spec.quantity ?? 1),
      tax_rates: [],
      test_clock: this.clockOfCustomer(customer),
    }
    this.store.put('invoiceitem', ii as never)
    this.host.emit('invoiceitem.created', ii)
    return ii
  }

  /** Store a new draft invoice, attach pending items, emit invoice.created. */
  createInvoice(opts: Parameters<BillingEngine['buildInvoice']>[0] & { includePending?: boolean }): Inv {
    const id = this.host.newId('in')
    const specs = [...opts.specs]
    const pending = opts.includePending ? this.pendingItems(opts.customer, opts.subscription?.id ?? null) : []
    for (const ii of pending) specs.push(this.specFromInvoiceItem(ii))
    const inv = this.buildInvoice({ ...opts, id, specs })
    for (const ii of pending) {
      ii.invoice = id
      this.store.put('invoiceitem', ii as never)
    }
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.created', inv)
    return inv
  }

  invoiceNumber(customer: string): string {
    const c = this.host.getCustomer(customer)
    const key = `billing_invoice_seq:${customer}`
    const seq = Number(this.store.getMeta(key) ?? '0') + 1
    this.store.setMeta(key, String(seq))
    const prefix = c?.invoice_prefix ?? customer.replace(/^cus_/, '').slice(0, 8).toUpperCase()
    return `${prefix}-${String(seq).padStart(4, '0')}`
  }

  /** draft → open (or paid when nothing is due). Creates the PaymentIntent. */
  finalize(inv: Inv, at: number): Inv {
    if (inv.status !== 'draft') throw errors.invalid(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, undefined, 'invoice_not_editable')
    const customer = idOf(inv.customer as string)!
    const c = this.host.getCustomer(customer)
    this.recomputeDraft(inv)
    const bal = applyBalance(inv.total, c?.balance ?? 0)
    inv.starting_balance = bal.starting_balance
    inv.ending_balance = bal.ending_balance
    inv.amount_due = bal.amount_due
    inv.amount_remaining = bal.amount_due
    if (c && c.balance !== bal.ending_balance) {
      c.balance = bal.ending_balance
      this.host.saveCustomer(c)
    }
    inv.number = this.invoiceNumber(customer)
    inv.status = 'open'
    inv.status_transitions.finalized_at = at
    inv.effective_at = at
    inv.auto_advance = true
    const base = this.host.publicUrl().replace(/\/$/, '')
    inv.hosted_invoice_url = `${base}/invoices/${inv.id}`
    inv.invoice_pdf = `${base}/invoices/${inv.id}/pdf`
    const subId = inv.parent?.subscription_details?.subscription
    const sub = subId ? this.getSub(idOf(subId as string)!) : null
    if (inv.amount_due > 0) {
      const pi = this.host.createPaymentIntent({
        amount: inv.amount_due,
        currency: inv.currency,
        customer,
        payment_method: null,
        off_session: false,
        confirm: false,
        description: inv.billing_reason === 'subscription_create' ? 'Subscription creation' : inv.billing_reason === 'subscription_cycle' ? 'Subscription update' : `Invoice ${inv.number}`,
        setup_future_usage: sub?.payment_settings?.save_default_payment_method === 'on_subscription' ? 'off_session' : null,
      })
      const ip: Stripe.InvoicePayment = {
        id: this.host.newId('inpay'),
        object: 'invoice_payment',
        amount_paid: null,
        amount_requested: inv.amount_due,
        created: at,
        currency: inv.currency,
        invoice: inv.id,
        is_default: true,
        livemode: false,
        payment: { type: 'payment_intent', payment_intent: pi.id },
        status: 'open',
        status_transitions: { canceled_at: null, paid_at: null },
      }
      this.store.put('invoice_payment', ip as never)
      inv.payments = apiList([ip], `/v1/invoice_payments?invoice=${inv.id}`)
      this.setInvState(inv.id, { paymentIntent: pi.id, confirmationSecret: pi.client_secret })
      this.store.setMeta(`billing_pi_invoice:${pi.id}`, inv.id)
    }
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.finalized', inv)
    if (inv.amount_due === 0) this.markPaid(inv, null, at)
    return this.getInvoice(inv.id) ?? inv
  }

  invoiceForPaymentIntent(piId: string): Inv | null {
    const id = this.store.getMeta(`billing_pi_invoice:${piId}`)
    return id ? this.getInvoice(id) : null
  }

  /** The includable `confirmation_secret` of an invoice. */
  confirmationSecret(inv: Inv): Stripe.Invoice.ConfirmationSecret | null {
    const s = this.invState(inv.id)
    if (!s.confirmationSecret || inv.status !== 'open') return null
    return { client_secret: s.confirmationSecret, type: 'payment_intent' }
  }

  /**
   * Charge an open invoice with a payment method. Returns whether it got paid. Never throws on a
   * decline (the failure is recorded and events emitted).
   */
  attemptPayment(invIn: Inv, paymentMethod: string | null, at: number, opts: { offSession: boolean; automatic: boolean }): { paid: boolean; pi: Stripe.PaymentIntent | null } {
    let inv = invIn
    if (inv.status !== 'open') return { paid: inv.status === 'paid', pi: null }
    const st = this.invState(inv.id)
    inv.attempt_count += 1
    inv.attempted = true
    if (st.firstAttemptAt == null) this.setInvState(inv.id, { firstAttemptAt: at })
    this.store.put('invoice', inv as never)
    let pi: Stripe.PaymentIntent | null = null
    if (paymentMethod && st.paymentIntent) {
      this.attempting.add(inv.id)
      try {
        pi = this.host.confirmPaymentIntent(st.paymentIntent, paymentMethod, opts.offSession)
      } finally {
        this.attempting.delete(inv.id)
      }
    }
    inv = this.getInvoice(inv.id) ?? inv
    if (pi && pi.status === 'succeeded') {
      if (inv.status === 'open') this.markPaid(inv, pi, at)
      return { paid: true, pi }
    }
    this.paymentFailed(inv, pi, at, opts.automatic)
    return { paid: false, pi }
  }

  paymentFailed(inv: Inv, pi: Stripe.PaymentIntent | null, at: number, automatic: boolean): void {
    const subId = inv.parent?.subscription_details?.subscription
    const sub = subId ? this.getSub(idOf(subId as string)!) : null
    const first = this.invState(inv.id).firstAttemptAt ?? at
    if (inv.billing_reason === 'subscription_create' || !sub) {
      inv.next_payment_attempt = null
    } else if (automatic || inv.next_payment_attempt != null || inv.attempt_count === 1) {
      const retryIndex = inv.attempt_count - 1
      if (retryIndex < this.settings.retryDays.length) {
        inv.next_payment_attempt = first + this.settings.retryDays[retryIndex] * DAY
      } else {
        inv.next_payment_attempt = null
      }
    }
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.payment_failed', inv)
    if (sub && inv.billing_reason !== 'subscription_create' && !this.creating.has(sub.id)) {
      if (inv.next_payment_attempt == null && automatic && inv.attempt_count > this.settings.retryDays.length) {
        this.afterRetriesExhausted(sub, inv, at)
      } else if (sub.status === 'active' || sub.status === 'trialing') {
        const before = clone(sub)
        sub.status = 'past_due'
        this.saveSub(sub)
        this.emitSubUpdated(before, sub)
      }
    }
  }

  afterRetriesExhausted(sub: Sub, inv: Inv, at: number): void {
    const mode = this.settings.afterRetries
    if (mode === 'cancel') {
      this.cancelSubscription(sub, at, { invoiceNow: false, prorate: false, reason: 'payment_failed' })
    } else if (mode === 'unpaid') {
      const before = clone(sub)
      sub.status = 'unpaid'
      this.saveSub(sub)
      this.emitSubUpdated(before, sub)
    } else if (sub.status !== 'past_due') {
      const before = clone(sub)
      sub.status = 'past_due'
      this.saveSub(sub)
      this.emitSubUpdated(before, sub)
    }
    void inv
  }

  markPaid(inv: Inv, pi: Stripe.PaymentIntent | null, at: number, outOfBand = false): void {
    if (inv.status === 'paid') return
    inv.status = 'paid'
    inv.amount_paid = outOfBand ? 0 : inv.amount_due
    if (outOfBand) inv.amount_paid_off_stripe = inv.amount_due
    inv.amount_remaining = 0
    inv.attempted = true
    inv.next_payment_attempt = null
    inv.status_transitions.paid_at = at
    inv.auto_advance = false
    if (pi) {
      inv.default_payment_method = null
    }
    const payments = inv.payments?.data ?? []
    for (const ip of payments) {
      ip.status = 'paid'
      ip.amount_paid = inv.amount_due
      ip.status_transitions.paid_at = at
      this.store.put('invoice_payment', ip as never)
    }
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.paid', inv)
    this.host.emit('invoice.payment_succeeded', inv)
    for (const ip of payments) this.host.emit('invoice_payment.paid', ip)
    const subId = inv.parent?.subscription_details?.subscription
    const sub = subId ? this.getSub(idOf(subId as string)!) : null
    if (sub) this.onSubscriptionInvoicePaid(sub, inv, pi, at)
  }

  onSubscriptionInvoicePaid(sub: Sub, inv: Inv, pi: Stripe.PaymentIntent | null, at: number): void {
    const before = clone(sub)
    if (['incomplete', 'past_due', 'unpaid'].includes(sub.status)) {
      // still failing invoices keep the subscription past_due
      const stillOpen = (this.store.all('invoice', { where: { status: 'open' } }) as Inv[]).filter(
        (i) => i.id !== inv.id && i.parent?.subscription_details?.subscription === sub.id && i.attempt_count > 0,
      )
      if (stillOpen.length === 0) sub.status = sub.trial_end && sub.trial_end > at ? 'trialing' : 'active'
    }
    const pm = pi ? idOf(pi.payment_method as string | null) : null
    if (pm && sub.payment_settings?.save_default_payment_method === 'on_subscription') {
      sub.default_payment_method = pm
    }
    this.saveSub(sub)
    this.emitSubUpdated(before, sub)
  }

  voidInvoice(inv: Inv, at: number): Inv {
    if (inv.status === 'void') return inv
    if (inv.status !== 'open' && inv.status !== 'uncollectible' && inv.status !== 'draft')
      throw errors.invalid(`You can only void invoices that are open or uncollectible. This invoice is ${inv.status}.`)
    inv.status = 'void'
    inv.status_transitions.voided_at = at
    inv.next_payment_attempt = null
    inv.amount_remaining = 0
    inv.auto_advance = false
    const st = this.invState(inv.id)
    if (st.paymentIntent) {
      try {
        this.host.cancelPaymentIntent(st.paymentIntent)
      } catch {
        /* already final */
      }
    }
    for (const ip of inv.payments?.data ?? []) {
      ip.status = 'canceled'
      ip.status_transitions.canceled_at = at
      this.store.put('invoice_payment', ip as never)
    }
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.voided', inv)
    return inv
  }

  markUncollectible(inv: Inv, at: number): Inv {
    if (inv.status !== 'open') throw errors.invalid(`You can only mark open invoices as uncollectible. This invoice is ${inv.status}.`)
    inv.status = 'uncollectible'
    inv.status_transitions.marked_uncollectible_at = at
    inv.next_payment_attempt = null
    inv.auto_advance = false
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.marked_uncollectible', inv)
    return inv
  }

  /** Finalize (if draft) and charge a subscription invoice automatically. */
  collect(inv: Inv, sub: Sub | null, at: number, offSession = true): Inv {
    let cur = inv.status === 'draft' ? this.finalize(inv, at) : inv
    if (cur.status === 'open') {
      const pm = this.defaultPaymentMethod(sub, idOf(cur.customer as string)!)
      this.attemptPayment(cur, pm, at, { offSession, automatic: true })
      cur = this.getInvoice(cur.id) ?? cur
    }
    return cur
  }

  // ---- subscriptions -----------------------------------------------------------------------------

  /** The period a new subscription starts with. */
  firstPeriod(start: number, anchor: number, r: Recurrence, trialEnd: number | null): { start: number; end: number } {
    if (trialEnd && trialEnd > start) return { start, end: trialEnd }
    if (anchor > start) return { start, end: anchor }
    return { start, end: boundary(anchor, r, 1) }
  }

  createSubscription(params: {
    customer: string
    items: Array<{ price: string; quantity?: number; metadata?: Record<string, string | null> | null }>
    payment_behavior?: string
    default_payment_method?: string
    trial_period_days?: number
    trial_end?: number | 'now'
    trial_from_plan?: boolean
    trial_settings?: { end_behavior: { missing_payment_method: string } }
    billing_cycle_anchor?: number
    cancel_at_period_end?: boolean
    cancel_at?: number
    discounts?: Array<{ coupon?: string; promotion_code?: string; discount?: string }> | null
    metadata?: Record<string, string>
    description?: string
    save_default_payment_method?: 'on_subscription' | 'off'
    proration_behavior?: string
    collection_method?: string
    days_until_due?: number
    off_session?: boolean
    checkout_session?: string | null
  }): Sub {
    const customer = this.host.getCustomer(params.customer)
    if (!customer) throw errors.noSuch('customer', params.customer, 'customer')
    if (!params.items || params.items.length === 0) throw errors.missingParam('items')
    const at = this.nowForCustomer(params.customer)
    const prices = params.items.map((it, i) => this.price(it.price, `items[${i}][price]`))
    for (const [i, p] of prices.entries()) {
      if (!p.recurring) throw errors.invalid(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, `items[${i}][price]`)
    }
    const currency = prices[0].currency
    const r = this.recurrence(prices[0])
    let trialEnd: number | null = null
    if (params.trial_end !== undefined && params.trial_end !== 'now') trialEnd = params.trial_end
    else if (params.trial_period_days) trialEnd = at + params.trial_period_days * DAY
    else if (params.trial_from_plan && prices[0].recurring?.trial_period_days) trialEnd = at + prices[0].recurring.trial_period_days * DAY
    if (trialEnd !== null && trialEnd <= at) throw errors.invalid('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end')
    const anchor = params.billing_cycle_anchor ?? trialEnd ?? at
    if (params.billing_cycle_anchor !== undefined && params.billing_cycle_anchor < at)
      throw errors.invalid('billing_cycle_anchor cannot be in the past', 'billing_cycle_anchor')
    const period = this.firstPeriod(at, anchor, r, trialEnd)
    const pm = params.default_payment_method ?? null
    if (pm && !this.host.getPaymentMethod(pm)) throw errors.noSuch('PaymentMethod', pm, 'default_payment_method')
    const id = this.host.newId('sub')
    const items = params.items.map((it, i) => {
      const md: Record<string, string> = {}
      for (const [k, v] of Object.entries(it.metadata ?? {})) if (v != null) md[k] = v
      return this.buildItem(id, prices[i], it.quantity ?? 1, period, at, md)
    })
    const sub: Sub = {
      id,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: trialEnd && !params.billing_cycle_anchor ? trialEnd : anchor,
      billing_cycle_anchor_config: null,
      billing_mode: { flexible: null, type: 'classic' },
      billing_schedules: [],
      billing_thresholds: null,
      cancel_at: params.cancel_at ?? (params.cancel_at_period_end ? period.end : null),
      cancel_at_period_end: params.cancel_at_period_end ?? false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null } as Stripe.Subscription.CancellationDetails,
      collection_method: (params.collection_method ?? 'charge_automatically') as Stripe.Subscription.CollectionMethod,
      created: at,
      currency,
      customer: params.customer,
      customer_account: null,
      days_until_due: params.days_until_due ?? null,
      default_payment_method: pm,
      default_source: null,
      default_tax_rates: [],
      description: params.description ?? null,
      discounts: [],
      ended_at: null,
      invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
      items: apiList(items, `/v1/subscription_items?subscription=${id}`),
      latest_invoice: null,
      livemode: false,
      managed_payments: null,
      metadata: params.metadata ?? {},
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: {
        payment_method_options: null,
        payment_method_types: null,
        save_default_payment_method: params.save_default_payment_method ?? 'off',
      },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: at,
      status: 'incomplete',
      test_clock: this.clockOfCustomer(params.customer),
      transfer_data: null,
      trial_end: trialEnd,
      trial_settings: {
        end_behavior: {
          billing_cycle_anchor: null,
          missing_payment_method: (params.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice') as Stripe.Subscription.TrialSettings.EndBehavior.MissingPaymentMethod,
        } as Stripe.Subscription.TrialSettings.EndBehavior,
      },
      trial_start: trialEnd ? at : null,
    }
    const behavior = params.payment_behavior ?? 'allow_incomplete'
    this.creating.add(id)
    try {
      sub.discounts = this.createDiscounts(params.discounts, { customer: params.customer, subscription: id, checkout_session: params.checkout_session ?? null }, at)
      this.saveSub(sub)
      this.setSubState(id, { paymentBehavior: behavior })
      // first invoice
      let specs: LineSpec[]
      if (trialEnd) {
        specs = items.map((it) => ({
          ...this.itemLine(sub, it, period),
          amount: 0,
          description: `Trial period for ${this.productName(it.price)}`,
          unitAmount: 0,
        }))
      } else if (anchor > at && params.proration_behavior !== 'none') {
        specs = items
          .filter((it) => !this.isMetered(it.price))
          .map((it) => {
            const full = { start: boundary(anchor, r, -1), end: anchor }
            const line = prorationLines(null, this.proratedItem(it), full.start, full.end, at)[0]
            return { ...this.itemLine(sub, it, period), amount: line?.amount ?? 0, description: line?.description ?? '', proration: false }
          })
      } else if (anchor > at) {
        specs = []
      } else {
        specs = items.map((it) => (this.isMetered(it.price) ? { ...this.usageLine(sub, it, { start: at, end: at }), amount: 0, quantity: 0 } : this.itemLine(sub, it, period)))
      }
      let inv = this.createInvoice({
        customer: params.customer,
        currency,
        subscription: sub,
        billingReason: 'subscription_create',
        specs,
        discounts: sub.discounts as string[],
        at,
        period: { start: at, end: at },
        includePending: true,
      })
      sub.latest_invoice = inv.id
      this.consumeOnceDiscounts(sub, inv.discounts as string[])
      this.saveSub(sub)
      inv = this.finalize(inv, at)
      let cur = this.requireSub(id)
      if (inv.status === 'paid') {
        cur.status = trialEnd ? 'trialing' : 'active'
      } else if (behavior === 'default_incomplete') {
        cur.status = 'incomplete'
      } else {
        const chargePm = pm ?? this.defaultPaymentMethod(null, params.customer)
        if (chargePm) {
          const res = this.attemptPayment(inv, chargePm, at, { offSession: params.off_session ?? false, automatic: false })
          cur = this.requireSub(id)
          if (res.paid) cur.status = trialEnd ? 'trialing' : 'active'
          else if (behavior === 'error_if_incomplete') {
            this.creating.delete(id)
            const pi = res.pi
            const err = pi?.last_payment_error
            throw new StripeError({
              status: 402,
              type: 'card_error',
              code: err?.code ?? 'card_declined',
              decline_code: err?.decline_code,
              message: err?.message ?? 'Your card was declined.',
              extra: pi ? { payment_intent: pi } : undefined,
              commit: false,
            })
          }
        } else if (behavior === 'error_if_incomplete') {
          throw errors.invalid('This customer has no attached payment source or default payment method. Please consider adding a default payment method.', undefined, 'resource_missing')
        }
      }
      if (trialEnd && !this.defaultPaymentMethod(cur, params.customer) && behavior === 'default_incomplete') {
        const si = this.host.createSetupIntent({ customer: params.customer, usage: 'off_session' })
        cur.pending_setup_intent = si.id
        this.store.setMeta(`billing_si_sub:${si.id}`, id)
      }
      this.saveSub(cur)
      this.creating.delete(id)
      this.host.emit('customer.subscription.created', cur)
      return cur
    } finally {
      this.creating.delete(id)
    }
  }

  /** SetupIntent succeeded: a pending_setup_intent gives the subscription its payment method. */
  onSetupIntentSucceeded(si: Stripe.SetupIntent): void {
    const subId = this.store.getMeta(`billing_si_sub:${si.id}`)
    if (!subId) return
    const sub = this.getSub(subId)
    if (!sub || idOf(sub.pending_setup_intent as string) !== si.id) return
    const before = clone(sub)
    sub.pending_setup_intent = null
    const pm = idOf(si.payment_method as string | null)
    if (pm && (sub.payment_settings?.save_default_payment_method === 'on_subscription' || !sub.default_payment_method)) sub.default_payment_method = pm
    this.saveSub(sub)
    this.emitSubUpdated(before, sub)
  }

  /** PaymentIntent succeeded (confirmed by the client): pay the invoice it belongs to. */
  onPaymentIntentSucceeded(pi: Stripe.PaymentIntent): void {
    const inv = this.invoiceForPaymentIntent(pi.id)
    if (!inv || inv.status !== 'open' || this.attempting.has(inv.id)) return
    const at = this.nowForCustomer(idOf(inv.customer as string))
    inv.attempt_count += 1
    inv.attempted = true
    this.markPaid(inv, pi, at)
  }

  /** PaymentIntent failed on a client-side confirm. */
  onPaymentIntentFailed(pi: Stripe.PaymentIntent): void {
    const inv = this.invoiceForPaymentIntent(pi.id)
    if (!inv || inv.status !== 'open' || this.attempting.has(inv.id)) return
    const at = this.nowForCustomer(idOf(inv.customer as string))
    inv.attempt_count += 1
    inv.attempted = true
    this.store.put('invoice', inv as never)
    this.host.emit('invoice.payment_failed', inv)
  }

  /** Compute the items and proration lines of an item change without storing anything. */
  planItemsUpdate(sub: Sub, itemsIn: ItemInput[] | undefined, behaviorIn: string | undefined, prorationDate: number | undefined, at: number, opts: { resetPeriod?: boolean } = {}): UpdatePlan {
    const behavior = (behaviorIn ?? 'create_prorations') as ProrationBehavior
    const t = prorationDate ?? at
    const current = sub.items.data
    const next: Stripe.SubscriptionItem[] = current.map((i) => clone(i))
    const changes: Array<{ before: Stripe.SubscriptionItem | null; after: Stripe.SubscriptionItem | null }> = []
    for (const [idx, input] of (itemsIn ?? []).entries()) {
      if (input.id) {
        const pos = next.findIndex((i) => i.id === input.id)
        if (pos < 0) throw errors.invalid(`Invalid subscription_item: ${input.id}`, `items[${idx}][id]`)
        const before = current.find((i) => i.id === input.id)!
        if (input.deleted) {
          next.splice(pos, 1)
          changes.push({ before, after: null })
          continue
        }
        const item = next[pos]
        if (input.price && input.price !== item.price.id) {
          const p = this.price(input.price, `items[${idx}][price]`)
          item.price = p
          item.plan = this.plan(p)
          if (this.isMetered(p)) delete item.quantity
          else if (item.quantity === undefined) item.quantity = 1
        }
        if (input.quantity !== undefined && !this.isMetered(item.price)) item.quantity = input.quantity
        if (input.metadata !== undefined) {
          const md: Record<string, string> = input.metadata === null ? {} : { ...item.metadata }
          for (const [k, v] of Object.entries(input.metadata ?? {})) {
            if (v == null) delete md[k]
            else md[k] = v
          }
          item.metadata = md
        }
        changes.push({ before, after: item })
      } else {
        if (!input.price) throw errors.missingParam(`items[${idx}][price]`)
        const p = this.price(input.price, `items[${idx}][price]`)
        const item = this.buildItem(sub.id, p, input.quantity ?? 1, { start: current[0]?.current_period_start ?? at, end: current[0]?.current_period_end ?? at }, at)
        next.push(item)
        changes.push({ before: null, after: item })
      }
    }
    const prorations: LineSpec[] = []
    const inTrial = sub.status === 'trialing' && sub.trial_end != null && sub.trial_end > at
    if (behavior !== 'none' && !inTrial && !opts.resetPeriod && current.length > 0) {
      const pStart = current[0].current_period_start
      const pEnd = current[0].current_period_end
      if (t < pStart || t > pEnd) throw errors.invalid('proration_date must be within the current billing period', 'proration_date')
      for (const ch of changes) {
        const b = ch.before ? this.proratedItem(ch.before) : null
        const a = ch.after ? this.proratedItem(ch.after) : null
        for (const line of prorationLines(b, a, pStart, pEnd, t)) {
          if (line.amount === 0) continue
          const price = line.kind === 'credit' ? ch.before!.price : ch.after!.price
          prorations.push({
            amount: line.amount,
            description: line.description,
            quantity: line.quantity,
            price,
            unitAmount: line.unitAmount,
            period: line.period,
            proration: true,
            subscription: sub.id,
            subscriptionItem: line.subscriptionItem,
            invoiceItem: null,
            discountable: true,
            metadata: {},
          })
        }
      }
    }
    return { at: t, items: next, prorations, behavior }
  }

  /** Credit for the unused part of the current period (cancel with prorate, anchor reset). */
  unusedCredit(sub: Sub, t: number): LineSpec[] {
    const out: LineSpec[] = []
    for (const it of sub.items.data) {
      const pi = this.proratedItem(it)
      if (!pi) continue
      for (const line of prorationLines(pi, null, it.current_period_start, it.current_period_end, t)) {
        if (line.amount === 0) continue
        out.push({
          amount: line.amount,
          description: line.description,
          quantity: line.quantity,
          price: it.price,
          unitAmount: line.unitAmount,
          period: line.period,
          proration: true,
          subscription: sub.id,
          subscriptionItem: it.id,
          invoiceItem: null,
          discountable: true,
          metadata: {},
        })
      }
    }
    return out
  }

  /** Apply an item plan: store prorations per behavior. Returns the invoice when always_invoice. */
  applyItemsPlan(sub: Sub, plan: UpdatePlan, at: number): Inv | null {
    sub.items = apiList(plan.items, sub.items.url)
    const customer = idOf(sub.customer as string)!
    if (plan.prorations.length === 0) return null
    for (const spec of plan.prorations) this.createInvoiceItem(customer, sub.currency, spec, at)
    if (plan.behavior === 'always_invoice') {
      const inv = this.createInvoice({
        customer,
        currency: sub.currency,
        subscription: sub,
        billingReason: 'subscription_update',
        specs: [],
        discounts: sub.discounts as string[],
        at,
        period: { start: at, end: at },
        includePending: true,
        prorationDate: plan.at,
      })
      sub.latest_invoice = inv.id
      return inv
    }
    return null
  }

  /** Start a new period now (trial_end=now, billing_cycle_anchor=now, resume). Returns the invoice. */
  resetPeriod(sub: Sub, at: number, billingReason: Stripe.Invoice.BillingReason, creditUnused: boolean): Inv {
    const customer = idOf(sub.customer as string)!
    if (creditUnused) for (const spec of this.unusedCredit(sub, at)) this.createInvoiceItem(customer, sub.currency, spec, at)
    const r = this.recurrence(sub.items.data[0].price)
    sub.billing_cycle_anchor = at
    const period = { start: at, end: boundary(at, r, 1) }
    for (const it of sub.items.data) {
      it.current_period_start = period.start
      it.current_period_end = period.end
    }
    const specs = sub.items.data.filter((it) => !this.isMetered(it.price)).map((it) => this.itemLine(sub, it, period))
    const inv = this.createInvoice({
      customer,
      currency: sub.currency,
      subscription: sub,
      billingReason,
      specs,
      discounts: sub.discounts as string[],
      at,
      period: { start: at, end: at },
      includePending: true,
    })
    sub.latest_invoice = inv.id
    this.consumeOnceDiscounts(sub, inv.discounts as string[])
    return inv
  }

  cancelSubscription(subIn: Sub, at: number, opts: { invoiceNow: boolean; prorate: boolean; reason?: string; comment?: string | null; feedback?: string | null }): Sub {
    const sub = this.getSub(subIn.id) ?? subIn
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
      throw errors.invalid(`A canceled subscription can only update its cancellation_details and metadata.`, undefined, 'invalid_canceled_subscription_fields' as string)
    }
    const before = clone(sub)
    const customer = idOf(sub.customer as string)!
    const wasBilling = ['active', 'past_due', 'unpaid', 'trialing'].includes(sub.status)
    if (opts.prorate && wasBilling && sub.status !== 'trialing') {
      for (const spec of this.unusedCredit(sub, at)) this.createInvoiceItem(customer, sub.currency, spec, at)
    }
    sub.status = 'canceled'
    sub.canceled_at = sub.canceled_at ?? at
    sub.ended_at = at
    sub.cancellation_details = {
      comment: opts.comment ?? sub.cancellation_details?.comment ?? null,
      feedback: (opts.feedback ?? sub.cancellation_details?.feedback ?? null) as Stripe.Subscription.CancellationDetails.Feedback | null,
      reason: (opts.reason ?? 'cancellation_requested') as Stripe.Subscription.CancellationDetails.Reason,
    } as Stripe.Subscription.CancellationDetails
    if (sub.pending_setup_intent) sub.pending_setup_intent = sub.pending_setup_intent
    this.saveSub(sub)
    if (opts.invoiceNow) {
      const metered = sub.items.data.filter((it) => this.isMetered(it.price)).map((it) => this.usageLine(sub, it, { start: it.current_period_start, end: at }))
      const pending = this.pendingItems(customer, sub.id)
      if (metered.length > 0 || pending.length > 0) {
        const inv = this.createInvoice({ customer, currency: sub.currency, subscription: sub, billingReason: 'subscription_cycle', specs: metered, discounts: sub.discounts as string[], at, period: { start: at, end: at }, includePending: true })
        sub.latest_invoice = inv.id
        this.saveSub(sub)
        this.collect(inv, sub, at)
      }
    }
    // stop retrying open invoices of this subscription
    for (const inv of this.store.all('invoice', { where: { status: 'open' } }) as Inv[]) {
      if (inv.parent?.subscription_details?.subscription === sub.id && inv.next_payment_attempt != null) {
        inv.next_payment_attempt = null
        this.store.put('invoice', inv as never)
      }
    }
    const final = this.getSub(sub.id)!
    if (final.schedule) {
      const sch = this.store.get('subscription_schedule', idOf(final.schedule as string)!) as Stripe.SubscriptionSchedule | null
      if (sch && (sch.status === 'active' || sch.status === 'not_started')) {
        sch.status = 'canceled'
        sch.canceled_at = at
        sch.current_phase = null
        this.store.put('subscription_schedule', sch as never)
        this.host.emit('subscription_schedule.canceled', sch)
      }
    }
    this.host.emit('customer.subscription.deleted', final, previousAttributes(before, final))
    return final
  }

  // ---- lifecycle on the clock --------------------------------------------------------------------

  /** Renewal at the end of the current period. */
  renew(sub: Sub, at: number): void {
    const before = clone(sub)
    const customer = idOf(sub.customer as string)!
    const first = sub.items.data[0]
    if (!first) return
    const oldPeriod = { start: first.current_period_start, end: first.current_period_end }
    const r = this.recurrence(first.price)
    const newPeriod = { start: oldPeriod.end, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, oldPeriod.end) }
    const specs: LineSpec[] = []
    for (const it of sub.items.data) {
      if (this.isMetered(it.price)) specs.push(this.usageLine(sub, it, oldPeriod))
    }
    for (const it of sub.items.data) {
      it.current_period_start = newPeriod.start
      it.current_period_end = newPeriod.end
      if (!this.isMetered(it.price)) specs.unshift(this.itemLine(sub, it, newPeriod))
    }
    if (sub.pause_collection?.resumes_at && sub.pause_collection.resumes_at <= at) sub.pause_collection = null
    const inv = this.createInvoice({
      customer,
      currency: sub.currency,
      subscription: sub,
      billingReason: 'subscription_cycle',
      specs,
      discounts: sub.discounts as string[],
      at,
      period: oldPeriod,
      includePending: true,
    })
    sub.latest_invoice = inv.id
    this.consumeOnceDiscounts(sub, inv.discounts as string[])
    this.saveSub(sub)
    this.emitSubUpdated(before, sub)
    const pause = sub.pause_collection
    if (pause) {
      if (pause.behavior === 'keep_as_draft') return
      const fin = this.finalize(inv, at)
      if (fin.status !== 'open') return
      if (pause.behavior === 'void') this.voidInvoice(fin, at)
      else this.markUncollectible(fin, at)
      return
    }
    if (sub.status === 'unpaid') {
      // Stripe keeps creating invoices for unpaid subscriptions but leaves them as drafts
      return
    }
    this.collect(inv, sub, at)
  }

  trialEnded(sub: Sub, at: number): void {
    const customer = idOf(sub.customer as string)!
    const pm = this.defaultPaymentMethod(sub, customer)
    const missing = sub.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice'
    if (!pm && missing === 'cancel') {
      this.cancelSubscription(sub, at, { invoiceNow: false, prorate: false, reason: 'cancellation_requested' })
      return
    }
    const before = clone(sub)
    if (!pm && missing === 'pause') {
      sub.status = 'paused'
      sub.status_details = { paused: { subscription: { type: 'trial_ended' }, transitioned_at: at, type: 'subscription' } } as unknown as Stripe.Subscription.StatusDetails
      this.saveSub(sub)
      this.host.emit('customer.subscription.paused', sub)
      this.emitSubUpdated(before, sub)
      return
    }
    sub.status = 'active'
    const first = sub.items.data[0]
    const r = this.recurrence(first.price)
    const newPeriod = { start: at, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, at) }
    for (const it of sub.items.data) {
      it.current_period_start = newPeriod.start
      it.current_period_end = newPeriod.end
    }
    const specs = sub.items.data.filter((it) => !this.isMetered(it.price)).map((it) => this.itemLine(sub, it, newPeriod))
    const inv = this.createInvoice({ customer, currency: sub.currency, subscription: sub, billingReason: 'subscription_cycle', specs, discounts: sub.discounts as string[], at, period: { start: sub.trial_start ?? at, end: at }, includePending: true })
    sub.latest_invoice = inv.id
    this.consumeOnceDiscounts(sub, inv.discounts as string[])
    this.saveSub(sub)
    this.emitSubUpdated(before, sub)
    this.collect(inv, sub, at)
  }

  expireIncomplete(sub: Sub, at: number): void {
    const before = clone(sub)
    sub.status = 'incomplete_expired'
    sub.ended_at = at
    this.saveSub(sub)
    const inv = sub.latest_invoice ? this.getInvoice(idOf(sub.latest_invoice as string)!) : null
    if (inv && inv.status === 'open') this.voidInvoice(inv, at)
    this.emitSubUpdated(before, this.getSub(sub.id)!)
  }

  /** Task list due in a clock scope up to `upTo`. */
  dueTasks(scope: string | null, upTo: number): Array<{ at: number; prio: number; key: string; run: () => void }> {
    const tasks: Array<{ at: number; prio: number; key: string; run: () => void }> = []
    const inScope = (tc: unknown) => (idOf(tc as string | null) ?? null) === scope
    for (const sub of this.store.all('subscription') as Sub[]) {
      if (!inScope(sub.test_clock)) continue
      const st = this.subState(sub.id)
      const first = sub.items.data[0]
      if (sub.status === 'incomplete') {
        const exp = sub.created + this.settings.incompleteExpirySeconds
        if (exp <= upTo) tasks.push({ at: exp, prio: 5, key: sub.id, run: () => this.expireIncomplete(this.getSub(sub.id)!, exp) })
        continue
      }
      if (sub.status === 'trialing' && sub.trial_end) {
        const warn = sub.trial_end - 3 * DAY
        if (st.trialWillEndSentFor !== sub.trial_end && warn <= upTo && warn > sub.created) {
          tasks.push({ at: Math.max(warn, sub.created), prio: 1, key: sub.id, run: () => {
            this.setSubState(sub.id, { trialWillEndSentFor: sub.trial_end })
            this.host.emit('customer.subscription.trial_will_end', this.getSub(sub.id)!)
          } })
        }
        if (sub.trial_end <= upTo) {
          const tEnd = sub.trial_end
          tasks.push({ at: tEnd, prio: sub.cancel_at && sub.cancel_at <= tEnd ? 4 : 3, key: sub.id, run: () => {
            const s = this.getSub(sub.id)!
            if (s.cancel_at && s.cancel_at <= tEnd) this.cancelSubscription(s, tEnd, { invoiceNow: false, prorate: false })
            else this.trialEnded(s, tEnd)
          } })
        }
        continue
      }
      if (!['active', 'past_due', 'unpaid'].includes(sub.status) || !first) continue
      if (sub.cancel_at && sub.cancel_at <= first.current_period_end) {
        const c = sub.cancel_at
        if (c <= upTo) tasks.push({ at: c, prio: 2, key: sub.id, run: () => {
          const s = this.getSub(sub.id)!
          this.cancelSubscription(s, c, { invoiceNow: s.items.data.some((i) => this.isMetered(i.price)), prorate: c < first.current_period_end })
        } })
        continue
      }
      const end = first.current_period_end
      const upcoming = end - this.settings.upcomingDays * DAY
      if (st.upcomingSentFor !== end && upcoming <= upTo && upcoming > first.current_period_start) {
        tasks.push({ at: upcoming, prio: 1, key: sub.id, run: () => {
          this.setSubState(sub.id, { upcomingSentFor: end })
          const s = this.getSub(sub.id)!
          try {
            const preview = this.previewUpcoming(s, upcoming)
            this.host.emit('invoice.upcoming', preview)
          } catch {
            /* best effort */
          }
        } })
      }
      if (sub.pause_collection?.resumes_at && sub.pause_collection.resumes_at <= upTo && sub.pause_collection.resumes_at < end) {
        const r = sub.pause_collection.resumes_at
        tasks.push({ at: r, prio: 1, key: sub.id, run: () => {
          const s = this.getSub(sub.id)!
          const before = clone(s)
          s.pause_collection = null
          this.saveSub(s)
          this.emitSubUpdated(before, s)
        } })
      }
      if (end <= upTo) tasks.push({ at: end, prio: 3, key: sub.id, run: () => this.renew(this.getSub(sub.id)!, end) })
    }
    for (const inv of this.store.all('invoice', { where: { status: 'open' } }) as Inv[]) {
      if (!inScope(inv.test_clock)) continue
      const next = inv.next_payment_attempt
      if (next != null && next <= upTo) {
        tasks.push({ at: next, prio: 6, key: inv.id, run: () => {
          const i = this.getInvoice(inv.id)!
          if (i.status !== 'open' || i.next_payment_attempt !== next) return
          const subId = i.parent?.subscription_details?.subscription
          const s = subId ? this.getSub(idOf(subId as string)!) : null
          const pm = this.defaultPaymentMethod(s, idOf(i.customer as string)!)
          this.attemptPayment(i, pm, next, { offSession: true, automatic: true })
        } })
      }
    }
    for (const sch of this.store.all('subscription_schedule', { where: { status: ['active', 'not_started'] } }) as Stripe.SubscriptionSchedule[]) {
      if (!inScope(sch.test_clock)) continue
      const due = this.scheduleNextTransition(sch)
      if (due != null && due <= upTo) tasks.push({ at: due, prio: 0, key: sch.id, run: () => this.scheduleTransition(sch.id, due) })
    }
    return tasks
  }

  /** Run everything due in a scope, in time order, up to `upTo`. */
  runDue(scope: string | null, upTo: number): number {
    let n = 0
    for (let guard = 0; guard < 5000; guard++) {
      const tasks = this.dueTasks(scope, upTo)
      if (tasks.length === 0) break
      tasks.sort((a, b) => a.at - b.at || a.prio - b.prio)
      const t = tasks[0]
      this.withPinned(scope, t.at, () => this.store.transaction(() => t.run()))
      n++
    }
    return n
  }

  // ---- schedules (hooks implemented in schedules.ts) ---------------------------------------------

  scheduleNextTransition: (sch: Stripe.SubscriptionSchedule) => number | null = () => null
  scheduleTransition: (id: string, at: number) => void = () => {}

  // ---- previews ----------------------------------------------------------------------------------

  /** The next renewal invoice of a subscription as it stands (not stored). */
  previewUpcoming(sub: Sub, at: number, extra: LineSpec[] = [], itemsOverride?: Stripe.SubscriptionItem[]): Inv {
    const customer = idOf(sub.customer as string)!
    const items = itemsOverride ?? sub.items.data
    const first = items[0]
    const r = this.recurrence(first.price)
    let period = { start: first.current_period_start, end: first.current_period_end }
    let newPeriod: { start: number; end: number }
    if (sub.status === 'trialing' && sub.trial_end) newPeriod = { start: sub.trial_end, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, sub.trial_end) }
    else newPeriod = { start: period.end, end: nextBoundaryAfter(sub.billing_cycle_anchor, r, period.end) }
    if (sub.status === 'trialing') period = { start: sub.trial_start ?? at, end: newPeriod.start }
    const specs: LineSpec[] = items.filter((it) => !this.isMetered(it.price)).map((it) => this.itemLine(sub, it, newPeriod))
    for (const it of items) if (this.isMetered(it.price)) specs.push(this.usageLine(sub, it, period))
    for (const ii of this.pendingItems(customer, sub.id)) specs.push(this.specFromInvoiceItem(ii))
    specs.push(...extra)
    const inv = this.buildInvoice({ customer, currency: sub.currency, subscription: sub, billingReason: 'upcoming', specs, discounts: this.discountLikes(sub.discounts as string[], newPeriod.start).map((d) => d.id), at: newPeriod.start, period })
    return this.asPreview(inv)
  }

  asPreview(inv: Inv): Inv {
    const id = `upcoming_${inv.id.replace(/^in_/, '')}`
    inv.id = id
    inv.lines.url = `/v1/invoices/${id}/lines`
    for (const l of inv.lines.data) l.invoice = id
    inv.payments = apiList([], `/v1/invoice_payments?invoice=${id}`)
    return inv
  }

  periodOf(sub: Sub): { start: number; end: number } {
    const first = sub.items.data[0]
    if (first) return { start: first.current_period_start, end: first.current_period_end }
    return periodContaining(sub.billing_cycle_anchor, { interval: 'month', interval_count: 1 }, sub.created)
  }

  addDuration = addDuration
}
