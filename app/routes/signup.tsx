import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { SignupSchema } from '~/forms/signup.server';
import { clientAddressOf, clientWaitMs, describeWait, recordClientAttempt } from '~/auth/rate-limit.server';
import { createUserSession, getUserId, safeRedirectTo } from '~/auth/session.server';
import { createUser, EmailTakenError } from '~/auth/users.server';
import { Alert, Field } from '~/components/app-shell';

/** A 429's Retry-After reaches the browser (Remix sends only what `headers` returns on documents). */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export const meta: MetaFunction = () => [{ title: 'Sign up · Acme Cloud' }];

type FieldErrors = Partial<Record<'name' | 'email' | 'password' | 'form', string>>;

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getUserId(request)) throw redirect('/dashboard');
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  // Per client address (docs/decisions/021-client-rate-limits.md): tries on registered emails (the
  // enumeration signal, docs/decisions/024-signup-enumeration.md) and accounts created.
  const address = clientAddressOf(context);
  const wait = Math.max(clientWaitMs('signup_probe', address), clientWaitMs('signup_created', address));
  if (wait > 0) {
    const { seconds, text } = describeWait(wait);
    return data(
      {
        errors: { form: `Too many sign-ups from your network. Try again in ${text}.` } as FieldErrors,
        values: { name: String(form.get('name') ?? '').slice(0, 100), email: String(form.get('email') ?? '').slice(0, 254) },
      },
      { status: 429, headers: { 'Retry-After': String(seconds) } },
    );
  }
  const redirectTo = safeRedirectTo(form.get('redirectTo'));
  const parsed = SignupSchema.safeParse({
    name: form.get('name') ?? '',
    email: form.get('email') ?? '',
    password: form.get('password') ?? '',
  });
  if (!parsed.success) {
    const errors: FieldErrors = {};
    for (const issue of parsed.error.issues) errors[issue.path[0] as keyof FieldErrors] ??= issue.message;
    return data(
      { errors, values: { name: String(form.get('name') ?? '').slice(0, 100), email: String(form.get('email') ?? '').slice(0, 254) } },
      { status: 400 },
    );
  }
  try {
    const user = await createUser(parsed.data);
    recordClientAttempt('signup_created', address);
    return createUserSession(user.id, redirectTo, request);
  } catch (error) {
    if (error instanceof EmailTakenError) {
      // Never a session for the existing account: the answer says only that the email is taken.
      recordClientAttempt('signup_probe', address);
      return data(
        { errors: { email: error.message } as FieldErrors, values: { name: parsed.data.name, email: parsed.data.email } },
        { status: 409 },
      );
    }
    throw error;
  }
}

export default function Signup() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const errors: FieldErrors = result?.errors ?? {};
  return (
    <div className="mx-auto max-w-md px-4 py-16">
      <div className="card">
        <h1 className="text-2xl font-bold tracking-tight">Create your account</h1>
        <p className="mt-1 text-sm text-slate-600">
          Already have one?{' '}
          <Link className="font-medium text-brand-700 underline-offset-2 hover:underline" to={`/login?${params}`}>
            Log in
          </Link>
        </p>
        <Form method="post" className="mt-6 space-y-4" noValidate>
          {errors.form ? <Alert kind="error">{errors.form}</Alert> : null}
          <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? ''} />
          <Field
            label="Name"
            name="name"
            autoComplete="name"
            defaultValue={result?.values.name}
            error={errors.name}
            required
            maxLength={100}
          />
          <Field
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            defaultValue={result?.values.email}
            error={errors.email}
            required
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            error={errors.password}
            hint="At least 10 characters."
            required
          />
          <button type="submit" className="btn-primary w-full" disabled={navigation.state === 'submitting'}>
            {navigation.state === 'submitting' ? 'Creating account…' : 'Create account'}
          </button>
        </Form>
      </div>
    </div>
  );
}
