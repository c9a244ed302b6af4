/**
 * Billing credits (`/v1/billing/credit_grants`, `/v1/billing/credit_balance_summary`,
 * `/v1/billing/credit_balance_transactions`): grants of monetary credit to a customer, scoped to
 * metered prices (all of them, or a list), spent by finalized invoices (engine/credits.ts).
 * Events: `billing.credit_grant.created` and `.updated`, `billing.credit_balance_transaction.created`.
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, type Ctx, type EmulatorApp } from '../../core';
import { nowForCustomer, clockOfCustomer } from '../engine/clock';
import { balances, closeGrant, expireDueGrants, grantsInOrder, monetary, recordTransaction } from '../engine/credits';
import type { BillingRuntime } from '../runtime';
import { idOf } from '../util';

type Grant = Stripe.Billing.CreditGrant;

const scopeParam = p.object({
  price_type: p.enum(['metered'] as const),
  prices: p.array(p.object({ id: p.string().required() })),
});

/** One of `price_type` or `prices`, every price metered: as Stripe checks a scope. */
function checkScope(ctx: Ctx, scope: { price_type?: 'metered'; prices?: Array<{ id: string }> }, param: string) {
  if (!!scope.price_type === !!scope.prices)
    throw errors.invalidParam(param, `You must pass exactly one of \`${param}[price_type]\` or \`${param}[prices]\`.`);
  (scope.prices ?? []).forEach((price, i) => {
    const found = ctx.store.require('price', price.id, `${param}[prices][${i}][id]`) as Stripe.Price;
    if (!found.recurring?.meter)
      throw errors.invalidParam(
        `${param}[prices][${i}][id]`,
        `Price ${found.id} has no meter: billing credits apply only to metered prices.`,
      );
  });
  return scope.prices ? { prices: scope.prices.map((x) => ({ id: x.id })) } : { price_type: 'metered' as const };
}

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.registerType({ type: 'billing.credit_grant', prefix: 'credgr', displayName: 'billing.credit_grant' });
  app.registerType({ type: 'billing.credit_balance_transaction', prefix: 'credtxn', displayName: 'billing.credit_balance_transaction' });
  const load = (ctx: Ctx, id: string) => ctx.store.require('billing.credit_grant', id, 'id') as Grant;
  const now = (g: Grant) => nowForCustomer(b, idOf(g.customer as string));

  app.post(
    '/v1/billing/credit_grants',
    p.object({
      amount: p
        .object({
          type: p.enum(['monetary'] as const).required(),
          monetary: p.object({ currency: p.string().required(), value: p.integer({ min: 1 }).required() }),
        })
        .required(),
      applicability_config: p.object({ scope: scopeParam.required() }).required(),
      category: p.enum(['paid', 'promotional'] as const),
      customer: p.string(),
      effective_at: p.integer(),
      expires_at: p.integer(),
      metadata: p.metadata(),
      name: p.string({ maxLength: 100 }),
      priority: p.integer({ min: 0, max: 100 }),
    }),
    (ctx, params) =>
      run(ctx, () => {
        if (!params.customer) throw errors.missingParam('customer');
        const customer = ctx.store.require('customer', params.customer, 'customer').id;
        if (!params.amount.monetary) throw errors.missingParam('amount[monetary]');
        const scope = checkScope(ctx, params.applicability_config.scope, 'applicability_config[scope]');
        const t = nowForCustomer(b, customer);
        const effective = params.effective_at ?? t;
        if (params.expires_at !== undefined && params.expires_at <= effective)
          throw errors.invalidParam('expires_at', 'The expiration date must be after the effective date.');
        const grant: Grant = {
          id: ctx.newId('credgr'),
          object: 'billing.credit_grant',
          amount: monetary(params.amount.monetary.currency.toLowerCase(), params.amount.monetary.value),
          applicability_config: { scope },
          category: params.category ?? 'paid',
          created: t,
          customer,
          customer_account: null,
          effective_at: effective,
          expires_at: params.expires_at ?? null,
          livemode: false,
          metadata: applyMetadata({}, params.metadata),
          name: params.name ?? null,
          priority: params.priority ?? 50,
          test_clock: clockOfCustomer(b, customer),
          updated: t,
          voided_at: null,
        };
        ctx.store.put('billing.credit_grant', grant as never);
        ctx.emit('billing.credit_grant.created', grant as never);
        recordTransaction(b, grant, t, {
          credit: { amount: grant.amount, credits_application_invoice_voided: null, type: 'credits_granted' },
        });
        return grant;
      }),
  );

  app.get('/v1/billing/credit_grants/:id', p.object({}), (ctx, _params, req) => load(ctx, req.pathParams.id!));

  app.get('/v1/billing/credit_grants', p.object({ ...listParams, customer: p.string() }), (ctx, params) =>
    ctx.list('billing.credit_grant', params, { where: { customer: params.customer } }, '/v1/billing/credit_grants'),
  );

  const change = (ctx: Ctx, before: Grant, after: Grant): Grant => {
    ctx.store.put('billing.credit_grant', after as never);
    const prev = previousAttributes(before as never, after as never);
    if (prev) ctx.emit('billing.credit_grant.updated', after as never, prev);
    return after;
  };

  app.post('/v1/billing/credit_grants/:id', p.object({ expires_at: p.integer().emptyable(), metadata: p.metadata() }), (ctx, params, req) =>
    run(ctx, () => {
      const g = load(ctx, req.pathParams.id!);
      const t = now(g);
      const next: Grant = { ...g, metadata: params.metadata !== undefined ? applyMetadata(g.metadata, params.metadata) : g.metadata };
      if (params.expires_at !== undefined) {
        if (g.voided_at != null) throw errors.invalid(`Credit grant ${g.id} is voided and cannot be changed.`);
        if (g.expires_at != null && g.expires_at <= t) throw errors.invalid(`Credit grant ${g.id} has already expired.`);
        if (params.expires_at !== null && params.expires_at <= t)
          throw errors.invalidParam('expires_at', 'The expiration date must be in the future: use expire to end a grant now.');
        next.expires_at = params.expires_at;
      }
      next.updated = t;
      return change(ctx, g, next);
    }),
  );

  app.post('/v1/billing/credit_grants/:id/expire', p.object({}), (ctx, _params, req) =>
    run(ctx, () => {
      const g = load(ctx, req.pathParams.id!);
      const t = now(g);
      if (g.voided_at != null) throw errors.invalid(`Credit grant ${g.id} is voided and cannot be expired.`);
      if (g.expires_at != null && g.expires_at <= t) throw errors.invalid(`Credit grant ${g.id} has already expired.`);
      const next = change(ctx, g, { ...g, expires_at: t, updated: t });
      closeGrant(b, next, t, 'credits_expired');
      return next;
    }),
  );

  app.post('/v1/billing/credit_grants/:id/void', p.object({}), (ctx, _params, req) =>
    run(ctx, () => {
      const g = load(ctx, req.pathParams.id!);
      const t = now(g);
      if (g.voided_at != null) throw errors.invalid(`Credit grant ${g.id} is already voided.`);
      if (g.expires_at != null && g.expires_at <= t) throw errors.invalid(`Credit grant ${g.id} has expired and cannot be voided.`);
      const next = change(ctx, g, { ...g, voided_at: t, updated: t });
      closeGrant(b, next, t, 'credits_voided');
      return next;
    }),
  );

  app.get(
    '/v1/billing/credit_balance_summary',
    p.object({
      customer: p.string(),
      filter: p
        .object({
          type: p.enum(['applicability_scope', 'credit_grant'] as const).required(),
          applicability_scope: scopeParam,
          credit_grant: p.string(),
        })
        .required(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        if (!params.customer) throw errors.missingParam('customer');
        const customer = ctx.store.require('customer', params.customer, 'customer').id;
        expireDueGrants(b, customer);
        const f = params.filter;
        let keep: (g: Grant) => boolean;
        if (f.type === 'credit_grant') {
          if (!f.credit_grant) throw errors.missingParam('filter[credit_grant]');
          const only = ctx.store.require('billing.credit_grant', f.credit_grant, 'filter[credit_grant]') as Grant;
          keep = (g) => g.id === only.id;
        } else {
          if (!f.applicability_scope) throw errors.missingParam('filter[applicability_scope]');
          const scope = checkScope(ctx, f.applicability_scope, 'filter[applicability_scope]');
          keep = (g) => {
            const own = g.applicability_config.scope;
            if ('price_type' in scope) return own.price_type === 'metered';
            return !!own.prices?.some((x) => scope.prices.some((y) => y.id === x.id));
          };
        }
        const summary: Stripe.Billing.CreditBalanceSummary = {
          object: 'billing.credit_balance_summary',
          balances: [...balances(b, customer, nowForCustomer(b, customer), keep)].map(([currency, value]) => ({
            available_balance: monetary(currency, value),
            ledger_balance: monetary(currency, value),
          })),
          customer,
          customer_account: null,
          livemode: false,
        };
        return summary;
      }),
  );

  app.get('/v1/billing/credit_balance_transactions/:id', p.object({}), (ctx, _params, req) =>
    ctx.store.require('billing.credit_balance_transaction', req.pathParams.id!, 'id'),
  );

  app.get(
    '/v1/billing/credit_balance_transactions',
    p.object({ ...listParams, customer: p.string(), credit_grant: p.string() }),
    (ctx, params) =>
      run(ctx, () => {
        if (!params.customer) throw errors.missingParam('customer');
        const customer = ctx.store.require('customer', params.customer, 'customer').id;
        expireDueGrants(b, customer);
        const grants = grantsInOrder(b, customer).map((g) => g.id);
        if (params.credit_grant && !grants.includes(params.credit_grant))
          throw errors.invalidParam('credit_grant', `Credit grant ${params.credit_grant} does not belong to customer ${customer}.`);
        return ctx.list(
          'billing.credit_balance_transaction',
          params,
          { where: { credit_grant: params.credit_grant ? [params.credit_grant] : grants } },
          '/v1/billing/credit_balance_transactions',
        );
      }),
  );
}
