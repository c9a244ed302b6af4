/**
 * Credit notes (`/v1/credit_notes` create/preview/preview lines/list/retrieve/update/void/lines).
 * On an open invoice a credit note is `pre_payment`: it lowers `amount_due`/`amount_remaining` (and
 * the invoice's PaymentIntent; the invoice is paid when nothing remains). On a paid invoice it is
 * `post_payment`: its amount is split between `refund_amount` (a refund of the invoice's charge),
 * `credit_amount` (a customer balance transaction, applied to the next invoice; the default) and
 * `out_of_band_amount`. A refund made directly on a charge that paid an invoice gets a
 * post-payment credit note of its own (`refund.created` hook), as Stripe does.
 */
import type Stripe from 'stripe';
import { applyMetadata, errors, listParams, p, previousAttributes, RawResponse, type Ctx, type EmulatorApp, type Infer } from '../../core';
import { addCustomerBalance } from '../../resources/customer-balance-transactions';
import { createRefund, refundCreditNote } from '../../resources/refunds';
import type { Billing, Inv } from '../engine/context';
import { markPaid } from '../engine/invoices';
import { getInvoice, invState, requireInvoice } from '../engine/lookups';
import { apiList, idOf } from '../util';
import { renderCreditNotePdf } from '../pdf';
import type { BillingRuntime } from '../runtime';

const reasonParam = p.enum(['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'] as const);
const lineParam = p.object({
  type: p.enum(['invoice_line_item', 'custom_line_item'] as const).required(),
  invoice_line_item: p.string(),
  quantity: p.integer({ min: 0 }),
  amount: p.integer({ min: 0 }),
  unit_amount: p.integer({ min: 0 }),
  unit_amount_decimal: p.decimal(),
  description: p.string(),
  metadata: p.metadata(),
  tax_amounts: p.any(),
  tax_rates: p.any(),
});
const createParams = p.object({
  invoice: p.string().required(),
  amount: p.integer({ min: 0 }),
  credit_amount: p.integer({ min: 0 }),
  refund_amount: p.integer({ min: 0 }),
  out_of_band_amount: p.integer({ min: 0 }),
  effective_at: p.integer(),
  email_type: p.enum(['credit_note', 'none'] as const),
  lines: p.array(lineParam),
  memo: p.string(),
  metadata: p.metadata(),
  reason: reasonParam,
  refunds: p.array(
    p.object({
      refund: p.string(),
      amount_refunded: p.integer({ min: 1 }),
      type: p.enum(['refund', 'payment_record_refund'] as const),
      payment_record_refund: p.any(),
    }),
  ),
  shipping_cost: p.any(),
});
type CreateParams = Infer<typeof createParams>;

function money(n: number): string {
  return `$${(n / 100).toFixed(2)}`;
}

