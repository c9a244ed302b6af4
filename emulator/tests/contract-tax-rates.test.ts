/** Contract: tax rates are created, updated (not their percentage), archived and listed by state. */
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

describe('tax rates', () => {
  it('creates, updates, archives and lists', async () => {
    const vat = await t.stripe.taxRates.create({ display_name: 'VAT', inclusive: false, percentage: 19, country: 'DE', tax_type: 'vat' });
    expect(vat).toMatchObject({
      object: 'tax_rate',
      active: true,
      percentage: 19,
      inclusive: false,
      country: 'DE',
      tax_type: 'vat',
      display_name: 'VAT',
    });
    expect(vat.id).toMatch(/^txr_/);
    const updated = await t.stripe.taxRates.update(vat.id, { description: 'German VAT', metadata: { region: 'eu' } });
    expect(updated).toMatchObject({ description: 'German VAT', metadata: { region: 'eu' }, percentage: 19 });
    const archived = await t.stripe.taxRates.update(vat.id, { active: false });
    expect(archived.active).toBe(false);
    const inactive = await t.stripe.taxRates.list({ active: false, limit: 100 });
    expect(inactive.data.map((r) => r.id)).toContain(vat.id);
    const active = await t.stripe.taxRates.list({ active: true, limit: 100 });
    expect(active.data.map((r) => r.id)).not.toContain(vat.id);
    expect((await t.stripe.taxRates.retrieve(vat.id)).description).toBe('German VAT');
  });

  it('refuses a rate without its required fields or a changed percentage', async () => {
    const missing = await t.stripe.taxRates.create({ display_name: 'X', inclusive: true } as never).catch((e) => e);
    expect(missing).toMatchObject({ statusCode: 400, param: 'percentage' });
    const rate = await t.stripe.taxRates.create({ display_name: 'GST', inclusive: true, percentage: 10 });
    const changed = await t.stripe.taxRates.update(rate.id, { percentage: 12 } as never).catch((e) => e);
    expect(changed).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
  });
});
