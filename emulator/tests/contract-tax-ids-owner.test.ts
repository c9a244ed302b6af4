/**
 * Contract: tax IDs through `/v1/tax_ids` — the account's own (`owner[type]=self`) and a customer's
 * (`owner[type]=customer`, the same object the customer's own endpoints list), any type of the API.
 */
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

describe('tax IDs by owner', () => {
  it('creates a customer’s tax ID through /v1/tax_ids; the customer lists it; delete removes it', async () => {
    const c = await t.stripe.customers.create({ name: 'Owner Co' });
    const tax = await t.stripe.taxIds.create({ type: 'gb_vat', value: 'GB123456789', owner: { type: 'customer', customer: c.id } });
    expect(tax).toMatchObject({ object: 'tax_id', customer: c.id, owner: { type: 'customer', customer: c.id }, country: 'GB' });
    expect((await t.stripe.customers.listTaxIds(c.id)).data.map((x) => x.id)).toEqual([tax.id]);
    const listed = await t.stripe.taxIds.list({ owner: { type: 'customer', customer: c.id } });
    expect(listed.data.map((x) => x.id)).toEqual([tax.id]);
    expect(await t.stripe.taxIds.retrieve(tax.id)).toMatchObject({ id: tax.id, value: 'GB123456789' });
    expect(await t.stripe.taxIds.del(tax.id)).toMatchObject({ id: tax.id, deleted: true });
    expect((await t.stripe.customers.listTaxIds(c.id)).data).toEqual([]);
  });

  it('accepts the types Stripe knows beyond the validated ones, and refuses an unknown type', async () => {
    const c = await t.stripe.customers.create({});
    const jp = await t.stripe.customers.createTaxId(c.id, { type: 'jp_cn', value: '1234567891234' });
    expect(jp).toMatchObject({ type: 'jp_cn', value: '1234567891234' });
    const bad = await t.stripe.customers.createTaxId(c.id, { type: 'xx_nope' as never, value: '1' }).catch((e) => e);
    expect(bad).toMatchObject({ statusCode: 400, param: 'type' });
  });

  t.emulatorOnly('keeps the account’s own tax IDs apart from customers’', async () => {
    const own = await t.stripe.taxIds.create({ type: 'eu_vat', value: 'DE123456789', owner: { type: 'self' } });
    expect(own).toMatchObject({ customer: null, owner: { type: 'self' }, country: 'DE' });
    const mine = await t.stripe.taxIds.list({ owner: { type: 'self' } });
    expect(mine.data.map((x) => x.id)).toContain(own.id);
    expect(mine.data.every((x) => x.customer === null)).toBe(true);
  });
});
