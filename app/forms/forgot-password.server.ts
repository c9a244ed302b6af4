/** The form schemas of app/routes/forgot-password.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

export const Schema = z.object({
  email: z.string().trim().min(1, 'Enter your email.').max(254, 'That email is too long.').email('Enter a valid email address.'),
});
