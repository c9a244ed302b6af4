import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { authenticator, LoginFailure } from '~/auth/authenticator.server';
import { clientAddressOf, clientWaitMs, describeWait, recordClientAttempt } from '~/auth/rate-limit.server';
import { createUserSession, getUserId, safeRedirectTo } from '~/auth/session.server';
import { Alert, Field } from '~/components/app-shell';

/** A 429's Retry-After reaches the browser (Remix sends only what `headers` returns on documents). */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export const meta: MetaFunction = () => [{ title: 'Log in · Acme Cloud' }];

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getUserId(request)) throw redirect('/dashboard');
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  // remix-auth-form reads the body itself; read our own fields from a clone.
  const form = await request.clone().formData();
  const redirectTo = safeRedirectTo(form.get('redirectTo'));
  const email = String(form.get('email') ?? '').slice(0, 254);
  // Per client address as well as per account (docs/decisions/021-client-rate-limits.md).
  const address = clientAddressOf(context);
  const wait = clientWaitMs('login_failure', address);
  if (wait > 0) {
    const { seconds, text } = describeWait(wait);
    return data(
      { errors: { form: `Too many failed logins from your network. Try again in ${text}.` } as LoginFailure['fieldErrors'], email },
      { status: 429, headers: { 'Retry-After': String(seconds) } },
    );
  }
  try {
    const user = await authenticator.authenticate('form', request);
    return createUserSession(user.id, redirectTo, request);
  } catch (error) {
    if (error instanceof LoginFailure) {
      if (error.status === 401) recordClientAttempt('login_failure', address);
      return data(
        { errors: error.fieldErrors, email },
        {
          status: error.status,
          headers: error.retryAfterSeconds ? { 'Retry-After': String(error.retryAfterSeconds) } : undefined,
        },
      );
    }
    throw error;
  }
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const errors = result?.errors ?? {};
  return (
    <div className="mx-auto max-w-md px-4 py-16">
      <div className="card">
        <h1 className="text-2xl font-bold tracking-tight">Log in</h1>
        <p className="mt-1 text-sm text-slate-600">
          New here?{' '}
          <Link className="font-medium text-brand-700 underline-offset-2 hover:underline" to={`/signup?${params}`}>
            Create an account
          </Link>
        </p>
        <Form method="post" className="mt-6 space-y-4" noValidate>
          {errors.form ? <Alert kind="error">{errors.form}</Alert> : null}
          <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? ''} />
          <Field label="Email" name="email" type="email" autoComplete="email" defaultValue={result?.email} error={errors.email} required />
          <Field label="Password" name="password" type="password" autoComplete="current-password" error={errors.password} required />
          <p className="-mt-2 text-right text-sm">
            <Link className="font-medium text-brand-700 underline-offset-2 hover:underline" to="/forgot-password">
              Forgot password?
            </Link>
          </p>
          <button type="submit" className="btn-primary w-full" disabled={navigation.state === 'submitting'}>
            {navigation.state === 'submitting' ? 'Logging in…' : 'Log in'}
          </button>
        </Form>
      </div>
    </div>
  );
}
