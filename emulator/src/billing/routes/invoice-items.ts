/** Invoice items: create, retrieve, list, update, delete. */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, type EmulatorApp } from '../../core';
import { idOf } from '../util';
import type { LineSpec } from '../engine/context';
import { createInvoiceItem } from '../engine/invoices';
import { lineFromSpec, recomputeDraft } from '../engine/lines';
import { getInvoice, productName, requireInvoice, requirePrice, requireSub } from '../engine/lookups';
import { discountsParam } from '../params';
import { nowForCustomer } from '../engine/clock';
import type { BillingRuntime } from '../runtime';

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  app.registerType({ type: 'invoiceitem', prefix: 'ii', displayName: 'invoiceitem' });
  const store = app.store;
  const now = (customer: string | null) => nowForCustomer(b, customer);

  app.post(
    '/v1/invoiceitems',
    p.object({
      customer: p.string().required(),
      amount: p.integer(),
      currency: p.string(),
      description: p.string(),
      price: p.string(),
      pricing: p.object({ price: p.string() }),
      quantity: p.integer(),
      unit_amount: p.integer(),
      unit_amount_decimal: p.decimal(),
      discountable: p.boolean(),
      invoice: p.string(),
      subscription: p.string(),
      period: p.object({ start: p.integer().required(), end: p.integer().required() }),
      metadata: p.metadata(),
      discounts: discountsParam,
      tax_rates: p.any(),
      tax_behavior: p.any(),
      price_data: p.any(),
    }),
    (ctx, params) =>
      run(ctx, () => {
        const c = store.get('customer', params.customer) as Stripe.Customer | null;
        if (!c) throw errors.noSuch('customer', params.customer, 'customer');
        const at = now(c.id);
        const priceId = params.price ?? params.pricing?.price;
        const price = priceId ? requirePrice(b, priceId) : null;
        const qty = params.quantity ?? 1;
        const unit =
          params.unit_amount ?? (params.unit_amount_decimal ? Number(params.unit_amount_decimal) : null) ?? price?.unit_amount ?? null;
        const amount = params.amount ?? (unit != null ? Math.round(unit * qty) : null);
        if (amount == null) throw errors.missingParam('amount');
        const currency = params.currency ?? price?.currency;
        if (!currency) throw errors.missingParam('currency');
        const sub = params.subscription ? requireSub(b, params.subscription, 'subscription') : null;
        const spec: LineSpec = {
          amount,
          description: params.description ?? (price ? productName(b, price) : ''),
          quantity: qty,
          price,
          unitAmount: unit ?? amount,
          period: params.period ?? { start: at, end: at },
          proration: false,
          subscription: sub?.id ?? null,
          subscriptionItem: null,
          invoiceItem: null,
          discountable: params.discountable ?? true,
          metadata: applyMetadata({}, params.metadata),
        };
        const ii = createInvoiceItem(b, c.id, currency, spec, at);
        if (params.invoice) {
          const inv = requireInvoice(b, params.invoice, 'invoice');
          if (inv.status !== 'draft')
            throw errors.invalid('You can only add invoice items to draft invoices.', 'invoice', 'invoice_not_editable');
          ii.invoice = inv.id;
          store.put('invoiceitem', ii as never);
          inv.lines.data.push(lineFromSpec(b, { ...spec, invoiceItem: ii.id }, inv.id, inv.currency, []));
          recomputeDraft(b, inv);
          store.put('invoice', inv as never);
        }
        return ii;
      }),
  );
  app.get('/v1/invoiceitems/:id', p.object({}), (ctx, _p, req) => ctx.store.require('invoiceitem', req.pathParams.id, 'id'));
  app.get('/v1/invoiceitems', p.object({ ...listParams, customer: p.string(), invoice: p.string(), pending: p.boolean() }), (ctx, params) =>
    ctx.list(
      'invoiceitem',
      params,
      {
        where: { customer: params.customer, invoice: params.invoice },
        filter: (ii: Stripe.InvoiceItem) =>
          params.pending === undefined ? true : params.pending ? ii.invoice == null : ii.invoice != null,
      },
      '/v1/invoiceitems',
    ),
  );
  app.post(
    '/v1/invoiceitems/:id',
    p.object({ amount: p.integer(), description: p.string(), metadata: p.metadata(), quantity: p.integer(), discountable: p.boolean() }),
    (ctx, params, req) => {
      const ii = ctx.store.require('invoiceitem', req.pathParams.id, 'id') as Stripe.InvoiceItem;
      if (ii.invoice) {
        const inv = getInvoice(b, idOf(ii.invoice as string)!);
        if (inv && inv.status !== 'draft')
          throw errors.invalid(
            'This invoice item is attached to a finalized invoice and cannot be updated.',
            undefined,
            'invoice_not_editable',
          );
      }
      // Stripe has no invoiceitem.updated event at the pinned version: an update emits nothing.
      if (params.amount !== undefined) ii.amount = params.amount;
      if (params.description !== undefined) ii.description = params.description;
      if (params.metadata !== undefined) ii.metadata = applyMetadata(ii.metadata, params.metadata);
      if (params.discountable !== undefined) ii.discountable = params.discountable;
      store.put('invoiceitem', ii as never);
      return ii;
    },
  );
  app.del('/v1/invoiceitems/:id', p.object({}), (ctx, _p, req) => {
    const ii = ctx.store.require('invoiceitem', req.pathParams.id, 'id') as Stripe.InvoiceItem;
    if (ii.invoice) {
      const inv = getInvoice(b, idOf(ii.invoice as string)!);
      if (inv && inv.status !== 'draft')
        throw errors.invalid(
          'This invoice item is attached to a finalized invoice and cannot be deleted.',
          undefined,
          'invoice_not_editable',
        );
      if (inv) {
        inv.lines.data = inv.lines.data.filter(
          (l) => l.parent?.invoice_item_details?.invoice_item !== ii.id && l.parent?.subscription_item_details?.invoice_item !== ii.id,
        );
        recomputeDraft(b, inv);
        store.put('invoice', inv as never);
      }
    }
    store.delete('invoiceitem', ii.id, { id: ii.id, object: 'invoiceitem', deleted: true });
    ctx.emit('invoiceitem.deleted', ii as never);
    return { id: ii.id, object: 'invoiceitem', deleted: true };
  });
}
