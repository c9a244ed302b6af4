import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { Schema } from '~/forms/reset-password.server';
import { resetPassword, resetTokenIsLive } from '~/auth/password-reset.server';
import { createUserSession, revokeOtherSessions } from '~/auth/session.server';
import { Alert, Field } from '~/components/app-shell';

export const meta: MetaFunction = () => [{ title: 'Choose a new password · Acme Cloud' }];

// The token is in the address: never cached, never sent on as a Referer.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });

const DEAD_LINK = 'This link has expired or was already used. Ask for a new one.';

export async function loader({ request }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get('token') ?? '';
  const live = resetTokenIsLive(token);
  return data(
    { token: live ? token : '', live },
    { status: live ? 200 : 400, headers: { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } },
  );
}

type Errors = Partial<Record<'password' | 'confirmPassword' | 'form', string>>;

export async function action({ request }: ActionFunctionArgs) {
  const form = await request.formData();
  const token = String(form.get('token') ?? '');
  const parsed = Schema.safeParse({
    password: String(form.get('password') ?? ''),
    confirmPassword: String(form.get('confirmPassword') ?? ''),
  });
  if (!parsed.success) {
    const errors: Errors = {};
    for (const issue of parsed.error.issues) errors[issue.path[0] as keyof Errors] ??= issue.message;
    return data({ errors }, { status: 400 });
  }
  const user = await resetPassword(token, parsed.data.password);
  if (!user) return data({ errors: { form: DEAD_LINK } as Errors }, { status: 400 });
  // A new password ends every session; this browser starts a fresh one.
  revokeOtherSessions(user.id, null);
  return createUserSession(user.id, '/dashboard', request);
}

export default function ResetPassword() {
  const { token, live } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const errors: Errors = result?.errors ?? {};
  return (
    <div className="mx-auto max-w-md px-4 py-16">
      <div className="card">
        <h1 className="text-2xl font-bold tracking-tight">Choose a new password</h1>
        {live ? (
          <Form method="post" className="mt-6 space-y-4" noValidate>
            {errors.form ? <Alert kind="error">{errors.form}</Alert> : null}
            <input type="hidden" name="token" value={token} />
            <Field
              label="New password"
              name="password"
              type="password"
              autoComplete="new-password"
              error={errors.password}
              hint="At least 10 characters."
              required
            />
            <Field
              label="New password again"
              name="confirmPassword"
              type="password"
              autoComplete="new-password"
              error={errors.confirmPassword}
              required
            />
            <button type="submit" className="btn-primary w-full" disabled={navigation.state === 'submitting'}>
              {navigation.state === 'submitting' ? 'Saving…' : 'Save and log in'}
            </button>
            <p className="text-xs text-slate-500">Saving logs you out on every other device.</p>
          </Form>
        ) : (
          <div className="mt-6 space-y-4">
            <Alert kind="error">{DEAD_LINK}</Alert>
            <Link to="/forgot-password" className="btn-primary">
              Send a new link
            </Link>
          </div>
        )}
      </div>
    </div>
  );
}
