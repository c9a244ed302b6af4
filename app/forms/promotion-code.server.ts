/**
 * What a "Have a code?" field accepts (docs/billing.md "Promotion codes"), for the subscribe step and the
 * plan change review; server-only so zod stays out of the browser bundle. Whether the code exists and may
 * be redeemed is Stripe's to say.
 */
import { z } from 'zod';

export const PromotionCodeInput = z
  .string()
  .trim()
  .max(64, 'Codes are at most 64 characters long.')
  .regex(/^[A-Za-z0-9_-]*$/, 'A code has only letters, digits and dashes. Check what you typed.');
