/** The form schemas of app/routes/reset-password.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

export const Schema = z
  .object({
    password: z.string().min(10, 'Use at least 10 characters.').max(200, 'Use at most 200 characters.'),
    confirmPassword: z.string().max(200),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], message: 'The two passwords differ.' });
