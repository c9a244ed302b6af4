/**
 * Invoices: invoice items, drafts, finalization (with the PaymentIntent), payment attempts and
 * retries, paid / void / uncollectible. Subscriptions are not imported: they react to the events
 * emitted here (`invoice.paid`, `invoice.payment_failed`) through the emulator's event hooks.
 */
import type Stripe from 'stripe';
import { errors } from '../../core/errors';
import { applyBalance } from '../invoice-math';
import { apiList, DAY, dec, decOrNull, idOf } from '../util';
import { type Billing, type Sub, type Inv, type LineSpec } from './context';
import { clockOfCustomer, nowForCustomer } from './clock';
import { applyCredits, reinstateCredits } from './credits';
import { defaultPaymentMethod, getInvoice, getSub, invState, setInvState } from './lookups';
import { buildInvoice, type BuildInvoiceOpts, recomputeDraft, specFromInvoiceItem } from './lines';

/** Pending invoice items of a customer (optionally only those of a subscription). */
export function pendingItems(b: Billing, customer: string, subscriptionId: string | null | undefined): Stripe.InvoiceItem[] {
  return (b.store.all('invoiceitem', { where: { customer } }) as Stripe.InvoiceItem[])
    .filter((ii) => ii.invoice == null)
    .filter((ii) => {
      const s = ii.parent?.subscription_details?.subscription ?? null;
      return subscriptionId === undefined ? true : subscriptionId === null ? s == null : s == null || s === subscriptionId;
    })
    .reverse();
}

/** Store a pending invoice item from a spec (e.g. a proration). */
export function createInvoiceItem(b: Billing, customer: string, currency: string, spec: LineSpec, at: number): Stripe.InvoiceItem {
  const ii: Stripe.InvoiceItem = {
    id: b.host.newId('ii'),
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
      ? ({
          type: 'subscription_details',
          subscription_details: { subscription: spec.subscription, subscription_item: spec.subscriptionItem ?? undefined },
        } as Stripe.InvoiceItem.Parent)
      : null,
    period: spec.period,
    pricing: spec.price
      ? {
          type: 'price_details',
          price_details: { price: spec.price.id, product: idOf(spec.price.product as string)! },
          unit_amount_decimal: decOrNull(spec.unitAmount),
        }
      : spec.unitAmount != null
        ? ({ type: 'price_details', unit_amount_decimal: dec(spec.unitAmount) } as Stripe.InvoiceItem.Pricing)
        : null,
    proration: spec.proration,
    proration_details: { credited_items: null, discount_amounts: [] },
    quantity: spec.quantity ?? 1,
    quantity_decimal: dec(spec.quantity ?? 1),
    tax_rates: [],
    test_clock: clockOfCustomer(b, customer),
  };
  b.store.put('invoiceitem', ii as never);
  b.host.emit('invoiceitem.created', ii);
  return ii;
}

/** Store a new draft invoice, attach pending items, emit invoice.created. */
export function createInvoice(b: Billing, opts: BuildInvoiceOpts & { includePending?: boolean }): Inv {
  const id = b.host.newId('in');
  const specs = [...opts.specs];
  const pending = opts.includePending ? pendingItems(b, opts.customer, opts.subscription?.id ?? null) : [];
  for (const ii of pending) specs.push(specFromInvoiceItem(b, ii));
  const inv = buildInvoice(b, { ...opts, id, specs });
  for (const ii of pending) {
    ii.invoice = id;
    b.store.put('invoiceitem', ii as never);
  }
  b.store.put('invoice', inv as never);
  b.host.emit('invoice.created', inv);
  return inv;
}

function invoiceNumber(b: Billing, customer: string): string {
  const c = b.host.getCustomer(customer);
  const key = `billing_invoice_seq:${customer}`;
  const seq = Number(b.store.getMeta(key) ?? '0') + 1;
  b.store.setMeta(key, String(seq));
  const prefix = c?.invoice_prefix ?? customer.replace(/^cus_/, '').slice(0, 8).toUpperCase();
  return `${prefix}-${String(seq).padStart(4, '0')}`;
}

