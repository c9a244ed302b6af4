/**
 * Refunds (`/v1/refunds` create/retrieve/update/list/cancel). A card refund succeeds at once (as in
 * Stripe test mode): it adds to the charge's `amount_refunded` (`refunded` once all of it is back),
 * books a `refund` balance transaction, and emits `refund.created` then `charge.refunded`. The
 * billing module reacts to `refund.created` for a charge that paid an invoice (a post-payment credit
 * note, billing/routes/credit-notes.ts). The charge's refunds are includable (`expand[]=refunds`).
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, StripeError, type Ctx, type EmulatorApp } from '../core';
import { recordBalanceTransaction } from './balance-transactions';

const reasonParam = p.enum(['duplicate', 'fraudulent', 'requested_by_customer'] as const);

export interface RefundInput {
  charge?: string;
  payment_intent?: string;
  amount?: number;
  reason?: Stripe.RefundCreateParams.Reason;
  metadata?: Record<string, string | null> | null;
  /** Internal: the credit note this refund belongs to (it then makes no credit note of its own). */
  creditNote?: string;
}

interface RefundInternal {
  creditNote?: string;
}

/** Whether a refund was made by a credit note (billing must not make another for it). */
export function refundCreditNote(ctx: Ctx, refundId: string): string | null {
  return ctx.store.getInternal<RefundInternal>(refundId)?.creditNote ?? null;
}

function money(amount: number, currency: string): string {
  return `${currency === 'usd' ? '$' : ''}${(amount / 100).toFixed(2)}${currency === 'usd' ? '' : ` ${currency.toUpperCase()}`}`;
}

function chargeToRefund(ctx: Ctx, input: RefundInput): Stripe.Charge {
  if (!input.charge && !input.payment_intent)
    throw new StripeError({
      status: 400,
      type: 'invalid_request_error',
      code: 'parameter_missing',
      message: 'One of the following params should be provided for this request: payment_intent or charge.',
    });
  if (input.payment_intent) {
    const pi = ctx.store.require('payment_intent', input.payment_intent, 'payment_intent');
    const latest = typeof pi.latest_charge === 'string' ? pi.latest_charge : (pi.latest_charge?.id ?? null);
    if (pi.status !== 'succeeded' || !latest)
      throw errors.invalid(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        'payment_intent',
        'charge_not_refundable',
      );
    if (input.charge && input.charge !== latest)
      throw errors.invalid(`Charge ${input.charge} does not belong to PaymentIntent ${pi.id}.`, 'charge');
    return ctx.store.require('charge', latest, 'charge');
  }
  const ch = ctx.store.require('charge', input.charge!, 'charge');
  if (ch.status !== 'succeeded')
    throw errors.invalid(`Charge ${ch.id} has a status of ${ch.status} and cannot be refunded.`, 'charge', 'charge_not_refundable');
  if (!ch.captured)
    throw errors.invalid(
      `Charge ${ch.id} has not been captured. Cancel its PaymentIntent to release the authorization instead.`,
      'charge',
      'charge_not_refundable',
    );
  return ch;
}

