/** The form schemas of app/routes/signup.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

export const SignupSchema = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(100, 'Keep your name under 100 characters.'),
  email: z.string().trim().min(1, 'Enter your email.').max(254, 'That email is too long.').email('Enter a valid email address.'),
  password: z.string().min(10, 'Use at least 10 characters.').max(200, 'Use at most 200 characters.'),
});
