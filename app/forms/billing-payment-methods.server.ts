/** The form schemas of app/routes/billing.payment-methods.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

const Nonce = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'Reload the page and try again.');

const Card = z.string().regex(/^(pm|card|src)_[A-Za-z0-9_]{1,128}$/, 'Choose one of your saved cards.');

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('add_start'), nonce: Nonce }),
  z.object({ intent: z.literal('add_complete') }),
  z.object({ intent: z.literal('make_default'), card: Card, nonce: Nonce }),
  z.object({ intent: z.literal('remove'), card: Card, nonce: Nonce }),
]);
