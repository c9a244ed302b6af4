/** The form schemas of app/routes/billing.details.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';
import { TAX_ID_TYPES } from '~/billing/billing-details.server';

const Nonce = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'Reload the page and try again.');

const text = (max: number, label: string) => z.string().trim().max(max, `${label}: at most ${max} characters.`);

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('details'),
    name: text(256, 'Name').min(1, 'Enter the name to print on invoices.'),
    email: z.string().trim().email('Enter a billing email like name@example.com.').max(512),
    line1: text(200, 'Address'),
    line2: text(200, 'Address line 2'),
    city: text(100, 'City'),
    state: text(100, 'State or region'),
    postal_code: text(20, 'Postal code'),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^([A-Z]{2})?$/, 'Country: use the two-letter code, like US, GB or DE.'),
    nonce: Nonce,
  }),
  z.object({
    intent: z.literal('add_tax_id'),
    type: z.enum(Object.keys(TAX_ID_TYPES) as [keyof typeof TAX_ID_TYPES], { message: 'Choose the kind of tax ID.' }),
    value: text(40, 'Tax ID').min(1, 'Enter the tax ID.'),
    nonce: Nonce,
  }),
  z.object({
    intent: z.literal('remove_tax_id'),
    taxId: z.string().regex(/^txi_[A-Za-z0-9]{1,128}$/, 'Reload the page and try again.'),
    nonce: Nonce,
  }),
]);
