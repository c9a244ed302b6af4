/**
 * What the billing engine needs from the emulator core (`Host`), and `createHost`, which adapts the
 * core's framework to it, so the engine itself does not depend on how the core is built.
 */
import type Stripe from 'stripe';
import { taxIdsOf } from '../resources/tax-ids';
import type { Ctx, EmulatorApp } from '../core';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent } from '../resources/payment-intents';
import { createSetupIntent } from '../resources/setup-intents';

interface ChargeRequest {
  amount: number;
  currency: string;
  customer: string;
  payment_method: string | null;
  off_session: boolean;
  confirm: boolean;
  description: string;
  metadata?: Record<string, string>;
  /** 'off_session' when the payment method should be saved for later (save_default_payment_method). */
  setup_future_usage?: 'off_session' | null;
}

export interface Host {
  /** Wall/global clock of the emulator (unix seconds). */
  globalNow(): number;
  publicUrl(): string;
  /** Emit an event (type, object) with optional previous attributes. */
  emit(type: string, object: { id?: string; object: string }, previous?: Record<string, unknown>): void;
  newId(prefix: string): string;
  getCustomer(id: string): Stripe.Customer | null;
  /** The customer's tax IDs, oldest first (printed on invoices at finalization). */
  customerTaxIds(id: string): Stripe.TaxId[];
  saveCustomer(c: Stripe.Customer): void;
  getPrice(id: string): Stripe.Price | null;
  getProduct(id: string): Stripe.Product | null;
  getPaymentMethod(id: string): Stripe.PaymentMethod | null;
  /** Create a PaymentIntent (and confirm it when asked), never throwing on declines. */
  createPaymentIntent(req: ChargeRequest): Stripe.PaymentIntent;
  getPaymentIntent(id: string): Stripe.PaymentIntent | null;
  /** Confirm an existing PaymentIntent off-session with a payment method; never throws on declines. */
  confirmPaymentIntent(id: string, paymentMethod: string, offSession: boolean): Stripe.PaymentIntent;
  cancelPaymentIntent(id: string): void;
  createSetupIntent(req: { customer: string; usage: 'off_session' }): Stripe.SetupIntent;
}

/** The host for `app`; `ctx()` is the request or job the engine currently works for. */
export function createHost(app: EmulatorApp, ctx: () => Ctx): Host {
  return {
    globalNow: () => app.clock.now(),
    publicUrl: () => app.publicUrl,
    emit: (type, object, previous) => {
      ctx().emit(type, object as { id: string }, previous ?? null);
    },
    newId: (prefix) => ctx().newId(prefix),
    getCustomer: (id) => app.store.get('customer', id) as Stripe.Customer | null,
    customerTaxIds: (id) => taxIdsOf(app, id),
    saveCustomer: (c) => {
      app.store.put('customer', c as never);
    },
    getPrice: (id) => app.store.get('price', id) as Stripe.Price | null,
    getProduct: (id) => app.store.get('product', id, { includeDeleted: true }) as Stripe.Product | null,
    getPaymentMethod: (id) => app.store.get('payment_method', id) as Stripe.PaymentMethod | null,
    createPaymentIntent: (req) =>
      createPaymentIntent(
        ctx(),
        {
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
        },
        { throwOnDecline: false },
      ),
    getPaymentIntent: (id) => app.store.get('payment_intent', id) as Stripe.PaymentIntent | null,
    confirmPaymentIntent: (id, pm, offSession) => {
      const pi = app.store.get('payment_intent', id) as Stripe.PaymentIntent;
      return confirmPaymentIntent(ctx(), pi, { payment_method: pm, off_session: offSession, throwOnDecline: false });
    },
    cancelPaymentIntent: (id) => {
      const pi = app.store.get('payment_intent', id) as Stripe.PaymentIntent | null;
      if (!pi || pi.status === 'succeeded' || pi.status === 'canceled') return;
      cancelPaymentIntent(ctx(), pi, 'void_invoice');
    },
    createSetupIntent: (req) =>
      createSetupIntent(
        ctx(),
        { customer: req.customer, usage: req.usage, automatic_payment_methods: { enabled: true, allow_redirects: 'never' } },
        { throwOnDecline: false },
      ),
  };
}
