/**
 * Contract: a draft invoice's lines added, changed and removed through the invoice (each one an
 * invoice item), and sending a `send_invoice` invoice (also against Stripe test mode).
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

async function draftFor(collection: 'send_invoice' | 'charge_automatically' = 'send_invoice') {
  const c = await t.stripe.customers.create({ name: 'Lines Co', email: 'lines@example.com' });
  const inv = await t.stripe.invoices.create({
    customer: c.id,
    collection_method: collection,
    ...(collection === 'send_invoice' ? { days_until_due: 14 } : {}),
    auto_advance: false,
    currency: 'usd',
  });
  return { customer: c.id, inv };
}

describe('invoice lines', () => {
  it('adds, updates and removes lines of a draft; the totals follow', async () => {
    const { customer, inv } = await draftFor();
    const product = await t.stripe.products.create({ name: 'Seat' });
    const price = await t.stripe.prices.create({ product: product.id, unit_amount: 1200, currency: 'usd' });
    let out = await t.stripe.invoices.addLines(inv.id, {
      lines: [
        { amount: 5000, description: 'Setup' },
        { pricing: { price: price.id }, quantity: 3 },
      ],
      invoice_metadata: { po: '42' },
    });
    expect(out.total).toBe(5000 + 3600);
    expect(out.metadata).toEqual({ po: '42' });
    expect(out.lines.data.map((l) => [l.description, l.amount, l.quantity])).toEqual([
      ['Setup', 5000, 1],
      ['Seat', 3600, 3],
    ]);
    const setup = out.lines.data[0]!;
    const seats = out.lines.data[1]!;
    const items = await t.stripe.invoiceItems.list({ invoice: inv.id });
    expect(items.data).toHaveLength(2);

    out = await t.stripe.invoices.updateLines(inv.id, {
      lines: [
        { id: seats.id, quantity: 5 },
        { id: setup.id, description: 'Onboarding' },
      ],
    });
    expect(out.lines.data.map((l) => [l.id, l.description, l.amount])).toEqual([
      [setup.id, 'Onboarding', 5000],
      [seats.id, 'Seat', 6000],
    ]);
    expect(out.total).toBe(11000);

    out = await t.stripe.invoices.removeLines(inv.id, { lines: [{ id: setup.id, behavior: 'unassign' }] });
    expect(out.lines.data.map((l) => l.id)).toEqual([seats.id]);
    expect(out.total).toBe(6000);
    const pending = await t.stripe.invoiceItems.list({ customer, pending: true });
    expect(pending.data.map((i) => i.description)).toEqual(['Onboarding']);

    // the pending item goes back on by id; then a delete removes it for good
    out = await t.stripe.invoices.addLines(inv.id, { lines: [{ invoice_item: pending.data[0]!.id }] });
    expect(out.total).toBe(11000);
    const again = out.lines.data.find((l) => l.description === 'Onboarding')!;
    out = await t.stripe.invoices.removeLines(inv.id, { lines: [{ id: again.id, behavior: 'delete' }] });
    expect(out.total).toBe(6000);
    const gone = await t.stripe.invoiceItems.retrieve(pending.data[0]!.id).catch((e) => e);
    expect(gone).toMatchObject({ statusCode: 404 });

    const fin = await t.stripe.invoices.finalizeInvoice(inv.id, { auto_advance: false });
    const late = await t.stripe.invoices.addLines(fin.id, { lines: [{ amount: 100, description: 'Late' }] }).catch((e) => e);
    expect(late).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });

  it('sends a send_invoice invoice (finalizing a draft) and refuses one that charges automatically', async () => {
    const { inv } = await draftFor();
    await t.stripe.invoices.addLines(inv.id, { lines: [{ amount: 2500, description: 'Consulting' }] });
    const sent = await t.stripe.invoices.sendInvoice(inv.id);
    expect(sent).toMatchObject({ status: 'open', amount_due: 2500 });
    expect(sent.number).toEqual(expect.any(String));
    if (!t.real) {
      const events = await t.stripe.events.list({ type: 'invoice.sent', limit: 5 });
      expect(events.data.map((e) => (e.data.object as Stripe.Invoice).id)).toContain(inv.id);
    }
    const auto = await draftFor('charge_automatically');
    const refused = await t.stripe.invoices.sendInvoice(auto.inv.id).catch((e) => e);
    expect(refused).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });
});
