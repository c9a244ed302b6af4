/** The form schemas of app/routes/billing._index.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';
import { CANCELLATION_REASON_OPTIONS } from '~/billing/cancellation';
import { MAX_SEATS, PLAN_KEYS } from '~/billing/plans';
import { PAUSE_MONTHS } from '~/billing/subscriptions.server';
import { PromotionCodeInput } from './promotion-code.server';

const Nonce = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'Reload the page and try again.');

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('subscribe'),
    plan: z.enum(PLAN_KEYS, { message: 'Choose one of the plans shown.' }),
    interval: z.enum(['month', 'year'], { message: 'Choose monthly or yearly.' }),
    seats: z.coerce
      .number({ message: 'Enter a number of seats.' })
      .int('Seats must be a whole number.')
      .min(1, 'At least 1 seat.')
      .max(MAX_SEATS, `At most ${MAX_SEATS} seats; contact us for more.`)
      .optional(),
    code: PromotionCodeInput.optional(),
    nonce: Nonce,
  }),
  z.object({ intent: z.literal('confirm') }),
  z.object({
    intent: z.literal('cancel'),
    reason: z.union([z.enum(CANCELLATION_REASON_OPTIONS), z.literal('')]).optional(),
    comment: z.string().max(500, 'Keep the comment under 500 characters.').optional(),
    nonce: Nonce,
  }),
  z.object({ intent: z.literal('reactivate'), nonce: Nonce }),
  z.object({ intent: z.literal('resume'), nonce: Nonce }),
  z.object({
    intent: z.literal('pause'),
    months: z.coerce
      .number({ message: 'Choose how many months to pause.' })
      .int()
      .refine((n) => (PAUSE_MONTHS as readonly number[]).includes(n), 'Pause for 1, 2 or 3 months.'),
    nonce: Nonce,
  }),
  z.object({ intent: z.literal('cancel_now'), nonce: Nonce }),
  z.object({ intent: z.literal('portal'), nonce: Nonce }),
  z.object({ intent: z.literal('undo_plan_change'), nonce: Nonce }),
  z.object({ intent: z.literal('abandon') }),
]);