function creditNoteLine(ctx: Ctx, inv: Inv, l: NonNullable<CreateParams['lines']>[number], i: number): Stripe.CreditNoteLineItem {
  const base = {
    id: ctx.newId('cnli'),
    object: 'credit_note_line_item' as const,
    discount_amount: 0,
    discount_amounts: [],
    livemode: false,
    metadata: applyMetadata({}, l.metadata),
    pretax_credit_amounts: [],
    tax_rates: [],
    taxes: [],
  };
  if (l.type === 'invoice_line_item') {
    if (!l.invoice_line_item) throw errors.missingParam(`lines[${i}][invoice_line_item]`);
    const line = inv.lines.data.find((x) => x.id === l.invoice_line_item);
    if (!line)
      throw errors.invalidParam(`lines[${i}][invoice_line_item]`, `No such invoice line item on ${inv.id}: '${l.invoice_line_item}'`);
    const unit = line.quantity ? Math.round(line.amount / line.quantity) : line.amount;
    if (l.quantity !== undefined && line.quantity !== null && l.quantity > line.quantity)
      throw errors.invalidParam(`lines[${i}][quantity]`, `The quantity (${l.quantity}) exceeds the line's quantity (${line.quantity}).`);
    const amount = l.amount ?? (l.quantity !== undefined ? unit * l.quantity : line.amount);
    if (amount > line.amount)
      throw errors.invalidParam(`lines[${i}][amount]`, `The amount (${money(amount)}) exceeds the line's amount (${money(line.amount)}).`);
    return {
      ...base,
      amount,
      description: line.description,
      invoice_line_item: line.id,
      quantity: l.quantity ?? line.quantity,
      type: 'invoice_line_item',
      unit_amount: unit,
      unit_amount_decimal: String(unit) as unknown as Stripe.Decimal,
    };
  }
  if (!l.description) throw errors.missingParam(`lines[${i}][description]`);
  const unit = l.unit_amount ?? (l.unit_amount_decimal !== undefined ? Math.round(Number(l.unit_amount_decimal)) : undefined);
  if (unit === undefined) throw errors.missingParam(`lines[${i}][unit_amount]`);
  const quantity = l.quantity ?? 1;
  return {
    ...base,
    amount: unit * quantity,
    description: l.description,
    quantity,
    type: 'custom_line_item',
    unit_amount: unit,
    unit_amount_decimal: String(unit) as unknown as Stripe.Decimal,
  };
}

/** What may still be credited: the remaining amount of an open invoice, what was paid of a paid one. */
function creditable(inv: Inv): number {
  if (inv.status === 'open') return inv.amount_remaining;
  return inv.amount_paid + (inv.amount_paid_off_stripe ?? 0) - inv.post_payment_credit_notes_amount;
}

interface Plan {
  cn: Stripe.CreditNote;
  inv: Inv;
  refundToMake: number;
  /** Credited to the customer's balance. */
  credit: number;
}

