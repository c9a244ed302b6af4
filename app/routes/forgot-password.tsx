import type { ActionFunctionArgs, HeadersFunction, MetaFunction } from '@remix-run/node';
import { data } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation } from '@remix-run/react';
import { Schema } from '~/forms/forgot-password.server';
import { requestPasswordReset, RESET_TTL_MS } from '~/auth/password-reset.server';
import { clientAddressOf, clientWaitMs, describeWait, recordClientAttempt } from '~/auth/rate-limit.server';
import { Alert, Field } from '~/components/app-shell';

/** A 429's Retry-After reaches the browser (Remix sends only what `headers` returns on documents). */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export const meta: MetaFunction = () => [{ title: 'Forgot password · Acme Cloud' }];

/** The same answer whether or not the address has an account (docs/decisions/022-password-reset.md). */
const sentMessage = (minutes: number) =>
  `If an account uses that email, we have sent it a link to choose a new password. The link works once, for ${minutes} minutes.`;

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const email = String(form.get('email') ?? '').slice(0, 254);
  const address = clientAddressOf(context);
  const wait = clientWaitMs('reset_request', address);
  if (wait > 0) {
    const { seconds, text } = describeWait(wait);
    return data(
      {
        sent: false,
        email,
        error: `Too many reset requests from your network. Try again in ${text}.`,
        validMinutes: RESET_TTL_MS / 60_000,
      },
      { status: 429, headers: { 'Retry-After': String(seconds) } },
    );
  }
  const parsed = Schema.safeParse({ email });
  if (!parsed.success)
    return data({ sent: false, email, error: parsed.error.issues[0]!.message, validMinutes: RESET_TTL_MS / 60_000 }, { status: 400 });
  recordClientAttempt('reset_request', address);
  requestPasswordReset(parsed.data.email);
  return data({ sent: true, email: parsed.data.email, error: null as string | null, validMinutes: RESET_TTL_MS / 60_000 });
}

export default function ForgotPassword() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <div className="mx-auto max-w-md px-4 py-16">
      <div className="card">
        <h1 className="text-2xl font-bold tracking-tight">Forgot your password?</h1>
        <p className="mt-1 text-sm text-slate-600">Enter the email you log in with and we will send you a link to choose a new one.</p>
        {result?.sent ? (
          <div className="mt-6 space-y-4">
            <Alert kind="success">{sentMessage(result.validMinutes)}</Alert>
            <p className="text-sm text-slate-600">
              Nothing arrived? Check your spam folder, or{' '}
              <Link className="font-medium text-brand-700 underline-offset-2 hover:underline" to="/forgot-password">
                try again
              </Link>
              .
            </p>
          </div>
        ) : (
          <Form method="post" className="mt-6 space-y-4" noValidate>
            {result?.error && result.error.startsWith('Too many') ? <Alert kind="error">{result.error}</Alert> : null}
            <Field
              label="Email"
              name="email"
              type="email"
              autoComplete="email"
              defaultValue={result?.email}
              error={result?.error && !result.error.startsWith('Too many') ? result.error : undefined}
              required
            />
            <button type="submit" className="btn-primary w-full" disabled={navigation.state === 'submitting'}>
              {navigation.state === 'submitting' ? 'Sending…' : 'Send reset link'}
            </button>
          </Form>
        )}
        <p className="mt-6 text-sm text-slate-600">
          Remembered it?{' '}
          <Link className="font-medium text-brand-700 underline-offset-2 hover:underline" to="/login">
            Log in
          </Link>
        </p>
      </div>
    </div>
  );
}
