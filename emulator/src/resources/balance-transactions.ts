/**
 * Balance transactions: what charges and refunds do to the account balance (`/v1/balance_transactions`
 * list/retrieve). A captured charge gets a `charge` transaction with Stripe's standard card fee
 * (2.9% + 30¢, shown in `fee_details`), a refund a `refund` transaction of minus its amount (Stripe
 * keeps the original fee). Funds become available two days later (`available_on`); no payouts.
 */
import type Stripe from 'stripe';
import { listParams, p, type Ctx, type EmulatorApp } from '../core';

const DAY = 86400;

/** Stripe's standard pricing for domestic cards. */
function cardFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}

interface Entry {
  id?: string | null;
  amount: number;
  currency: string;
  description: string | null;
  source: string;
  type: 'charge' | 'refund' | 'payment_failure_refund';
  fee: number;
}

/** Store one balance transaction (keeping a pre-assigned id, as a charge names its own). */
export function recordBalanceTransaction(ctx: Ctx, e: Entry): Stripe.BalanceTransaction {
  const created = ctx.now();
  const bt: Stripe.BalanceTransaction = {
    id: e.id ?? ctx.newId('txn'),
    object: 'balance_transaction',
    amount: e.amount,
    available_on: created + 2 * DAY,
    balance_type: 'payments',
    created,
    currency: e.currency,
    description: e.description,
    exchange_rate: null,
    fee: e.fee,
    fee_details: e.fee
      ? [{ amount: e.fee, application: null, currency: e.currency, description: 'Stripe processing fees', type: 'stripe_fee' }]
      : [],
    net: e.amount - e.fee,
    reporting_category: e.type === 'charge' ? 'charge' : 'refund',
    source: e.source,
    status: 'pending',
    type: e.type,
  };
  ctx.store.put('balance_transaction', bt);
  return bt;
}

/** The `charge` transaction of a captured charge (once; a manual capture gets it at capture). */
function onChargeCaptured(ctx: Ctx, charge: Stripe.Charge): void {
  if (!charge.captured || charge.status !== 'succeeded') return;
  const id = typeof charge.balance_transaction === 'string' ? charge.balance_transaction : null;
  if (id && ctx.store.get('balance_transaction', id)) return;
  const bt = recordBalanceTransaction(ctx, {
    id,
    amount: charge.amount_captured,
    currency: charge.currency,
    description: charge.description,
    source: charge.id,
    type: 'charge',
    fee: cardFee(charge.amount_captured),
  });
  if (!id) ctx.store.put('charge', { ...charge, balance_transaction: bt.id });
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'balance_transaction', prefix: 'txn', displayName: 'balance transaction' });
  app.onEvent('charge.succeeded', (ctx, event) => onChargeCaptured(ctx, event.data.object as Stripe.Charge));
  app.onEvent('charge.captured', (ctx, event) => onChargeCaptured(ctx, event.data.object as Stripe.Charge));

  app.get('/v1/balance_transactions/:id', p.object({}), (ctx, _params, req) =>
    ctx.store.require('balance_transaction', req.pathParams.id!, 'id'),
  );
  app.get(
    '/v1/balance_transactions',
    p.object({ ...listParams, currency: p.string(), payout: p.string(), source: p.string(), type: p.string() }),
    (ctx, params) =>
      ctx.list(
        'balance_transaction',
        params,
        // no payouts in the emulator: a payout filter matches nothing
        params.payout
          ? { filter: () => false }
          : { where: { currency: params.currency?.toLowerCase(), source: params.source, type: params.type } },
        '/v1/balance_transactions',
      ),
  );
}