/** draft → open (or paid when nothing is due). Creates the PaymentIntent. */
export function finalize(b: Billing, inv: Inv, at: number): Inv {
  if (inv.status !== 'draft')
    throw errors.invalid(
      `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      undefined,
      'invoice_not_editable',
    );
  const customer = idOf(inv.customer as string)!;
  const c = b.host.getCustomer(customer);
  recomputeDraft(b, inv);
  applyCredits(b, inv, at);
  const bal = applyBalance(inv.total, c?.balance ?? 0);
  inv.starting_balance = bal.starting_balance;
  inv.ending_balance = bal.ending_balance;
  inv.amount_due = bal.amount_due;
  inv.amount_remaining = bal.amount_due;
  if (c && c.balance !== bal.ending_balance) {
    c.balance = bal.ending_balance;
    b.host.saveCustomer(c);
  }
  if (c) {
    // As on Stripe, the billing details are frozen when the invoice is finalized.
    inv.customer_name = c.name ?? null;
    inv.customer_email = c.email ?? null;
    inv.customer_address = c.address ?? null;
    inv.customer_tax_ids = b.host
      .customerTaxIds(customer)
      .map((t) => ({ type: t.type as Stripe.Invoice.CustomerTaxId.Type, value: t.value }));
  }
  inv.number = invoiceNumber(b, customer);
  inv.status = 'open';
  inv.status_transitions.finalized_at = at;
  inv.effective_at = at;
  inv.auto_advance = true;
  const base = b.host.publicUrl().replace(/\/$/, '');
  inv.hosted_invoice_url = `${base}/invoices/${inv.id}`;
  inv.invoice_pdf = `${base}/invoices/${inv.id}/pdf`;
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = subId ? getSub(b, idOf(subId as string)!) : null;
  if (inv.amount_due > 0) {
    const pi = b.host.createPaymentIntent({
      amount: inv.amount_due,
      currency: inv.currency,
      customer,
      payment_method: null,
      off_session: false,
      confirm: false,
      description:
        inv.billing_reason === 'subscription_create'
          ? 'Subscription creation'
          : inv.billing_reason === 'subscription_cycle'
            ? 'Subscription update'
            : `Invoice ${inv.number}`,
      setup_future_usage: sub?.payment_settings?.save_default_payment_method === 'on_subscription' ? 'off_session' : null,
    });
    const ip: Stripe.InvoicePayment = {
      id: b.host.newId('inpay'),
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
    };
    b.store.put('invoice_payment', ip as never);
    inv.payments = apiList([ip], `/v1/invoice_payments?invoice=${inv.id}`);
    setInvState(b, inv.id, { paymentIntent: pi.id, confirmationSecret: pi.client_secret });
    b.store.setMeta(`billing_pi_invoice:${pi.id}`, inv.id);
  }
  b.store.put('invoice', inv as never);
  b.host.emit('invoice.finalized', inv);
  if (inv.amount_due === 0) markPaid(b, inv, null, at);
  return getInvoice(b, inv.id) ?? inv;
}

function invoiceForPaymentIntent(b: Billing, piId: string): Inv | null {
  const id = b.store.getMeta(`billing_pi_invoice:${piId}`);
  return id ? getInvoice(b, id) : null;
}

/** The includable `confirmation_secret` of an invoice. */
export function confirmationSecret(b: Billing, inv: Inv): Stripe.Invoice.ConfirmationSecret | null {
  const s = invState(b, inv.id);
  if (!s.confirmationSecret || inv.status !== 'open') return null;
  return { client_secret: s.confirmationSecret, type: 'payment_intent' };
}

/**
 * Charge an open invoice with a payment method. Returns whether it got paid. Never throws on a
 * decline (the failure is recorded and events emitted).
 */
export function attemptPayment(
  b: Billing,
  invIn: Inv,
  paymentMethod: string | null,
  at: number,
  opts: { offSession: boolean; automatic: boolean },
): { paid: boolean; pi: Stripe.PaymentIntent | null } {
  let inv = invIn;
  if (inv.status !== 'open') return { paid: inv.status === 'paid', pi: null };
  const st = invState(b, inv.id);
  inv.attempt_count += 1;
  inv.attempted = true;
  if (st.firstAttemptAt == null) setInvState(b, inv.id, { firstAttemptAt: at });
  b.store.put('invoice', inv as never);
  let pi: Stripe.PaymentIntent | null = null;
  if (paymentMethod && st.paymentIntent) {
    b.attempting.add(inv.id);
    try {
      pi = b.host.confirmPaymentIntent(st.paymentIntent, paymentMethod, opts.offSession);
    } finally {
      b.attempting.delete(inv.id);
    }
  }
  inv = getInvoice(b, inv.id) ?? inv;
  if (pi && pi.status === 'succeeded') {
    if (inv.status === 'open') markPaid(b, inv, pi, at);
    return { paid: true, pi };
  }
  paymentFailed(b, inv, at, opts.automatic);
  return { paid: false, pi };
}

/**
 * Record a failed attempt by the engine and schedule the next retry. The subscription reacts to the
 * `invoice.payment_failed` event (subscriptions.ts), reading `failedAttempt` from the invoice's state.
 */
function paymentFailed(b: Billing, inv: Inv, at: number, automatic: boolean): void {
  const subId = inv.parent?.subscription_details?.subscription;
  const sub = subId ? getSub(b, idOf(subId as string)!) : null;
  const first = invState(b, inv.id).firstAttemptAt ?? at;
  // A pending update's invoice is not retried: it waits for the customer (or expires with the update).
  const pendingUpdate = !!sub?.pending_update && idOf(sub.latest_invoice as string | null) === inv.id;
  if (inv.billing_reason === 'subscription_create' || !sub || pendingUpdate) {
    inv.next_payment_attempt = null;
  } else if (automatic || inv.next_payment_attempt != null || inv.attempt_count === 1) {
    const retryIndex = inv.attempt_count - 1;
    if (retryIndex < b.settings.retryDays.length) {
      inv.next_payment_attempt = first + b.settings.retryDays[retryIndex] * DAY;
    } else {
      inv.next_payment_attempt = null;
    }
  }
  b.store.put('invoice', inv as never);
  setInvState(b, inv.id, { failedAttempt: { at, automatic } });
  b.host.emit('invoice.payment_failed', inv);
  // An off-session renewal the bank wants authenticated (3D Secure): Stripe also asks the customer to act.
  const piId = invState(b, inv.id).paymentIntent;
  const pi = piId ? b.host.getPaymentIntent(piId) : null;
  if (pi?.last_payment_error?.code === 'authentication_required') b.host.emit('invoice.payment_action_required', inv);
}

/** Mark an invoice paid. The subscription reacts to the `invoice.paid` event (subscriptions.ts). */
export function markPaid(b: Billing, inv: Inv, pi: Stripe.PaymentIntent | null, at: number, outOfBand = false): void {
  if (inv.status === 'paid') return;
  inv.status = 'paid';
  inv.amount_paid = outOfBand ? 0 : inv.amount_due;
  if (outOfBand) inv.amount_paid_off_stripe = inv.amount_due;
  inv.amount_remaining = 0;
  inv.attempted = true;
  inv.next_payment_attempt = null;
  inv.status_transitions.paid_at = at;
  inv.auto_advance = false;
  if (pi) {
    inv.default_payment_method = null;
  }
  const payments = inv.payments?.data ?? [];
  for (const ip of payments) {
    ip.status = 'paid';
    ip.amount_paid = inv.amount_due;
    ip.status_transitions.paid_at = at;
    b.store.put('invoice_payment', ip as never);
  }
  b.store.put('invoice', inv as never);
  b.host.emit('invoice.paid', inv);
  b.host.emit('invoice.payment_succeeded', inv);
  for (const ip of payments) b.host.emit('invoice_payment.paid', ip);
}

export function voidInvoice(b: Billing, inv: Inv, at: number): Inv {
  if (inv.status === 'void') return inv;
  if (inv.status !== 'open' && inv.status !== 'uncollectible' && inv.status !== 'draft')
    throw errors.invalid(`You can only void invoices that are open or uncollectible. This invoice is ${inv.status}.`);
  inv.status = 'void';
  inv.status_transitions.voided_at = at;
  inv.next_payment_attempt = null;
  inv.amount_remaining = 0;
  inv.auto_advance = false;
  const st = invState(b, inv.id);
  if (st.paymentIntent) {
    try {
      b.host.cancelPaymentIntent(st.paymentIntent);
    } catch {
      /* already final */
    }
  }
  for (const ip of inv.payments?.data ?? []) {
    ip.status = 'canceled';
    ip.status_transitions.canceled_at = at;
    b.store.put('invoice_payment', ip as never);
  }
  b.store.put('invoice', inv as never);
  b.host.emit('invoice.voided', inv);
  reinstateCredits(b, inv, at);
  return inv;
}

export function markUncollectible(b: Billing, inv: Inv, at: number): Inv {
  if (inv.status !== 'open') throw errors.invalid(`You can only mark open invoices as uncollectible. This invoice is ${inv.status}.`);
  inv.status = 'uncollectible';
  inv.status_transitions.marked_uncollectible_at = at;
  inv.next_payment_attempt = null;
  inv.auto_advance = false;
  b.store.put('invoice', inv as never);
  b.host.emit('invoice.marked_uncollectible', inv);
  return inv;
}

/**
 * Finalize (if draft) and charge a subscription invoice automatically; a `send_invoice` one is
 * finalized and left open for the customer to pay by its due date.
 */
export function collect(b: Billing, inv: Inv, sub: Sub | null, at: number, offSession = true): Inv {
  let cur = inv.status === 'draft' ? finalize(b, inv, at) : inv;
  if (cur.status === 'open' && cur.collection_method !== 'send_invoice') {
    const pm = defaultPaymentMethod(b, sub, idOf(cur.customer as string)!);
    attemptPayment(b, cur, pm, at, { offSession, automatic: true });
    cur = getInvoice(b, cur.id) ?? cur;
  }
  return cur;
}

/** PaymentIntent succeeded (confirmed by the client): pay the invoice it belongs to. */
export function onPaymentIntentSucceeded(b: Billing, pi: Stripe.PaymentIntent): void {
  const inv = invoiceForPaymentIntent(b, pi.id);
  if (!inv || inv.status !== 'open' || b.attempting.has(inv.id)) return;
  const at = nowForCustomer(b, idOf(inv.customer as string));
  inv.attempt_count += 1;
  inv.attempted = true;
  markPaid(b, inv, pi, at);
}

/** PaymentIntent failed on a client-side confirm. */
export function onPaymentIntentFailed(b: Billing, pi: Stripe.PaymentIntent): void {
  const inv = invoiceForPaymentIntent(b, pi.id);
  if (!inv || inv.status !== 'open' || b.attempting.has(inv.id)) return;
  inv.attempt_count += 1;
  inv.attempted = true;
  b.store.put('invoice', inv as never);
  setInvState(b, inv.id, { failedAttempt: null });
  b.host.emit('invoice.payment_failed', inv);
}
