/**
 * Billing details, owner-scoped: the name, billing email and address on the Stripe customer and its
 * tax IDs (`customers.createTaxId`), which Stripe prints on invoices finalized afterwards. Stripe
 * validates tax IDs; its words for a bad one ("Invalid value for eu_vat.") are shown as they are.
 */
import type { PostalAddress, TaxIdView } from '~/db/schema';
import { stripe } from '~/stripe/client.server';
import { ensureStripeCustomer } from './customers.server';
import { BillingError, fromStripeError } from './errors';
import { withUserLock } from './locks.server';
import { getBillingState } from './queries.server';
import { syncCustomer } from './sync.server';

export interface BillingDetails {
  name: string;
  email: string;
  address: PostalAddress;
  taxIds: TaxIdView[];
}

/** The tax ID types offered in the form (Stripe's codes), with their names. */
export const TAX_ID_TYPES = {
  eu_vat: 'EU VAT number',
  gb_vat: 'UK VAT number',
  us_ein: 'US EIN',
  au_abn: 'Australian ABN',
  ca_bn: 'Canadian BN',
  ch_vat: 'Swiss VAT number',
  no_vat: 'Norwegian VAT number',
  in_gst: 'Indian GST number',
} as const;
export type TaxIdType = keyof typeof TAX_ID_TYPES;

const EMPTY_ADDRESS: PostalAddress = { line1: null, line2: null, city: null, state: null, postal_code: null, country: null };

export function billingDetails({
  userId,
  fallbackName,
  fallbackEmail,
}: {
  userId: string;
  fallbackName: string;
  fallbackEmail: string;
}): BillingDetails {
  const customer = getBillingState({ userId }).customer;
  return {
    name: customer?.name ?? fallbackName,
    email: customer?.email ?? fallbackEmail,
    address: customer?.address ?? EMPTY_ADDRESS,
    taxIds: customer?.taxIds ?? [],
  };
}

/** Stripe's own message for a field it refused (a bad tax ID, a bad email), else the usual words. */
function detailsError(error: unknown): BillingError {
  const e = error as { type?: string; message?: string; code?: string; param?: string };
  if (e?.type === 'StripeInvalidRequestError' && e.message && (e.code === 'tax_id_invalid' || e.param)) {
    return new BillingError('invalid_details', e.message, { cause: error });
  }
  return fromStripeError(error);
}

export async function updateBillingDetails(input: {
  userId: string;
  name: string;
  email: string;
  address: PostalAddress;
  nonce: string;
}): Promise<void> {
  await withUserLock(input.userId, async () => {
    const customerId = await ensureStripeCustomer({ userId: input.userId });
    const a = input.address;
    try {
      await stripe().customers.update(
        customerId,
        {
          name: input.name,
          email: input.email,
          address: {
            line1: a.line1 ?? '',
            line2: a.line2 ?? '',
            city: a.city ?? '',
            state: a.state ?? '',
            postal_code: a.postal_code ?? '',
            country: a.country ?? '',
          },
        },
        { idempotencyKey: `billing-details:${input.userId}:${input.nonce}` },
      );
      await syncCustomer(customerId);
    } catch (error) {
      throw detailsError(error);
    }
  });
}

export async function addTaxId(input: { userId: string; type: TaxIdType; value: string; nonce: string }): Promise<void> {
  await withUserLock(input.userId, async () => {
    const customerId = await ensureStripeCustomer({ userId: input.userId });
    try {
      await stripe().customers.createTaxId(
        customerId,
        { type: input.type, value: input.value },
        { idempotencyKey: `tax-id:${input.userId}:${input.nonce}` },
      );
      await syncCustomer(customerId);
    } catch (error) {
      throw detailsError(error);
    }
  });
}

export async function removeTaxId(input: { userId: string; taxId: string; nonce: string }): Promise<void> {
  await withUserLock(input.userId, async () => {
    const customer = getBillingState({ userId: input.userId }).customer;
    if (!customer || !customer.taxIds.some((t) => t.id === input.taxId))
      throw new BillingError('no_subscription', 'That tax ID is not on your account any more. Reload the page.');
    try {
      await stripe().customers.deleteTaxId(customer.id, input.taxId, {}, { idempotencyKey: `tax-id-remove:${input.taxId}:${input.nonce}` });
      await syncCustomer(customer.id);
    } catch (error) {
      throw detailsError(error);
    }
  });
}