/** Compute a credit note from the create params, checking them; nothing is stored. */
function plan(ctx: Ctx, b: Billing, params: CreateParams): Plan {
  const inv = requireInvoice(b, params.invoice, 'invoice');
  if (inv.status !== 'open' && inv.status !== 'paid')
    throw errors.invalidParam('invoice', `You can only create a credit note for an open or paid invoice. This invoice is ${inv.status}.`);
  if (params.amount === undefined && !params.lines?.length && !params.shipping_cost)
    throw errors.invalid('One of `amount`, `lines`, or `shipping_cost` must be provided.', 'amount', 'parameter_missing');
  if (params.shipping_cost) throw errors.invalidParam('shipping_cost', 'The emulator has no shipping rates: credit lines or an amount.');
  const id = ctx.newId('cn');
  const lines = (params.lines ?? []).map((l, i) => creditNoteLine(ctx, inv, l, i));
  const linesTotal = lines.reduce((s, l) => s + l.amount, 0);
  if (params.amount !== undefined && lines.length && params.amount !== linesTotal)
    throw errors.invalidParam('amount', `The amount (${money(params.amount)}) must equal the sum of the lines (${money(linesTotal)}).`);
  const total = lines.length ? linesTotal : params.amount!;
  if (total <= 0) throw errors.invalidParam('amount', 'The credit note total must be greater than 0.');
  const max = creditable(inv);
  if (total > max)
    throw errors.invalidParam(
      'amount',
      `The credit note total (${money(total)}) is greater than the amount that can be credited on invoice ${inv.id} (${money(max)}).`,
    );

  const linked = (params.refunds ?? []).map((r, i) => {
    if (!r.refund) throw errors.missingParam(`refunds[${i}][refund]`);
    const refund = ctx.store.require('refund', r.refund, `refunds[${i}][refund]`) as Stripe.Refund;
    return { amount_refunded: r.amount_refunded ?? refund.amount, payment_record_refund: null, refund: refund.id, type: 'refund' as const };
  });
  const linkedTotal = linked.reduce((s, r) => s + r.amount_refunded, 0);
  let refundAmount = params.refund_amount ?? 0;
  let creditAmount = params.credit_amount ?? 0;
  const outOfBand = params.out_of_band_amount ?? 0;
  if (inv.status === 'open') {
    if (refundAmount || creditAmount || linked.length)
      throw errors.invalid(
        'An open invoice has nothing paid to refund or credit: a credit note on it lowers the amount due. Omit refund_amount, credit_amount and refunds.',
        refundAmount ? 'refund_amount' : 'credit_amount',
      );
  } else {
    if (params.refund_amount === undefined && linkedTotal) refundAmount = linkedTotal;
    if (
      params.refund_amount === undefined &&
      params.credit_amount === undefined &&
      params.out_of_band_amount === undefined &&
      !linked.length
    )
      creditAmount = total; // Stripe's default for a paid invoice: credit the customer's balance
    if (refundAmount + creditAmount + outOfBand !== total)
      throw errors.invalid(
        `The sum of credit amount, refund amount and out of band amount (${money(refundAmount + creditAmount + outOfBand)}) must equal the credit note amount (${money(total)}).`,
        'amount',
      );
    if (linkedTotal > refundAmount) throw errors.invalidParam('refunds', 'The refunds linked add up to more than refund_amount.');
  }
  const refundToMake = refundAmount - linkedTotal;
  if (refundToMake > 0 && !invState(b, inv.id).paymentIntent)
    throw errors.invalidParam('refund_amount', `Invoice ${inv.id} was not paid through Stripe: there is no charge to refund.`);
  const count = ctx.store.all('credit_note', { where: { invoice: inv.id } }).length;
  const now = ctx.now();
  const cn: Stripe.CreditNote = {
    id,
    object: 'credit_note',
    amount: total,
    amount_shipping: 0,
    created: now,
    currency: inv.currency,
    customer: idOf(inv.customer as string)!,
    customer_account: null,
    customer_balance_transaction: null,
    discount_amount: 0,
    discount_amounts: [],
    effective_at: params.effective_at ?? now,
    invoice: inv.id,
    lines: apiList(lines, `/v1/credit_notes/${id}/lines`),
    livemode: false,
    memo: params.memo ?? null,
    metadata: applyMetadata({}, params.metadata),
    number: `${inv.number ?? inv.id}-CN-${String(count + 1).padStart(2, '0')}`,
    out_of_band_amount: inv.status === 'paid' && outOfBand ? outOfBand : null,
    pdf: `${ctx.publicUrl}/credit_notes/${id}/pdf`,
    post_payment_amount: inv.status === 'paid' ? total : 0,
    pre_payment_amount: inv.status === 'open' ? total : 0,
    pretax_credit_amounts: [],
    reason: params.reason ?? null,
    refunds: linked,
    shipping_cost: null,
    status: 'issued',
    subtotal: total,
    subtotal_excluding_tax: total,
    total,
    total_excluding_tax: total,
    total_taxes: [],
    type: inv.status === 'paid' ? 'post_payment' : 'pre_payment',
    voided_at: null,
  };
  return { cn, inv, refundToMake, credit: creditAmount };
}

function saveInvoice(b: Billing, before: Inv, after: Inv): void {
  b.store.put('invoice', after as never);
  const prev = previousAttributes(before, after);
  if (prev) b.host.emit('invoice.updated', after, prev);
}

/** Move an open invoice's amount due (and its PaymentIntent's amount) by `delta`. */
function adjustDue(ctx: Ctx, b: Billing, inv: Inv, delta: number): void {
  inv.amount_due += delta;
  inv.amount_remaining += delta;
  const piId = invState(b, inv.id).paymentIntent;
  const pi = piId ? ctx.store.get('payment_intent', piId) : null;
  if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled' && inv.amount_due > 0)
    ctx.store.put('payment_intent', { ...pi, amount: inv.amount_due });
  for (const ip of inv.payments?.data ?? []) {
    ip.amount_requested = inv.amount_due;
    b.store.put('invoice_payment', ip as never);
  }
}

