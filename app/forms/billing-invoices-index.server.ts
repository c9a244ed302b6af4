/** The query schema of app/routes/billing.invoices._index.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';
import { CURSOR_PATTERN } from '~/billing/invoices.server';
import { HISTORY_STATUSES } from '~/billing/queries.server';

export const QuerySchema = z.object({
  status: z.enum(HISTORY_STATUSES, { message: 'Filter by Paid, Open, Void or Uncollectible, or show all.' }).optional(),
  cursor: z.string().regex(CURSOR_PATTERN, 'That page link is not valid. Start again from the first page.').optional(),
});
