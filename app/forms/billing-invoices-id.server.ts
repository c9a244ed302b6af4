/** The form schemas of app/routes/billing.invoices.$id.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

export const InvoiceIdSchema = z.string().regex(/^in_[A-Za-z0-9]{1,128}$/);

const Nonce = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'Reload the page and try again.');

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('pay_start') }),
  z.object({
    intent: z.literal('pay_saved'),
    paymentMethod: z.string().regex(/^pm_[A-Za-z0-9_]{1,128}$/, 'Choose one of your saved cards.'),
    nonce: Nonce,
  }),
  z.object({ intent: z.literal('pay_complete') }),
]);
