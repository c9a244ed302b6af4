/**
 * Contract: customer tax IDs (validated, listed, expanded on the customer, printed on invoices at
 * finalization) and clearing address fields with empty values — via the SDK.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

describe('customer tax IDs', () => {
  it('creates, lists, expands and deletes; a bad value is refused with Stripe’s words', async () => {
    const c = await t.stripe.customers.create({ name: 'Tax Co' });
    const bad = await t.stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'DE12' }).catch((e) => e);
    expect(bad).toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'tax_id_invalid',
      param: 'value',
      message: 'Invalid value for eu_vat.',
    });
    const vat = await t.stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'DE123456789' });
    expect(vat).toMatchObject({ object: 'tax_id', type: 'eu_vat', value: 'DE123456789', country: 'DE', customer: c.id });
    expect(vat.id).toMatch(/^txi_/);
    const listed = await t.stripe.customers.listTaxIds(c.id);
    expect(listed.data.map((x) => x.id)).toEqual([vat.id]);
    const expanded = (await t.stripe.customers.retrieve(c.id, { expand: ['tax_ids'] })) as Stripe.Customer;
    expect(expanded.tax_ids?.data.map((x) => x.value)).toEqual(['DE123456789']);
    const deleted = await t.stripe.customers.deleteTaxId(c.id, vat.id);
    expect(deleted).toMatchObject({ id: vat.id, deleted: true });
    expect((await t.stripe.customers.listTaxIds(c.id)).data).toEqual([]);
  });

  it('prints the billing details on an invoice when it is finalized', async () => {
    const c = await t.stripe.customers.create({ name: 'Before', address: { line1: '1 Old Road', line2: 'Unit 2', country: 'GB' } });
    const draft = await t.stripe.invoices.create({
      customer: c.id,
      collection_method: 'send_invoice',
      days_until_due: 7,
      auto_advance: false,
    });
    await t.stripe.invoiceItems.create({ customer: c.id, invoice: draft.id, amount: 500, currency: 'usd' });
    await t.stripe.customers.update(c.id, { name: 'After Ltd', address: { line1: '2 New Road', line2: '', country: 'GB' } });
    await t.stripe.customers.createTaxId(c.id, { type: 'gb_vat', value: 'GB123456789' });
    const fin = await t.stripe.invoices.finalizeInvoice(draft.id);
    expect(fin.customer_name).toBe('After Ltd');
    expect(fin.customer_address).toMatchObject({ line1: '2 New Road', line2: null, country: 'GB' });
    expect(fin.customer_tax_ids).toEqual([{ type: 'gb_vat', value: 'GB123456789' }]);
  });
});
