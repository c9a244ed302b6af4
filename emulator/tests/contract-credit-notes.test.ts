/**
 * Contract: credit notes and customer balance transactions — a credit note lowers what an open
 * invoice asks, refunds or credits what a paid one took, and the customer's balance moves with its
 * transactions (also against Stripe test mode with STRIPE_TEST_SECRET_KEY).
 */
import { PDFDocument } from 'pdf-lib';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

/** A finalized send_invoice invoice with one line per amount. */
async function openInvoice(customer: string, amounts: number[]): Promise<Stripe.Invoice> {
  const draft = await t.stripe.invoices.create({ customer, collection_method: 'send_invoice', days_until_due: 30, auto_advance: false });
  await Promise.all(
    amounts.map((amount, i) =>
      t.stripe.invoiceItems.create({ customer, invoice: draft.id, amount, currency: 'usd', description: `Work ${i + 1}` }),
    ),
  );
  return t.stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
}

/** An invoice paid with a card; returns it with the id of its charge. */
async function paidInvoice(amount: number): Promise<{ invoice: Stripe.Invoice; charge: string; customer: string }> {
  const customer = (await t.stripe.customers.create({ name: 'Paid Co' })).id;
  const open = await openInvoice(customer, [amount]);
  const invoice = await t.stripe.invoices.pay(open.id, { payment_method: 'pm_card_visa' });
  expect(invoice.status).toBe('paid');
  const withPayments = await t.stripe.invoices.retrieve(invoice.id, { expand: ['payments.data.payment.payment_intent'] });
  const pi = withPayments.payments!.data[0]!.payment.payment_intent as Stripe.PaymentIntent;
  return { invoice, charge: pi.latest_charge as string, customer };
}

describe('customer balance transactions', () => {
  it('move the balance, are listed and updated, and the next invoice uses the credit', async () => {
    const c = await t.stripe.customers.create({ name: 'Balance Co' });
    const credit = await t.stripe.customers.createBalanceTransaction(c.id, { amount: -500, currency: 'usd', description: 'Goodwill' });
    expect(credit).toMatchObject({ object: 'customer_balance_transaction', amount: -500, ending_balance: -500, type: 'adjustment' });
    const debit = await t.stripe.customers.createBalanceTransaction(c.id, { amount: 200, currency: 'usd' });
    expect(debit.ending_balance).toBe(-300);
    expect((await t.stripe.customers.retrieve(c.id)) as Stripe.Customer).toMatchObject({ balance: -300, currency: 'usd' });
    const updated = await t.stripe.customers.updateBalanceTransaction(c.id, debit.id, { description: 'Fee', metadata: { k: 'v' } });
    expect(updated).toMatchObject({ description: 'Fee', metadata: { k: 'v' }, amount: 200 });
    expect((await t.stripe.customers.retrieveBalanceTransaction(c.id, credit.id)).description).toBe('Goodwill');

    const inv = await openInvoice(c.id, [1000]);
    expect(inv).toMatchObject({ total: 1000, amount_due: 700, starting_balance: -300, ending_balance: 0 });
    expect(((await t.stripe.customers.retrieve(c.id)) as Stripe.Customer).balance).toBe(0);
    const list = await t.stripe.customers.listBalanceTransactions(c.id);
    expect(list.data.map((x) => [x.type, x.amount, x.ending_balance])).toEqual([
      ['applied_to_invoice', 300, 0],
      ['adjustment', 200, -300],
      ['adjustment', -500, -500],
    ]);
    expect(list.data[0]!.invoice).toBe(inv.id);

    const bad = await t.stripe.customers.createBalanceTransaction(c.id, { amount: 100, currency: 'eur' }).catch((e) => e);
    expect(bad).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });
});

