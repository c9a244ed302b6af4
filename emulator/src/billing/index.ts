/**
 * Billing module entry: `register(app)` wires the billing engine into the emulator framework.
 */
import type Stripe from 'stripe'
import type { Ctx, EmulatorApp } from '../core'
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent } from '../resources/payment-intents'
import { createSetupIntent } from '../resources/setup-intents'
import { BillingEngine } from './engine'
import type { ChargeRequest, Host } from './host'
import { Schedules } from './schedules'
import { registerMeters } from './meters'
import { registerRoutes } from './routes'
import { registerCheckout } from './checkout'

export interface BillingModule {
  engine: BillingEngine
  schedules: Schedules
  /** Run fn with ctx as the engine's current request/job context. */
  run<R>(ctx: Ctx, fn: () => R): R
  /** Run everything due for a clock scope (null = global) up to `until`. */
  runDue(ctx: Ctx, scope: string | null, until: number): number
  /** Reschedule the global tick job after state changed. */
  reschedule(ctx: Ctx): void
}

export function register(app: EmulatorApp): void {
  let current: Ctx | null = null
  const ctx = (): Ctx => {
    if (!current) throw new Error('billing: no current context')
    return current
  }
  const host: Host = {
    globalNow: () => app.clock.now(),
    store: null as never,
    publicUrl: () => app.publicUrl,
    emit: (type, object, previous) => {
      ctx().emit(type, object as { id: string }, previous ?? null)
    },
    newId: (prefix) => ctx().newId(prefix),
    getCustomer: (id) => app.store.get('customer', id) as Stripe.Customer | null,
    saveCustomer: (c) => {
      app.store.put('customer', c as never)
    },
    getPrice: (id) => app.store.get('price', id) as Stripe.Price | null,
    getProduct: (id) => app.store.get('product', id, { includeDeleted: true }) as Stripe.Product | null,
    getPaymentMethod: (id) => app.store.get('payment_method', id) as Stripe.PaymentMethod | null,
    createPaymentIntent: (req: ChargeRequest) =>
      createPaymentIntent(ctx(), {
        amount: req.amount,
        currency: req.currency,
        customer: req.customer,
        payment_method: req.payment_method ?? undefined,
        off_session: req.off_session || undefined,
        confirm: req.confirm || undefined,
        description: req.description,
        metadata: req.metadata,
        setup_future_usage: req.setup_future_usage ?? undefined,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      }, { throwOnDecline: false }),
    getPaymentIntent: (id) => app.store.get('payment_intent', id) as Stripe.PaymentIntent | null,
    confirmPaymentIntent: (id, pm, offSession) => {
      const pi = app.store.get('payment_intent', id) as Stripe.PaymentIntent
      return confirmPaymentIntent(ctx(), pi, { payment_method: pm, off_session: offSession, throwOnDecline: false })
    },
    cancelPaymentIntent: (id) => {
      const pi = app.store.get('payment_intent', id) as Stripe.PaymentIntent | null
      if (!pi || pi.status === 'succeeded' || pi.status === 'canceled') return
      cancelPaymentIntent(ctx(), pi, 'void_invoice')
    },
    createSetupIntent: (req) =>
      createSetupIntent(ctx(), { customer: req.customer, usage: req.usage, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } }, { throwOnDecline: false }),
    getSetupIntent: (id) => app.store.get('setup_intent', id) as Stripe.SetupIntent | null,
  }
  host.store = app.store as never

  const engine = new BillingEngine(app.store, host)
  const schedules = new Schedules(engine)

  const run = <R>(c: Ctx, fn: () => R): R => {
    const prev = current
    current = c
    try {
      // lazily catch up with real time on the global clock
      if (!prev) engine.runDue(null, app.clock.now())
      const r = fn()
      if (!prev) reschedule(c)
      return r
    } finally {
      current = prev
    }
  }

  const runDue = (c: Ctx, scope: string | null, until: number): number => {
    const prev = current
    current = c
    try {
      return scope === null ? app.clock.pinnedAt(until, () => engine.runDue(null, until)) : engine.runDue(scope, until)
    } finally {
      current = prev
    }
  }

  /** Keep one global job at the time of the next due billing task. */
  const reschedule = (c: Ctx): void => {
    let next: number | null = null
    for (const t of engine.dueTasks(null, Number.MAX_SAFE_INTEGER)) if (next === null || t.at < next) next = t.at
    if (next === null) c.cancelJobs('billing.tick')
    else c.schedule('billing.tick', next, null, { key: 'billing.tick' })
  }

  app.defineJob('billing.tick', (c) => {
    const prev = current
    current = c
    try {
      engine.runDue(null, c.now())
      reschedule(c)
    } finally {
      current = prev
    }
  })

  // intents → invoices / subscriptions
  app.onEvent('payment_intent.succeeded', (c, event) => {
    const prev = current
    current = c
    try {
      engine.onPaymentIntentSucceeded(event.data.object as Stripe.PaymentIntent)
    } finally {
      current = prev
    }
  })
  app.onEvent('payment_intent.payment_failed', (c, event) => {
    const prev = current
    current = c
    try {
      engine.onPaymentIntentFailed(event.data.object as Stripe.PaymentIntent)
    } finally {
      current = prev
    }
  })
  app.onEvent('setup_intent.succeeded', (c, event) => {
    const prev = current
    current = c
    try {
      engine.onSetupIntentSucceeded(event.data.object as Stripe.SetupIntent)
    } finally {
      current = prev
    }
  })

  const mod: BillingModule = { engine, schedules, run, runDue, reschedule }
  registerRoutes(app, mod)
  registerMeters(app, engine, run)
  registerCheckout(app, mod)
  ;(app as unknown as { billing?: BillingModule }).billing = mod
}
