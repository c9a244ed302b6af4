/**
 * Invoice operations on a draft's lines and sending: `POST /v1/invoices/:id/add_lines`,
 * `remove_lines`, `update_lines` (each line is an invoice item, created, detached or changed as
 * Stripe does; lines that come from a subscription item cannot be removed or changed) and `send`
 * (a `send_invoice` invoice is finalized when still a draft, then "sent": no e-mail leaves the
 * emulator, as none does in Stripe test mode, but `invoice.sent` is emitted).
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, p, previousAttributes, type Ctx, type EmulatorApp, type Infer } from '../../core';
import { clone, idOf } from '../util';
import type { Billing, Inv, LineSpec } from '../engine/context';
import { createInvoiceItem, finalize } from '../engine/invoices';
import { lineFromSpec, recomputeDraft, specFromInvoiceItem } from '../engine/lines';
import { getInvoice, productName, requireInvoice, requirePrice } from '../engine/lookups';
import { nowForCustomer } from '../engine/clock';
import type { BillingRuntime } from '../runtime';

const periodParam = p.object({ start: p.integer().required(), end: p.integer().required() });
const addLine = p.object({
  amount: p.integer(),
  description: p.string(),
  discountable: p.boolean(),
  discounts: p.any(),
  invoice_item: p.string(),
  metadata: p.metadata(),
  period: periodParam,
  price_data: p.any(),
  pricing: p.object({ price: p.string() }),
  quantity: p.integer({ min: 0 }),
  tax_amounts: p.any(),
  tax_rates: p.any(),
});
const updateLine = addLine.extend({ id: p.string().required() });
const removeLine = p.object({ id: p.string().required(), behavior: p.enum(['delete', 'unassign'] as const).required() });

function editableDraft(b: Billing, id: string): Inv {
  const inv = requireInvoice(b, id, 'invoice');
  if (inv.status !== 'draft')
    throw errors.invalid(
      `You can only change the lines of a draft invoice. This invoice is ${inv.status}.`,
      undefined,
      'invoice_not_editable',
    );
  return inv;
}

function itemOfLine(inv: Inv, lineId: string, param: string): { line: Stripe.InvoiceLineItem; item: string } {
  const line = inv.lines.data.find((l) => l.id === lineId);
  if (!line) throw errors.invalidParam(param, `No such line item on invoice ${inv.id}: '${lineId}'`);
  const item = line.parent?.invoice_item_details?.invoice_item;
  if (!item || line.parent?.type !== 'invoice_item_details')
    throw errors.invalidParam(param, `Line ${lineId} comes from a subscription item: change the subscription instead.`);
  return { line, item };
}

type AddLine = Infer<typeof addLine>;

function newItem(b: Billing, inv: Inv, l: AddLine, i: number, at: number): Stripe.InvoiceItem {
  const customer = idOf(inv.customer as string)!;
  if (l.invoice_item) {
    const ii = b.store.get('invoiceitem', l.invoice_item) as Stripe.InvoiceItem | null;
    if (!ii || ii.customer !== customer) throw errors.noSuch('invoiceitem', l.invoice_item, `lines[${i}][invoice_item]`);
    if (ii.invoice)
      throw errors.invalidParam(`lines[${i}][invoice_item]`, `Invoice item ${ii.id} is already on invoice ${idOf(ii.invoice as string)}.`);
    return ii;
  }
  const price = l.pricing?.price ? requirePrice(b, l.pricing.price, `lines[${i}][pricing][price]`) : null;
  const quantity = l.quantity ?? 1;
  const amount = l.amount ?? (price?.unit_amount != null ? price.unit_amount * quantity : null);
  if (amount == null) throw errors.missingParam(`lines[${i}][amount]`);
  if (price && price.currency !== inv.currency)
    throw errors.invalidParam(
      `lines[${i}][pricing][price]`,
      `The price's currency (${price.currency}) is not the invoice's (${inv.currency}).`,
    );
  const spec: LineSpec = {
    amount,
    description: l.description ?? (price ? productName(b, price) : ''),
    quantity,
    price,
    unitAmount: price?.unit_amount ?? amount,
    period: l.period ?? { start: at, end: at },
    proration: false,
    subscription: null,
    subscriptionItem: null,
    invoiceItem: null,
    discountable: l.discountable ?? true,
    metadata: applyMetadata({}, l.metadata),
  };
  return createInvoiceItem(b, customer, inv.currency, spec, at);
}

function save(ctx: Ctx, b: Billing, before: Inv, inv: Inv, metadata: Record<string, string | null> | null | undefined): Inv {
  if (metadata !== undefined) inv.metadata = applyMetadata(inv.metadata, metadata);
  recomputeDraft(b, inv);
  b.store.put('invoice', inv as never);
  const prev = previousAttributes(before, inv);
  if (prev) ctx.emit('invoice.updated', inv as never, prev);
  return inv;
}

export function register(app: EmulatorApp, { b, run }: BillingRuntime): void {
  const store = app.store;

  app.post(
    '/v1/invoices/:id/add_lines',
    p.object({ lines: p.array(addLine).required(), invoice_metadata: p.metadata() }),
    (ctx, params, req) =>
      run(ctx, () => {
        const inv = editableDraft(b, req.pathParams.id!);
        const before = clone(inv);
        const at = nowForCustomer(b, idOf(inv.customer as string));
        params.lines.forEach((l, i) => {
          const ii = { ...newItem(b, inv, l, i, at), invoice: inv.id };
          store.put('invoiceitem', ii as never);
          inv.lines.data.push(lineFromSpec(b, specFromInvoiceItem(b, ii), inv.id, inv.currency, []));
        });
        return save(ctx, b, before, inv, params.invoice_metadata);
      }),
  );

  app.post(
    '/v1/invoices/:id/remove_lines',
    p.object({ lines: p.array(removeLine).required(), invoice_metadata: p.metadata() }),
    (ctx, params, req) =>
      run(ctx, () => {
        const inv = editableDraft(b, req.pathParams.id!);
        const before = clone(inv);
        params.lines.forEach((l, i) => {
          const { line, item } = itemOfLine(inv, l.id, `lines[${i}][id]`);
          inv.lines.data = inv.lines.data.filter((x) => x.id !== line.id);
          const ii = store.get('invoiceitem', item) as Stripe.InvoiceItem | null;
          if (!ii) return;
          if (l.behavior === 'delete') {
            store.delete('invoiceitem', ii.id, { id: ii.id, object: 'invoiceitem', deleted: true });
            ctx.emit('invoiceitem.deleted', ii as never);
          } else {
            store.put('invoiceitem', { ...ii, invoice: null } as never); // back to pending, for the next invoice
          }
        });
        return save(ctx, b, before, inv, params.invoice_metadata);
      }),
  );

  app.post(
    '/v1/invoices/:id/update_lines',
    p.object({ lines: p.array(updateLine).required(), invoice_metadata: p.metadata() }),
    (ctx, params, req) =>
      run(ctx, () => {
        const inv = editableDraft(b, req.pathParams.id!);
        const before = clone(inv);
        params.lines.forEach((l, i) => {
          const { line, item } = itemOfLine(inv, l.id, `lines[${i}][id]`);
          const ii = store.require('invoiceitem', item, `lines[${i}][id]`) as Stripe.InvoiceItem;
          const price = l.pricing?.price ? requirePrice(b, l.pricing.price, `lines[${i}][pricing][price]`) : null;
          const quantity = l.quantity ?? ii.quantity;
          const unit = price?.unit_amount ?? (ii.quantity ? Math.round(ii.amount / ii.quantity) : ii.amount);
          const next: Stripe.InvoiceItem = {
            ...ii,
            amount: l.amount ?? (l.quantity !== undefined || price ? unit * quantity : ii.amount),
            description: l.description ?? ii.description,
            discountable: l.discountable ?? ii.discountable,
            metadata: l.metadata !== undefined ? applyMetadata(ii.metadata ?? {}, l.metadata) : ii.metadata,
            period: l.period ?? ii.period,
            quantity,
            pricing: price
              ? {
                  type: 'price_details',
                  price_details: { price: price.id, product: idOf(price.product as string)! },
                  unit_amount_decimal: String(unit) as unknown as Stripe.Decimal,
                }
              : ii.pricing,
          };
          next.net_amount = next.amount;
          store.put('invoiceitem', next as never);
          // No event: there is no invoiceitem.updated at the pinned version.
          const rebuilt = lineFromSpec(b, specFromInvoiceItem(b, next), inv.id, inv.currency, []);
          inv.lines.data = inv.lines.data.map((x) => (x.id === line.id ? { ...rebuilt, id: line.id } : x));
        });
        return save(ctx, b, before, inv, params.invoice_metadata);
      }),
  );

  app.post('/v1/invoices/:id/send', p.object({}), (ctx, _params, req) =>
    run(ctx, () => {
      let inv = requireInvoice(b, req.pathParams.id!, 'id');
      if (inv.collection_method !== 'send_invoice')
        throw errors.invalid("You can only manually send an invoice if its collection method is 'send_invoice'.");
      if (inv.status === 'void' || inv.status === 'uncollectible')
        throw errors.invalid(`You cannot send an invoice that is ${inv.status}.`, undefined, 'invoice_not_editable');
      if (inv.status === 'draft') inv = finalize(b, inv, nowForCustomer(b, idOf(inv.customer as string)));
      inv = getInvoice(b, inv.id) ?? inv;
      ctx.emit('invoice.sent', inv as never);
      return inv;
    }),
  );
}
