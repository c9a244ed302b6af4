/** The form schemas of app/routes/api-keys.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

export const ActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('create'),
    name: z.string().trim().min(1, 'Give the key a name.').max(60, 'Keep the name under 60 characters.'),
  }),
  z.object({ intent: z.literal('revoke'), keyId: z.string().min(1).max(64) }),
]);
