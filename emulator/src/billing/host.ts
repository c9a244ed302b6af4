/**
 * What the billing engine needs from the emulator core. `install.ts` adapts the core's framework to
 * this interface, so the engine itself does not depend on how the core is built.
 */
import type Stripe from 'stripe'

export interface Store {
  get<T>(kind: string, id: string): T | null
  put<T extends { id: string }>(kind: string, obj: T): void
  list<T>(kind: string): T[]
  delete(kind: string, id: string): void
}

export interface ChargeRequest {
  amount: number
  currency: string
  customer: string
  payment_method: string | null
  off_session: boolean
  confirm: boolean
  description: string
  metadata?: Record<string, string>
  /** 'off_session' when the payment method should be saved for later (save_default_payment_method). */
  setup_future_usage?: 'off_session' | null
}

export interface Host {
  /** Wall/global clock of the emulator (unix seconds). */
  globalNow(): number
  store: Store
  publicUrl(): string
  /** Emit an event (type, object) with optional previous attributes. */
  emit(type: string, object: { id?: string; object: string }, previous?: Record<string, unknown>): void
  newId(prefix: string): string
  getCustomer(id: string): Stripe.Customer | null
  saveCustomer(c: Stripe.Customer): void
  getPrice(id: string): Stripe.Price | null
  getProduct(id: string): Stripe.Product | null
  getPaymentMethod(id: string): Stripe.PaymentMethod | null
  /** Create a PaymentIntent (and confirm it when asked), never throwing on declines. */
  createPaymentIntent(req: ChargeRequest): Stripe.PaymentIntent
  getPaymentIntent(id: string): Stripe.PaymentIntent | null
  /** Confirm an existing PaymentIntent off-session with a payment method; never throws on declines. */
  confirmPaymentIntent(id: string, paymentMethod: string, offSession: boolean): Stripe.PaymentIntent
  cancelPaymentIntent(id: string): void
  createSetupIntent(req: { customer: string; usage: 'off_session'; description?: string; metadata?: Record<string, string> }): Stripe.SetupIntent
  getSetupIntent(id: string): Stripe.SetupIntent | null
}