describe('credit notes', () => {
  it('on an open invoice lower the amount due; voiding gives it back; crediting all of it pays the invoice', async () => {
    const c = await t.stripe.customers.create({ name: 'Open Co' });
    const inv = await openInvoice(c.id, [1000, 2000]);
    const line = inv.lines.data.find((l) => l.amount === 1000)!;

    const preview = await t.stripe.creditNotes.preview({
      invoice: inv.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 1000 }],
    });
    expect(preview).toMatchObject({ amount: 1000, type: 'pre_payment', pre_payment_amount: 1000, post_payment_amount: 0 });
    const previewLines = await t.stripe.creditNotes.listPreviewLineItems({
      invoice: inv.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: line.id, amount: 1000 }],
    });
    expect(previewLines.data.map((l) => [l.type, l.amount, l.invoice_line_item])).toEqual([['invoice_line_item', 1000, line.id]]);
    expect((await t.stripe.invoices.retrieve(inv.id)).amount_remaining).toBe(3000); // a preview changes nothing

    const cn = await t.stripe.creditNotes.create({ invoice: inv.id, amount: 500, reason: 'order_change', memo: 'Discount agreed' });
    expect(cn).toMatchObject({ object: 'credit_note', status: 'issued', type: 'pre_payment', amount: 500, total: 500, invoice: inv.id });
    if (!t.real) {
      // Its `pdf` is a real PDF document of the credit note.
      const pdf = await fetch(cn.pdf);
      expect([pdf.status, pdf.headers.get('content-type')]).toEqual([200, 'application/pdf']);
      expect((await PDFDocument.load(await pdf.arrayBuffer())).getTitle()).toBe(`Credit note ${cn.number}`);
    }
    let after = await t.stripe.invoices.retrieve(inv.id);
    expect(after).toMatchObject({ status: 'open', amount_due: 2500, amount_remaining: 2500, pre_payment_credit_notes_amount: 500 });

    const tooMuch = await t.stripe.creditNotes.create({ invoice: inv.id, amount: 2600 }).catch((e) => e);
    expect(tooMuch).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });

    const voided = await t.stripe.creditNotes.voidCreditNote(cn.id);
    expect(voided).toMatchObject({ status: 'void' });
    expect(voided.voided_at).not.toBeNull();
    after = await t.stripe.invoices.retrieve(inv.id);
    expect(after).toMatchObject({ amount_remaining: 3000, pre_payment_credit_notes_amount: 0 });

    const all = await t.stripe.creditNotes.create({ invoice: inv.id, amount: 3000 });
    expect(all.type).toBe('pre_payment');
    after = await t.stripe.invoices.retrieve(inv.id);
    expect(after).toMatchObject({ status: 'paid', amount_remaining: 0, pre_payment_credit_notes_amount: 3000 });
    const listed = await t.stripe.creditNotes.list({ invoice: inv.id });
    expect(listed.data.map((x) => [x.id, x.status])).toEqual([
      [all.id, 'issued'],
      [cn.id, 'void'],
    ]);
    const updated = await t.stripe.creditNotes.update(all.id, { memo: 'All of it', metadata: { case: '7' } });
    expect(updated).toMatchObject({ memo: 'All of it', metadata: { case: '7' } });
  });

  it('on a paid invoice refund and credit the balance as asked, and the sum must match', async () => {
    const { invoice, charge, customer } = await paidInvoice(3000);
    const bad = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 1000, refund_amount: 300 }).catch((e) => e);
    expect(bad).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });

    const cn = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 1000, refund_amount: 600, credit_amount: 400 });
    expect(cn).toMatchObject({ type: 'post_payment', post_payment_amount: 1000, pre_payment_amount: 0, amount: 1000 });
    expect(cn.refunds).toHaveLength(1);
    expect(cn.refunds[0]!.amount_refunded).toBe(600);
    const refund = await t.stripe.refunds.retrieve(cn.refunds[0]!.refund as string);
    expect(refund).toMatchObject({ amount: 600, charge, status: 'succeeded' });
    expect(await t.stripe.charges.retrieve(charge)).toMatchObject({ amount_refunded: 600, refunded: false });
    expect(((await t.stripe.customers.retrieve(customer)) as Stripe.Customer).balance).toBe(-400);
    const txn = await t.stripe.customers.retrieveBalanceTransaction(customer, cn.customer_balance_transaction as string);
    expect(txn).toMatchObject({ type: 'credit_note', amount: -400, credit_note: cn.id });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'paid', post_payment_credit_notes_amount: 1000 });

    // no split given: the whole amount goes to the customer's balance
    const credit = await t.stripe.creditNotes.create({ invoice: invoice.id, amount: 500 });
    expect(credit.refunds).toEqual([]);
    expect(((await t.stripe.customers.retrieve(customer)) as Stripe.Customer).balance).toBe(-900);
    // voiding it takes the credit back off the balance
    await t.stripe.creditNotes.voidCreditNote(credit.id);
    expect(((await t.stripe.customers.retrieve(customer)) as Stripe.Customer).balance).toBe(-400);
    expect((await t.stripe.invoices.retrieve(invoice.id)).post_payment_credit_notes_amount).toBe(1000);

    const lines = await t.stripe.creditNotes.listLineItems(cn.id);
    expect(lines.object).toBe('list');
  });

  t.emulatorOnly('a refund made on an invoice’s charge is noted on the invoice by a post-payment credit note', async () => {
    const { invoice, charge } = await paidInvoice(2000);
    const refund = await t.stripe.refunds.create({ charge, amount: 800 });
    const notes = await t.stripe.creditNotes.list({ invoice: invoice.id });
    expect(notes.data).toHaveLength(1);
    expect(notes.data[0]).toMatchObject({ type: 'post_payment', amount: 800, refunds: [{ refund: refund.id, amount_refunded: 800 }] });
    expect(await t.stripe.invoices.retrieve(invoice.id)).toMatchObject({ post_payment_credit_notes_amount: 800, amount_paid: 2000 });
    const types = (await t.stripe.events.list({ limit: 10 })).data.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['refund.created', 'charge.refunded', 'credit_note.created', 'invoice.updated']));
  });
});
