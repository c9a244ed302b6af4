/**
 * Customer balance transactions (`/v1/customers/:id/balance_transactions` create/list/retrieve/update).
 * Each one moves `customer.balance` (negative = credit the customer has, applied to the next
 * invoice; positive = owed) and records `ending_balance`. Created by hand (`adjustment`), by credit
 * notes (`credit_note`), and when a finalized invoice uses the balance (`applied_to_invoice`, booked
 * from the `invoice.finalized` event: the billing engine has already moved the balance then).
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, type Ctx, type EmulatorApp } from '../core';

interface Entry {
  customer: string;
  amount: number;
  currency: string;
  type: Stripe.CustomerBalanceTransaction.Type;
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  credit_note?: string | null;
  invoice?: string | null;
  /** The balance was already moved by the caller (invoice finalization): only record it. */
  alreadyApplied?: boolean;
}

/** Record a balance transaction and move the customer's balance (emits `customer.updated`). */
export function addCustomerBalance(ctx: Ctx, e: Entry): Stripe.CustomerBalanceTransaction {
  const before = ctx.store.require('customer', e.customer, 'customer');
  const currency = e.currency.toLowerCase();
  if (before.currency && before.currency !== currency)
    throw errors.invalidParam(
      'currency',
      `The currency ${currency} does not match the customer's currency (${before.currency}): a customer has one balance, in one currency.`,
    );
  const ending = e.alreadyApplied ? before.balance : before.balance + e.amount;
  const txn: Stripe.CustomerBalanceTransaction = {
    id: ctx.newId('cbtxn'),
    object: 'customer_balance_transaction',
    amount: e.amount,
    checkout_session: null,
    created: ctx.now(),
    credit_note: e.credit_note ?? null,
    currency,
    customer: before.id,
    customer_account: null,
    description: e.description ?? null,
    ending_balance: ending,
    invoice: e.invoice ?? null,
    livemode: false,
    metadata: applyMetadata({}, e.metadata),
    type: e.type,
  };
  ctx.store.put('customer_balance_transaction', txn);
  if (!e.alreadyApplied || !before.currency) {
    const after: Stripe.Customer = { ...before, balance: ending, currency: before.currency ?? currency };
    ctx.store.put('customer', after);
    const prev = previousAttributes(before, after);
    if (prev) ctx.emit('customer.updated', after, prev);
  }
  return txn;
}

function onInvoiceFinalized(ctx: Ctx, inv: Stripe.Invoice): void {
  const applied = (inv.ending_balance ?? 0) - inv.starting_balance;
  if (!applied || !inv.customer) return;
  addCustomerBalance(ctx, {
    customer: typeof inv.customer === 'string' ? inv.customer : inv.customer.id,
    amount: applied,
    currency: inv.currency,
    type: 'applied_to_invoice',
    invoice: inv.id,
    alreadyApplied: true,
  });
}

function load(ctx: Ctx, customer: string, id: string): Stripe.CustomerBalanceTransaction {
  const c = ctx.store.require('customer', customer, 'customer');
  const txn = ctx.store.get('customer_balance_transaction', id) as Stripe.CustomerBalanceTransaction | null;
  if (!txn || txn.customer !== c.id) throw errors.noSuch('customer balance transaction', id, 'transaction');
  return txn;
}

export function register(app: EmulatorApp): void {
  app.registerType({ type: 'customer_balance_transaction', prefix: 'cbtxn', displayName: 'customer balance transaction' });
  app.onEvent('invoice.finalized', (ctx, event) => onInvoiceFinalized(ctx, event.data.object as Stripe.Invoice));

  app.post(
    '/v1/customers/:id/balance_transactions',
    p.object({
      amount: p.integer().required(),
      currency: p.string().required(),
      description: p.string({ maxLength: 350 }),
      metadata: p.metadata(),
    }),
    (ctx, params, req) => {
      if (params.amount === 0) throw errors.invalidParam('amount', 'The amount must be a non-zero integer.');
      return addCustomerBalance(ctx, { ...params, customer: req.pathParams.id!, type: 'adjustment' });
    },
  );
  app.get('/v1/customers/:id/balance_transactions/:txn', p.object({}), (ctx, _params, req) =>
    load(ctx, req.pathParams.id!, req.pathParams.txn!),
  );
  app.post(
    '/v1/customers/:id/balance_transactions/:txn',
    p.object({ description: p.string({ maxLength: 350 }).emptyable(), metadata: p.metadata() }),
    (ctx, params, req) => {
      const before = load(ctx, req.pathParams.id!, req.pathParams.txn!);
      const after: Stripe.CustomerBalanceTransaction = {
        ...before,
        description: params.description !== undefined ? params.description : before.description,
        metadata: applyMetadata(before.metadata ?? {}, params.metadata),
      };
      ctx.store.put('customer_balance_transaction', after);
      return after;
    },
  );
  app.get('/v1/customers/:id/balance_transactions', p.object({ ...listParams, invoice: p.string() }), (ctx, params, req) => {
    const c = ctx.store.require('customer', req.pathParams.id!, 'customer');
    return ctx.list(
      'customer_balance_transaction',
      params,
      { where: { customer: c.id, invoice: params.invoice } },
      `/v1/customers/${c.id}/balance_transactions`,
    );
  });
}
