/** The form and query schemas of the operator console (app/routes/admin*.tsx), server-only so zod stays out of the browser bundle. */
import { z } from 'zod';
import { INBOX_VIEWS, OUTBOX_VIEWS } from '~/admin/views';

/** app/routes/admin.catalog.tsx. */
export const CatalogAction = z.object({ intent: z.literal('check', { error: 'Use “Compare with Stripe” to check the catalogue.' }) });

/** app/routes/admin.customers.$id.tsx. */
export const CustomerId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'That is not a customer id.');

/** app/routes/admin.customers.$id.tsx. */
export const CustomerAction = z.object({
  intent: z.enum(['resync', 'drift'], { error: 'Choose “Resync from Stripe” or “Check drift”.' }),
});

/** app/routes/admin.customers._index.tsx. */
export const CustomerSearch = z.object({
  q: z.string().max(200, 'Search for at most 200 characters.').default(''),
  page: z.coerce.number().int('The page is a whole number.').min(1, 'Pages start at 1.').max(10_000, 'That page is too far.').default(1),
});

/** app/routes/admin.drift.tsx. */
export const DriftAction = z.object({ intent: z.literal('start', { error: 'Use “Check every customer” to start a drift report.' }) });

/** app/routes/admin.emails.tsx. */
export const EmailsQuery = z.object({
  status: z.enum(OUTBOX_VIEWS, { error: 'Choose all, pending, sending, sent or failed.' }).default('all'),
  before: z.coerce.number().int().positive('That page link is malformed.').optional(),
  id: z.coerce.number().int().positive('That is not an outbox message number.').optional(),
});

/** app/routes/admin.webhooks.tsx. */
export const WebhooksQuery = z.object({
  status: z.enum(INBOX_VIEWS, { error: 'Choose failed, pending, processed or ignored.' }).default('failed'),
  before: z
    .string()
    .regex(/^\d{1,15}:[A-Za-z0-9_]{1,100}$/, 'That page link is malformed; start again from the first page.')
    .optional(),
});

/** app/routes/admin.webhooks.tsx. */
export const WebhooksAction = z.discriminatedUnion(
  'intent',
  [
    z.object({
      intent: z.literal('replay'),
      eventId: z.string().regex(/^evt_[A-Za-z0-9_]{1,100}$/, 'That is not a Stripe event id (evt_…).'),
    }),
    z.object({ intent: z.literal('replay-failed') }),
  ],
  { error: 'Choose “Replay” on one event or “Replay all failed”.' },
);
