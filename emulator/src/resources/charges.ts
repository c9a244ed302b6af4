/** The Charge a payment attempt creates (succeeded or failed), and the card error of a declined one. */
import type Stripe from 'stripe';
import { base62, StripeError, type Ctx } from '../core';
import type { TestCard } from './cards';

export function buildCharge(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  card: TestCard,
  decline: { code: string; decline_code?: string; message: string } | null,
  threeDs: boolean,
): Stripe.Charge {
  const c = pm.card!;
  const captured = !decline && pi.capture_method !== 'manual';
  const id = ctx.newId('ch');
  const ch: Stripe.Charge = {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: captured ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: decline ? null : ctx.newId('txn'),
    billing_details: pm.billing_details,
    calculated_statement_descriptor: 'STRIPE EMULATOR',
    captured,
    created: ctx.now(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: decline ? decline.code : null,
    failure_message: decline ? decline.message : null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: decline
      ? {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'declined_by_network',
          reason: decline.decline_code ?? decline.code,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : {
          advice_code: null,
          network_advice_code: null,
          network_decline_code: null,
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
    paid: !decline,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        amount_authorized: decline ? null : pi.amount,
        authorization_code: decline ? null : String(100000 + Math.floor(Math.random() * 899999)),
        brand: c.brand,
        checks: c.checks,
        country: c.country,
        electronic_commerce_indicator: threeDs ? '05' : null,
        exp_month: c.exp_month,
        exp_year: c.exp_year,
        fingerprint: c.fingerprint,
        funding: c.funding,
        installments: null,
        last4: c.last4,
        mandate: null,
        network: card.brand === 'amex' ? 'amex' : card.brand,
        network_token: { used: false },
        network_transaction_id: decline ? null : base62(15),
        regulated_status: 'unregulated',
        three_d_secure: threeDs
          ? {
              authentication_flow: 'challenge',
              electronic_commerce_indicator: '05',
              exemption_indicator: null,
              result: 'authenticated',
              result_reason: null,
              transaction_id: base62(32),
              version: '2.2.0',
            }
          : null,
        transaction_link_id: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: decline ? null : `${ctx.publicUrl}/receipts/${id}`,
    refunded: false,
    review: null,
    shipping: pi.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    status: decline ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
  ctx.store.put('charge', ch);
  return ch;
}

/** The 402 card error for a declined PaymentIntent (commits: the failed charge stays). */
export function declineError(
  ctx: Ctx,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  lpe: Stripe.PaymentIntent.LastPaymentError,
): StripeError {
  return new StripeError({
    status: 402,
    type: 'card_error',
    code: lpe.code,
    decline_code: lpe.decline_code,
    message: lpe.message ?? 'Your card was declined.',
    commit: true,
    extra: {
      charge: lpe.charge,
      payment_intent: pi,
      payment_method: pm,
      // Stripe links the request in the Dashboard's log; a string on every card error
      request_log_url: `https://dashboard.stripe.com/test/logs/${ctx.requestId ?? ''}?t=${ctx.now()}`,
    },
  });
}