/** Issue a planned credit note: refund, credit the balance, adjust the invoice, emit. */
function issue(ctx: Ctx, b: Billing, { cn, inv: before, refundToMake, credit }: Plan): Stripe.CreditNote {
  if (refundToMake > 0) {
    const piId = invState(b, before.id).paymentIntent!;
    const refund = createRefund(ctx, { payment_intent: piId, amount: refundToMake, creditNote: cn.id });
    cn.refunds.push({ amount_refunded: refund.amount, payment_record_refund: null, refund: refund.id, type: 'refund' });
  }
  if (credit > 0) {
    const txn = addCustomerBalance(ctx, {
      customer: cn.customer as string,
      amount: -credit,
      currency: cn.currency,
      type: 'credit_note',
      credit_note: cn.id,
      invoice: before.id,
    });
    cn.customer_balance_transaction = txn.id;
  }
  ctx.store.put('credit_note', cn);
  const inv: Inv = structuredClone(getInvoice(b, before.id) ?? before);
  if (cn.type === 'pre_payment') {
    inv.pre_payment_credit_notes_amount += cn.amount;
    adjustDue(ctx, b, inv, -cn.amount);
  } else {
    inv.post_payment_credit_notes_amount += cn.amount;
  }
  saveInvoice(b, before, inv);
  ctx.emit('credit_note.created', cn);
  if (inv.status === 'open' && inv.amount_remaining === 0) {
    const piId = invState(b, inv.id).paymentIntent;
    markPaid(b, inv, null, ctx.now());
    if (piId) b.host.cancelPaymentIntent(piId);
  }
  return cn;
}

function voidCreditNote(ctx: Ctx, b: Billing, before: Stripe.CreditNote): Stripe.CreditNote {
  if (before.status === 'void') throw errors.invalid(`Credit note ${before.id} is already void.`);
  if (before.refunds.length)
    throw errors.invalid(
      `Credit note ${before.id} has refunds, which cannot be undone: it cannot be voided.`,
      undefined,
      'credit_note_has_refunds',
    );
  const invBefore = requireInvoice(b, before.invoice as string, 'invoice');
  const inv: Inv = structuredClone(invBefore);
  if (before.type === 'pre_payment') {
    if (inv.status !== 'open')
      throw errors.invalid(`Invoice ${inv.id} is ${inv.status}: its pre-payment credit note can no longer be voided.`);
    inv.pre_payment_credit_notes_amount -= before.amount;
    adjustDue(ctx, b, inv, before.amount);
  } else {
    inv.post_payment_credit_notes_amount -= before.amount;
  }
  const txnId = idOf(before.customer_balance_transaction as string | null);
  const txn = txnId ? (ctx.store.get('customer_balance_transaction', txnId) as Stripe.CustomerBalanceTransaction | null) : null;
  if (txn)
    addCustomerBalance(ctx, {
      customer: before.customer as string,
      amount: -txn.amount,
      currency: txn.currency,
      type: 'credit_note',
      credit_note: before.id,
      invoice: inv.id,
      description: `Void of credit note ${before.number}`,
    });
  const cn: Stripe.CreditNote = { ...before, status: 'void', voided_at: ctx.now() };
  ctx.store.put('credit_note', cn);
  saveInvoice(b, invBefore, inv);
  ctx.emit('credit_note.voided', cn);
  return cn;
}

/** A refund made on a charge that paid an invoice, outside a credit note: Stripe notes it on the invoice. */
function onRefundCreated(ctx: Ctx, b: Billing, refund: Stripe.Refund): void {
  if (refundCreditNote(ctx, refund.id) || !refund.payment_intent) return;
  const invId = b.store.getMeta(`billing_pi_invoice:${idOf(refund.payment_intent as string)}`);
  const inv = invId ? getInvoice(b, invId) : null;
  if (!inv || inv.status !== 'paid') return;
  const amount = Math.min(refund.amount, creditable(inv));
  if (amount <= 0) return;
  const planned = plan(ctx, b, {
    invoice: inv.id,
    amount,
    refunds: [{ refund: refund.id, amount_refunded: amount }],
    reason: refund.reason === 'fraudulent' ? 'fraudulent' : refund.reason === 'duplicate' ? 'duplicate' : undefined,
  });
  issue(ctx, b, planned);
}

