// Over 500 lines: every /v1/invoices endpoint of Stripe's reference in one resource file (one file per resource).
/** Invoices: create, retrieve, list, lines, update, delete, finalize, pay, void, mark_uncollectible, create_preview; invoice payments; the invoice PDF. */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, RawResponse, type EmulatorApp } from '../../core';
import { apiList, clone, idOf } from '../util';
import { addDuration } from '../period';
import { renderInvoicePdf } from '../pdf';
import type { Inv, LineSpec, Sub } from '../engine/context';
import { checkMinimumAmounts, createDiscounts, previewDiscounts } from '../engine/discounts';
import {
  attemptPayment,
  confirmationSecret,
  createInvoice,
  finalize,
  markPaid,
  markUncollectible,
  pendingItems,
  voidInvoice,
} from '../engine/invoices';
import { planItemsUpdate } from '../engine/items';
import { asPreview, buildInvoice, buildItem, itemLine, recomputeDraft, specFromInvoiceItem, unusedCredit } from '../engine/lines';
import {
  defaultPaymentMethod,
  getInvoice,
  getSub,
  isMetered,
  productName,
  recurrence,
  requireInvoice,
  requirePrice,
  requireSub,
} from '../engine/lookups';
import { previewUpcoming } from '../engine/renewals';
import { anchorParam, anchorType, discountsParam, prorationBehaviorParam } from '../params';
import { nowForCustomer } from '../engine/clock';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.registerType({ type: 'invoice', prefix: 'in', displayName: 'invoice' });
  app.registerType({ type: 'invoice_payment', prefix: 'inpay', displayName: 'invoice_payment' });
  app.includable('invoice', 'confirmation_secret', (_ctx, inv: Inv) => confirmationSecret(b, inv));
  // Stripe returns an invoice's `payments` only when expanded; the engine keeps them on the invoice.
  app.storedIncludable('invoice', 'payments', (inv) => apiList([], `/v1/invoice_payments?invoice=${inv.id}`));
  const store = app.store;
  const now = (customer: string | null) => nowForCustomer(b, customer);

  app.get(
    '/v1/invoices',
    p.object({
      ...listParams,
      customer: p.string(),
      subscription: p.string(),
      status: p.enum(['draft', 'open', 'paid', 'uncollectible', 'void'] as const),
      collection_method: p.string(),
      due_date: p.range(),
    }),
    (ctx, params) =>
      run(ctx, () =>
        ctx.list(
          'invoice',
          params,
          { where: { customer: params.customer, status: params.status, 'parent.subscription_details.subscription': params.subscription } },
          '/v1/invoices',
        ),
      ),
  );
  app.get('/v1/invoices/:id', p.object({}), (ctx, _p, req) => run(ctx, () => requireInvoice(b, req.pathParams.id, 'id')));
  app.get('/v1/invoices/:id/lines', p.object({ ...listParams }), (ctx, params, req) => {
    const inv = requireInvoice(b, req.pathParams.id, 'invoice');
    let data = inv.lines.data;
    if (params.starting_after) data = data.slice(data.findIndex((l) => l.id === params.starting_after) + 1);
    const limit = params.limit ?? 10;
    return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: `/v1/invoices/${inv.id}/lines` };
  });

  app.post(
    '/v1/invoices',
    p.object({
      customer: p.string().required(),
      auto_advance: p.boolean(),
      collection_method: p.enum(['charge_automatically', 'send_invoice'] as const),
      days_until_due: p.integer(),
      description: p.string(),
      metadata: p.metadata(),
      discounts: discountsParam,
      pending_invoice_items_behavior: p.enum(['exclude', 'include'] as const),
      subscription: p.string(),
      currency: p.string(),
      default_payment_method: p.string(),
      due_date: p.integer(),
      footer: p.string(),
      automatic_tax: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const c = store.get('customer', params.customer) as Stripe.Customer | null;
        if (!c) throw errors.noSuch('customer', params.customer, 'customer');
        const at = now(c.id);
        const sub = params.subscription ? requireSub(b, params.subscription, 'subscription') : null;
        const discounts = createDiscounts(b, params.discounts, { customer: c.id, subscription: null }, at);
        const inv = createInvoice(b, {
          customer: c.id,
          currency: params.currency ?? sub?.currency ?? c.currency ?? 'usd',
          subscription: sub,
          billingReason: 'manual',
          specs: [],
          discounts,
          at,
          period: { start: at, end: at },
          includePending: params.pending_invoice_items_behavior === 'include',
        });
        inv.auto_advance = params.auto_advance ?? false;
        inv.description = params.description ?? null;
        inv.metadata = applyMetadata({}, params.metadata);
        inv.collection_method = params.collection_method ?? 'charge_automatically';
        if (inv.collection_method === 'send_invoice') {
          // As Stripe: a sent invoice needs a due date, given or counted in days from creation.
          if (params.due_date == null && params.days_until_due == null) throw errors.missingParam('days_until_due');
          inv.due_date = params.due_date ?? at + params.days_until_due! * 86_400;
        }
        if (params.default_payment_method) inv.default_payment_method = params.default_payment_method;
        store.put('invoice', inv as never);
        return inv;
      }),
  );

  app.post(
    '/v1/invoices/:id',
    p.object({
      metadata: p.metadata(),
      description: p.string().emptyable(),
      auto_advance: p.boolean(),
      footer: p.string().emptyable(),
      default_payment_method: p.string().emptyable(),
      discounts: discountsParam,
    }),
    (ctx, params, req) =>
      run(ctx, () => {
        const inv = requireInvoice(b, req.pathParams.id, 'id');
        const before = clone(inv);
        if (params.metadata !== undefined) inv.metadata = applyMetadata(inv.metadata, params.metadata);
        if (params.description !== undefined) inv.description = params.description;
        if (params.footer !== undefined) inv.footer = params.footer;
        if (params.auto_advance !== undefined) inv.auto_advance = params.auto_advance;
        if (params.default_payment_method !== undefined) inv.default_payment_method = params.default_payment_method;
        if (params.discounts !== undefined) {
          if (inv.status !== 'draft')
            throw errors.invalid('You can only update discounts on draft invoices.', 'discounts', 'invoice_not_editable');
          inv.discounts = createDiscounts(
            b,
            params.discounts,
            { customer: idOf(inv.customer as string)!, subscription: null },
            inv.created,
          );
          recomputeDraft(b, inv);
        }
        store.put('invoice', inv as never);
        const prev = previousAttributes(before as never, inv as never);
        if (prev) ctx.emit('invoice.updated', inv as never, prev);
        return inv;
      }),
  );

  app.del('/v1/invoices/:id', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const inv = requireInvoice(b, req.pathParams.id, 'id');
      if (inv.status !== 'draft') throw errors.invalid('You can only delete draft invoices.', undefined, 'invoice_not_editable');
      for (const ii of store.all('invoiceitem', { where: { invoice: inv.id } }) as Stripe.InvoiceItem[]) {
        ii.invoice = null;
        store.put('invoiceitem', ii as never);
      }
      store.delete('invoice', inv.id, { id: inv.id, object: 'invoice', deleted: true });
      ctx.emit('invoice.deleted', inv as never);
      return { id: inv.id, object: 'invoice', deleted: true };
    }),
  );

  app.post('/v1/invoices/:id/finalize', p.object({ auto_advance: p.boolean() }), (ctx, params, req) =>
    run(ctx, () => {
      const inv = requireInvoice(b, req.pathParams.id, 'id');
      const at = now(idOf(inv.customer as string));
      const fin = finalize(b, inv, at);
      if (params.auto_advance !== undefined) {
        fin.auto_advance = params.auto_advance;
        store.put('invoice', fin as never);
      }
      return getInvoice(b, fin.id);
    }),
  );

  app.post(
    '/v1/invoices/:id/pay',
    p.object({
      payment_method: p.string(),
      off_session: p.boolean(),
      paid_out_of_band: p.boolean(),
      forgive: p.boolean(),
      mandate: p.string().emptyable(),
      source: p.string(),
    }),
    (ctx, params, req) =>
      run(ctx, () => {
        let inv = requireInvoice(b, req.pathParams.id, 'id');
        const customer = idOf(inv.customer as string)!;
        const at = now(customer);
        if (inv.status === 'draft') inv = finalize(b, inv, at);
        if (inv.status === 'paid') throw errors.invalid('Invoice is already paid', undefined, 'invoice_already_paid');
        if (inv.status !== 'open' && inv.status !== 'uncollectible')
          throw errors.invalid(`You cannot pay an invoice that is ${inv.status}.`);
        if (params.paid_out_of_band) {
          if (inv.status === 'uncollectible') inv.status = 'open';
          markPaid(b, inv, null, at, true);
          return getInvoice(b, inv.id);
        }
        if (inv.status === 'uncollectible') {
          inv.status = 'open';
          store.put('invoice', inv as never);
        }
        const subId = inv.parent?.subscription_details?.subscription;
        const sub = subId ? getSub(b, idOf(subId as string)!) : null;
        const pm = params.payment_method ?? idOf(inv.default_payment_method as string | null) ?? defaultPaymentMethod(b, sub, customer);
        if (!pm)
          throw errors.invalid(
            'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
            undefined,
            'resource_missing',
          );
        const res = attemptPayment(b, inv, pm, at, { offSession: params.off_session ?? true, automatic: false });
        if (!res.paid) {
          const pi = res.pi;
          const err = pi?.last_payment_error;
          if (pi?.status === 'requires_action') {
            throw errors.card({
              code: 'invoice_payment_intent_requires_action',
              message: 'This payment requires additional user action before it can be completed successfully.',
              extra: { payment_intent: pi },
            });
          }
          throw errors.card({
            code: err?.code ?? 'card_declined',
            decline_code: err?.decline_code,
            message: err?.message ?? 'Your card was declined.',
            extra: pi ? { payment_intent: pi } : undefined,
          });
        }
        return getInvoice(b, inv.id);
      }),
  );

  app.post('/v1/invoices/:id/void', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const inv = requireInvoice(b, req.pathParams.id, 'id');
      if (inv.status === 'draft')
        throw errors.invalid('You can only void invoices that are open or uncollectible. Delete draft invoices instead.');
      return voidInvoice(b, inv, now(idOf(inv.customer as string)));
    }),
  );
  app.post('/v1/invoices/:id/mark_uncollectible', p.object({}), (ctx, _p, req) =>
    run(ctx, () => {
      const inv = requireInvoice(b, req.pathParams.id, 'id');
      return markUncollectible(b, inv, now(idOf(inv.customer as string)));
    }),
  );

  // ---- preview ----
  const previewItem = p.object({
    id: p.string(),
    price: p.string(),
    quantity: p.integer({ min: 0 }),
    deleted: p.boolean(),
    metadata: p.metadata(),
    clear_usage: p.boolean(),
    discounts: discountsParam,
    tax_rates: p.any(),
    price_data: p.any(),
    billing_thresholds: p.any(),
    plan: p.string(),
  });
  app.post(
    '/v1/invoices/create_preview',
    p.object({
      customer: p.string(),
      subscription: p.string(),
      subscription_details: p.object({
        items: p.array(previewItem),
        proration_behavior: prorationBehaviorParam,
        proration_date: p.integer(),
        cancel_at_period_end: p.boolean(),
        cancel_at: p.integer().emptyable(),
        cancel_now: p.boolean(),
        billing_cycle_anchor: anchorParam,
        trial_end: p.union(p.literal('now'), p.integer()),
        resume_at: p.literal('now'),
        start_date: p.integer(),
        metadata: p.metadata(),
        default_tax_rates: p.any(),
        billing_mode: p.any(),
      }),
      discounts: discountsParam,
      invoice_items: p.array(
        p.object({
          amount: p.integer(),
          currency: p.string(),
          description: p.string(),
          price: p.string(),
          quantity: p.integer(),
          discountable: p.boolean(),
          period: p.object({ start: p.integer().required(), end: p.integer().required() }),
          metadata: p.metadata(),
          unit_amount: p.integer(),
        }),
      ),
      currency: p.string(),
      preview_mode: p.enum(['next', 'recurring'] as const),
      automatic_tax: p.any(),
      customer_details: p.any(),
      schedule: p.string(),
      schedule_details: p.any(),
      issuer: p.any(),
      on_behalf_of: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const sd = params.subscription_details;
        if (!params.customer && !params.subscription) throw errors.missingParam('customer');
        const sub = params.subscription ? requireSub(b, params.subscription, 'subscription') : null;
        const customer = params.customer ?? idOf(sub!.customer as string)!;
        const at = now(customer);
        const inherited = (sub?.discounts as string[] | undefined) ?? [];
        const discounts = previewDiscounts(b, params.discounts, inherited, { customer, subscription: sub?.id ?? null }, at);
        try {
          const inv = compute();
          if (params.discounts) checkMinimumAmounts(b, discounts.ids, inv.subtotal, inv.currency);
          return inv;
        } finally {
          discounts.drop();
        }
        function compute(): Inv {
          const extra: LineSpec[] = (params.invoice_items ?? []).map((ii) => {
            const price = ii.price ? requirePrice(b, ii.price) : null;
            const unit = ii.unit_amount ?? price?.unit_amount ?? ii.amount ?? 0;
            const qty = ii.quantity ?? 1;
            return {
              amount: ii.amount ?? unit * qty,
              description: ii.description ?? (price ? productName(b, price) : ''),
              quantity: qty,
              price,
              unitAmount: unit,
              period: ii.period ?? { start: at, end: at },
              proration: false,
              subscription: null,
              subscriptionItem: null,
              invoiceItem: null,
              discountable: ii.discountable ?? true,
              metadata: {},
            };
          });
          if (!sub) {
            if (sd?.items?.length) {
              // preview of a new subscription
              const prices = sd.items.map((it, i) => requirePrice(b, it.price ?? '', `subscription_details[items][${i}][price]`));
              const r = recurrence(prices[0]);
              const start = sd.start_date ?? at;
              const period = { start, end: addDuration(start, r) };
              const fake = { id: 'sub_preview', metadata: {}, customer, currency: prices[0].currency } as unknown as Sub;
              const specs = sd.items.map((it, i) =>
                itemLine(b, fake, buildItem(b, 'sub_preview', prices[i], it.quantity ?? 1, period, at), period),
              );
              const inv = buildInvoice(b, {
                customer,
                currency: prices[0].currency,
                subscription: null,
                billingReason: 'subscription_create',
                specs: [...specs, ...extra],
                discounts: discounts.ids,
                at,
                period: { start: at, end: at },
              });
              return asPreview(inv);
            }
            const pending = pendingItems(b, customer, undefined).map((ii) => specFromInvoiceItem(b, ii));
            if (pending.length + extra.length === 0)
              throw errors.invalid('Nothing to invoice for customer', undefined, 'invoice_upcoming_none');
            const inv = buildInvoice(b, {
              customer,
              currency: params.currency ?? 'usd',
              subscription: null,
              billingReason: 'manual',
              specs: [...pending, ...extra],
              discounts: discounts.ids,
              at,
              period: { start: at, end: at },
            });
            return asPreview(inv);
          }
          if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
            throw errors.invalid('No upcoming invoices for customer', undefined, 'invoice_upcoming_none');
          const behavior = sd?.proration_behavior ?? 'create_prorations';
          if (sd?.cancel_now) {
            const specs = sd.proration_behavior === 'none' ? [] : unusedCredit(b, sub, sd.proration_date ?? at);
            const pending = pendingItems(b, customer, sub.id).map((ii) => specFromInvoiceItem(b, ii));
            return asPreview(
              buildInvoice(b, {
                customer,
                currency: sub.currency,
                subscription: sub,
                billingReason: 'subscription_update',
                specs: [...pending, ...specs, ...extra],
                discounts: discounts.ids,
                at,
                period: { start: at, end: at },
              }),
            );
          }
          if (sd?.cancel_at_period_end) {
            throw errors.invalid('No upcoming invoices for customer', undefined, 'invoice_upcoming_none');
          }
          const plan = planItemsUpdate(b, sub, sd?.items, behavior, sd?.proration_date, at);
          if (plan.resetsPeriod) {
            // A new interval: the period restarts now and is invoiced at once (credit + the new period in full).
            const r = recurrence(plan.items.find((it) => !isMetered(it.price))!.price);
            const period = { start: at, end: addDuration(at, r) };
            const specs = plan.items.filter((it) => !isMetered(it.price)).map((it) => itemLine(b, sub, it, period));
            const pending = pendingItems(b, customer, sub.id).map((ii) => specFromInvoiceItem(b, ii));
            return asPreview(
              buildInvoice(b, {
                customer,
                currency: sub.currency,
                subscription: sub,
                billingReason: 'subscription_update',
                specs: [...plan.prorations, ...pending, ...specs, ...extra],
                discounts: discounts.ids,
                at,
                period: { start: at, end: at },
                prorationDate: plan.at,
              }),
            );
          }
          if (behavior === 'always_invoice' && plan.prorations.length > 0) {
            const pending = pendingItems(b, customer, sub.id).map((ii) => specFromInvoiceItem(b, ii));
            const inv = buildInvoice(b, {
              customer,
              currency: sub.currency,
              subscription: sub,
              billingReason: 'subscription_update',
              specs: [...plan.prorations, ...pending, ...extra],
              discounts: discounts.ids,
              at,
              period: { start: at, end: at },
              prorationDate: plan.at,
            });
            return asPreview(inv);
          }
          if (anchorType(sd?.billing_cycle_anchor) === 'now' || sd?.trial_end === 'now') {
            const first = plan.items[0];
            const r = recurrence(first.price);
            const period = { start: at, end: addDuration(at, r) };
            const credit = anchorType(sd?.billing_cycle_anchor) === 'now' && behavior !== 'none' ? unusedCredit(b, sub, at) : [];
            const specs = plan.items.filter((it) => !isMetered(it.price)).map((it) => itemLine(b, sub, it, period));
            const pending = pendingItems(b, customer, sub.id).map((ii) => specFromInvoiceItem(b, ii));
            return asPreview(
              buildInvoice(b, {
                customer,
                currency: sub.currency,
                subscription: sub,
                billingReason: 'subscription_update',
                specs: [...pending, ...credit, ...specs, ...extra],
                discounts: discounts.ids,
                at,
                period: { start: at, end: at },
              }),
            );
          }
          // Without new items the subscription's own (and its schedule's next phase) are previewed.
          const inv = previewUpcoming(
            b,
            { ...sub, discounts: discounts.ids },
            at,
            [...plan.prorations, ...extra],
            sd?.items ? plan.items : undefined,
          );
          if (sd?.proration_date !== undefined && inv.parent?.subscription_details)
            inv.parent.subscription_details.subscription_proration_date = plan.at;
          return inv;
        }
      }),
  );
  // ---- invoice payments
  app.get(
    '/v1/invoice_payments',
    p.object({
      ...listParams,
      invoice: p.string(),
      payment: p.object({ type: p.string().required(), payment_intent: p.string() }),
      status: p.string(),
    }),
    (ctx, params) =>
      ctx.list(
        'invoice_payment',
        params,
        { where: { invoice: params.invoice, status: params.status, 'payment.payment_intent': params.payment?.payment_intent } },
        '/v1/invoice_payments',
      ),
  );
  app.get('/v1/invoice_payments/:id', p.object({}), (ctx, _p, req) => ctx.store.require('invoice_payment', req.pathParams.id, 'id'));

  // ---- the PDF (no auth: invoice_pdf links it)
  app.route({
    method: 'GET',
    path: '/invoices/:id/pdf',
    auth: 'none',
    transaction: false,
    handler: async (_ctx, _params, req) => {
      const inv = getInvoice(b, req.pathParams.id);
      if (!inv || inv.status === 'draft') return new RawResponse(404, 'Not found', { 'Content-Type': 'text/plain' });
      const bytes = await renderInvoicePdf(inv);
      return new RawResponse(200, Buffer.from(bytes), {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `inline; filename="Invoice-${inv.number ?? inv.id}.pdf"`,
      });
    },
  });
}
