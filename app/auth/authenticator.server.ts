import { Authenticator } from 'remix-auth';
import { FormStrategy } from 'remix-auth-form';
import { z } from 'zod';
import type { User } from '~/db/schema';
import { throttleWaitMs, verifyLogin } from './users.server';

const LoginSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email.').max(254, 'That email is too long.').email('Enter a valid email address.'),
  password: z.string().min(1, 'Enter your password.').max(200, 'That password is too long.'),
});

/** A login that did not succeed, with what to show beside which field. */
export class LoginFailure extends Error {
  constructor(
    readonly status: 400 | 401 | 429,
    readonly fieldErrors: Partial<Record<'email' | 'password' | 'form', string>>,
    readonly retryAfterSeconds?: number,
  ) {
    super(Object.values(fieldErrors)[0] ?? 'Login failed');
  }
}

function formatWait(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes <= 1 ? 'about a minute' : `${minutes} minutes`;
}

export const authenticator = new Authenticator<User>();

authenticator.use(
  new FormStrategy(async ({ form }) => {
    const parsed = LoginSchema.safeParse({ email: form.get('email') ?? '', password: form.get('password') ?? '' });
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
      throw new LoginFailure(400, errors);
    }
    const wait = throttleWaitMs(parsed.data.email);
    if (wait > 0) {
      throw new LoginFailure(
        429,
        { form: `Too many failed attempts for this email. Try again in ${formatWait(wait)}.` },
        Math.ceil(wait / 1000),
      );
    }
    const user = await verifyLogin(parsed.data.email, parsed.data.password);
    if (!user) throw new LoginFailure(401, { password: 'That email and password do not match.' });
    return user;
  }),
  'form',
);