function linesList(cn: Stripe.CreditNote, params: { limit?: number; starting_after?: string }, url: string) {
  let data = cn.lines.data;
  if (params.starting_after) data = data.slice(data.findIndex((l) => l.id === params.starting_after) + 1);
  const limit = params.limit ?? 10;
  return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url };
}

export function register(app: EmulatorApp, { b, run, within }: BillingRuntime): void {
  app.registerType({ type: 'credit_note', prefix: 'cn', displayName: 'credit note' });
  app.onEvent('refund.created', (ctx, event) => within(ctx, () => onRefundCreated(ctx, b, event.data.object as Stripe.Refund)));
  const load = (ctx: Ctx, id: string) => ctx.store.require('credit_note', id, 'id') as Stripe.CreditNote;

  app.post('/v1/credit_notes', createParams, (ctx, params) => run(ctx, () => issue(ctx, b, plan(ctx, b, params))));
  app.get('/v1/credit_notes/preview', createParams, (ctx, params) => run(ctx, () => plan(ctx, b, params).cn));
  app.get('/v1/credit_notes/preview/lines', createParams.extend({ ...listParams }), (ctx, params) =>
    run(ctx, () => linesList(plan(ctx, b, params).cn, params, '/v1/credit_notes/preview/lines')),
  );
  app.get('/v1/credit_notes/:id', p.object({}), (ctx, _params, req) => load(ctx, req.pathParams.id!));

  // ---- the PDF (no auth: the credit note's `pdf` links it)
  app.route({
    method: 'GET',
    path: '/credit_notes/:id/pdf',
    auth: 'none',
    transaction: false,
    handler: async (ctx, _params, req) => {
      const note = ctx.store.get('credit_note', req.pathParams.id!) as Stripe.CreditNote | null;
      if (!note) return new RawResponse(404, 'Not found', { 'Content-Type': 'text/plain' });
      const invoice = getInvoice(b, idOf(note.invoice as string)!);
      return new RawResponse(200, Buffer.from(await renderCreditNotePdf(note, invoice?.number ?? null)), {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `inline; filename="CreditNote-${note.number}.pdf"`,
      });
    },
  });
  app.get('/v1/credit_notes/:id/lines', p.object({ ...listParams }), (ctx, params, req) => {
    const cn = load(ctx, req.pathParams.id!);
    return linesList(cn, params, `/v1/credit_notes/${cn.id}/lines`);
  });
  app.post('/v1/credit_notes/:id', p.object({ memo: p.string().emptyable(), metadata: p.metadata() }), (ctx, params, req) => {
    const before = load(ctx, req.pathParams.id!);
    const after: Stripe.CreditNote = {
      ...before,
      memo: params.memo !== undefined ? params.memo : before.memo,
      metadata: applyMetadata(before.metadata ?? {}, params.metadata),
    };
    ctx.store.put('credit_note', after);
    const prev = previousAttributes(before, after);
    if (prev) ctx.emit('credit_note.updated', after, prev);
    return after;
  });
  app.post('/v1/credit_notes/:id/void', p.object({}), (ctx, _params, req) =>
    run(ctx, () => voidCreditNote(ctx, b, load(ctx, req.pathParams.id!))),
  );
  app.get(
    '/v1/credit_notes',
    p.object({ ...listParams, customer: p.string(), invoice: p.string(), customer_account: p.string() }),
    (ctx, params) => ctx.list('credit_note', params, { where: { customer: params.customer, invoice: params.invoice } }, '/v1/credit_notes'),
  );
}
