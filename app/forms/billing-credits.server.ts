/** The form schemas of app/routes/billing.credits.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('buy'), nonce: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'Reload the page and try again.') }),
  z.object({
    intent: z.literal('confirm'),
    clientSecret: z
      .string()
      .regex(/^pi_[A-Za-z0-9]{1,128}_secret_[A-Za-z0-9]{1,128}$/, 'Reload the page to see whether the purchase went through.'),
  }),
]);
