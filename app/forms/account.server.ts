/** The form schemas of app/routes/account.tsx, server-only so zod stays out of the browser bundle. */
import { z } from 'zod';

const Email = z.string().trim().min(1, 'Enter your email.').max(254, 'That email is too long.').email('Enter a valid email address.');

const NewPassword = z.string().min(10, 'Use at least 10 characters.').max(200, 'Use at most 200 characters.');

export const ProfileSchema = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(100, 'Keep your name under 100 characters.'),
  email: Email,
  emailPassword: z.string().max(200, 'That password is too long.'),
});

export const PasswordSchema = z
  .object({
    currentPassword: z.string().min(1, 'Enter your current password.').max(200, 'That password is too long.'),
    newPassword: NewPassword,
    confirmPassword: z.string().max(200),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ['confirmPassword'], message: 'The two new passwords differ.' });