/** Refund (part of) a charge: the money goes back to the card at once. */
export function createRefund(ctx: Ctx, input: RefundInput): Stripe.Refund {
  const ch = chargeToRefund(ctx, input);
  const left = ch.amount_captured - ch.amount_refunded;
  if (left <= 0) throw errors.invalid(`Charge ${ch.id} has already been refunded.`, 'charge', 'charge_already_refunded');
  const amount = input.amount ?? left;
  if (amount > left)
    throw errors.invalid(
      `Refund amount (${money(amount, ch.currency)}) is greater than unrefunded amount on charge (${money(left, ch.currency)})`,
      'amount',
      'amount_too_large',
    );
  const id = ctx.newId('re');
  const bt = recordBalanceTransaction(ctx, {
    amount: -amount,
    currency: ch.currency,
    description: `REFUND FOR CHARGE (${ch.description ?? 'Payment'})`,
    source: id,
    type: 'refund',
    fee: 0,
  });
  const refund: Stripe.Refund = {
    id,
    object: 'refund',
    amount,
    balance_transaction: bt.id,
    charge: ch.id,
    created: ctx.now(),
    currency: ch.currency,
    customer: ch.customer,
    customer_account: null,
    destination_details: {
      card: {
        reference: String(10 ** 22 + Math.floor(Math.random() * 1e15)),
        reference_status: 'available',
        reference_type: 'acquirer_reference_number',
        type: 'refund',
      },
      type: 'card',
    },
    metadata: applyMetadata({}, input.metadata),
    payment_intent: ch.payment_intent,
    payment_method: ch.payment_method,
    reason: input.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  ctx.store.put('refund', refund);
  if (input.creditNote) ctx.store.setInternal(id, { creditNote: input.creditNote } satisfies RefundInternal);
  const next: Stripe.Charge = { ...ch, amount_refunded: ch.amount_refunded + amount };
  next.refunded = next.amount_refunded >= ch.amount_captured;
  ctx.store.put('charge', next);
  ctx.emit('refund.created', refund);
  ctx.emit('charge.refunded', next, previousAttributes(ch, next));
  return refund;
}

function refundsOf(ctx: Ctx, chargeId: string): Stripe.ApiList<Stripe.Refund> {
  return ctx.list('refund', { limit: 100 }, { where: { charge: chargeId } }, `/v1/charges/${chargeId}/refunds`);
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'refund', prefix: 're', displayName: 'refund' });
  app.includable('charge', 'refunds', (ctx, ch: Stripe.Charge) => refundsOf(ctx, ch.id));

  app.post(
    '/v1/refunds',
    p.object({
      charge: p.string(),
      payment_intent: p.string(),
      amount: p.integer({ min: 1 }),
      reason: reasonParam,
      metadata: p.metadata(),
      currency: p.string(),
      customer: p.string(),
      instructions_email: p.string(),
      origin: p.enum(['customer_balance'] as const),
      refund_application_fee: p.boolean(),
      reverse_transfer: p.boolean(),
    }),
    (ctx, params) => {
      if (params.origin)
        throw errors.invalidParam('origin', 'Refunds of a customer cash balance are not supported by the emulator (no cash balances).');
      return createRefund(ctx, params);
    },
  );

  app.get('/v1/refunds/:id', p.object({}), (ctx, _params, req) => ctx.store.require('refund', req.pathParams.id!, 'id'));

  app.post('/v1/refunds/:id', p.object({ metadata: p.metadata() }), (ctx, params, req) => {
    const before = ctx.store.require('refund', req.pathParams.id!, 'id') as Stripe.Refund;
    const after: Stripe.Refund = { ...before, metadata: applyMetadata(before.metadata ?? {}, params.metadata) };
    const prev = previousAttributes(before, after);
    ctx.store.put('refund', after);
    if (prev) {
      ctx.emit('refund.updated', after, prev);
      ctx.emit('charge.refund.updated', after, prev);
    }
    return after;
  });

  app.post('/v1/refunds/:id/cancel', p.object({}), (ctx, _params, req) => {
    const refund = ctx.store.require('refund', req.pathParams.id!, 'id') as Stripe.Refund;
    throw errors.invalid(
      `You can only cancel refunds with a status of requires_action. This refund (${refund.id}) has a status of ${refund.status}.`,
    );
  });

  app.get('/v1/charges/:id/refunds', p.object({ ...listParams }), (ctx, params, req) => {
    const ch = ctx.store.require('charge', req.pathParams.id!, 'charge');
    return ctx.list('refund', params, { where: { charge: ch.id } }, `/v1/charges/${ch.id}/refunds`);
  });
  app.get('/v1/charges/:id/refunds/:refund', p.object({}), (ctx, _params, req) => {
    const refund = ctx.store.require('refund', req.pathParams.refund!, 'refund') as Stripe.Refund;
    if (refund.charge !== req.pathParams.id) throw errors.noSuch('refund', refund.id, 'refund');
    return refund;
  });

  app.get('/v1/refunds', p.object({ ...listParams, charge: p.string(), payment_intent: p.string() }), (ctx, params) =>
    ctx.list('refund', params, { where: { charge: params.charge, payment_intent: params.payment_intent } }, '/v1/refunds'),
  );
}
