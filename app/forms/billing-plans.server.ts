/** The form schemas of app/routes/billing.plans.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';
import { MAX_SEATS, PLAN_KEYS, PLANS } from '~/billing/plans';

const Seats = z.coerce
  .number({ message: 'Enter a number of seats.' })
  .int('Seats must be a whole number.')
  .min(1, 'At least 1 seat.')
  .max(MAX_SEATS, `At most ${MAX_SEATS} seats; contact us for more.`);

export const ChoiceSchema = z
  .object({
    plan: z.enum(PLAN_KEYS, { message: 'That plan does not exist. Choose one of the plans shown.' }),
    interval: z.enum(['month', 'year'], { message: 'Choose monthly or yearly.' }),
    seats: z.string().optional(),
  })
  .transform((value, ctx) => {
    if (!PLANS[value.plan].perSeat) return { plan: value.plan, interval: value.interval, seats: 1 };
    const seats = Seats.safeParse(value.seats ?? '');
    if (!seats.success) {
      ctx.addIssue({ code: 'custom', path: ['seats'], message: seats.error.issues[0]?.message ?? 'Enter a number of seats.' });
      return z.NEVER;
    }
    return { plan: value.plan, interval: value.interval, seats: seats.data };
  });

const Token = z
  .string()
  .min(20, 'This review is incomplete. Open “Change plan” again.')
  .max(2000, 'This review is not valid. Open “Change plan” again.');

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('confirm'), token: Token, plan: z.string(), interval: z.string(), seats: z.string().optional() }),
  z.object({ intent: z.literal('finish'), token: Token, failure: z.string().max(300).optional() }),
]);
