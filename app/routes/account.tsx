import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import type { z } from 'zod';
import { verifyPassword } from '~/auth/password.server';
import { clientAddressOf, clientWaitMs, describeWait, recordClientAttempt } from '~/auth/rate-limit.server';
import {
  currentSession,
  listActiveSessions,
  newSessionCookie,
  readFlash,
  revokeOtherSessions,
  safeRedirectTo,
} from '~/auth/session.server';
import { EmailTakenError, setPassword, updateUserProfile } from '~/auth/users.server';
import { PasswordSchema, ProfileSchema } from '~/forms/account.server';
import { Alert, Field, PageHeader } from '~/components/app-shell';

/** A 429's Retry-After reaches the browser (Remix sends only what `headers` returns on documents). */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export const meta: MetaFunction = () => [{ title: 'Account · Acme Cloud' }];

type Errors = Partial<Record<'name' | 'email' | 'emailPassword' | 'currentPassword' | 'newPassword' | 'confirmPassword' | 'form', string>>;
type Result = { section: 'profile' | 'password' | 'sessions'; errors?: Errors; message?: string };

async function requireSession(request: Request) {
  const current = await currentSession(request);
  if (!current) {
    const url = new URL(request.url);
    throw redirect(`/login?${new URLSearchParams({ redirectTo: safeRedirectTo(url.pathname + url.search) })}`);
  }
  return current;
}

/** "Chrome on macOS" from a User-Agent, enough to tell one's own devices apart. */
function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\/|Chromium\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /curl\//.test(ua)
            ? 'curl'
            : 'A browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  return os ? `${browser} on ${os}` : browser;
}

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, session } = await requireSession(request);
  const { flash, setCookie } = await readFlash(request);
  return data(
    {
      flash,
      name: user.name,
      email: user.email,
      sessions: listActiveSessions(user.id).map((s) => ({
        key: s.id.slice(0, 12),
        current: s.id === session.id,
        device: describeAgent(s.userAgent),
        created: utc(s.createdAt),
        lastSeen: utc(s.lastSeenAt),
      })),
    },
    setCookie ? { headers: { 'Set-Cookie': setCookie } } : undefined,
  );
}

function firstErrors(issues: z.ZodError['issues']): Errors {
  const errors: Errors = {};
  for (const issue of issues) errors[issue.path[0] as keyof Errors] ??= issue.message;
  return errors;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, session } = await requireSession(request);
  const form = await request.formData();
  const intent = form.get('intent');
  const address = clientAddressOf(context);
  const field = (name: string) => String(form.get(name) ?? '');

  /** A wrong current password counts as a failed login from this address (and is limited like one). */
  async function checkCurrent(section: Result['section'], password: string, fieldName: 'currentPassword' | 'emailPassword') {
    const wait = clientWaitMs('login_failure', address);
    if (wait > 0) {
      const { seconds, text } = describeWait(wait);
      return data<Result>(
        { section, errors: { form: `Too many wrong passwords from your network. Try again in ${text}.` } },
        { status: 429, headers: { 'Retry-After': String(seconds) } },
      );
    }
    if (!(await verifyPassword(password, user.passwordHash))) {
      recordClientAttempt('login_failure', address);
      return data<Result>({ section, errors: { [fieldName]: 'That is not your current password.' } }, { status: 400 });
    }
    return null;
  }

  if (intent === 'profile') {
    const parsed = ProfileSchema.safeParse({ name: field('name'), email: field('email'), emailPassword: field('emailPassword') });
    if (!parsed.success) return data<Result>({ section: 'profile', errors: firstErrors(parsed.error.issues) }, { status: 400 });
    const emailChanges = parsed.data.email.toLowerCase() !== user.email;
    if (emailChanges) {
      if (!parsed.data.emailPassword)
        return data<Result>(
          { section: 'profile', errors: { emailPassword: 'Enter your current password to change your email.' } },
          { status: 400 },
        );
      const refused = await checkCurrent('profile', parsed.data.emailPassword, 'emailPassword');
      if (refused) return refused;
    }
    try {
      updateUserProfile(user.id, { name: parsed.data.name, email: parsed.data.email });
    } catch (error) {
      if (error instanceof EmailTakenError)
        return data<Result>({ section: 'profile', errors: { email: 'Another account uses that email.' } }, { status: 409 });
      throw error;
    }
    return data<Result>({ section: 'profile', message: emailChanges ? 'Saved. Use your new email to log in from now on.' : 'Saved.' });
  }

  if (intent === 'password') {
    const parsed = PasswordSchema.safeParse({
      currentPassword: field('currentPassword'),
      newPassword: field('newPassword'),
      confirmPassword: field('confirmPassword'),
    });
    if (!parsed.success) return data<Result>({ section: 'password', errors: firstErrors(parsed.error.issues) }, { status: 400 });
    const refused = await checkCurrent('password', parsed.data.currentPassword, 'currentPassword');
    if (refused) return refused;
    await setPassword(user.id, parsed.data.newPassword);
    // Every session ends with the old password, this one included; this browser gets a new one.
    revokeOtherSessions(user.id, null);
    const cookie = await newSessionCookie(user.id, null, {
      kind: 'success',
      message: 'Password changed. You were logged out everywhere else.',
    });
    return redirect('/account', { headers: { 'Set-Cookie': cookie } });
  }

  if (intent === 'logout-others') {
    const n = revokeOtherSessions(user.id, session.id);
    return data<Result>({
      section: 'sessions',
      message: n === 0 ? 'No other sessions were open.' : `Logged out ${n} other session${n === 1 ? '' : 's'}.`,
    });
  }

  return data<Result>({ section: 'profile', errors: { form: 'Unknown action. Reload the page and try again.' } }, { status: 400 });
}

export default function Account() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = (intent: string) => navigation.state === 'submitting' && navigation.formData?.get('intent') === intent;
  const errorsFor = (section: Result['section']): Errors => (result?.section === section ? (result.errors ?? {}) : {});
  const messageFor = (section: Result['section']) => (result?.section === section ? result.message : undefined);
  const profile = errorsFor('profile');
  const password = errorsFor('password');
  const others = d.sessions.filter((s) => !s.current).length;
  return (
    <div className="mx-auto max-w-3xl space-y-8 px-4 py-10 sm:px-6">
      <PageHeader title="Account" description="Your name, email, password and where you are logged in." />

      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading" className="text-base font-semibold">
          Profile
        </h2>
        <Form method="post" className="mt-4 space-y-4" noValidate>
          <input type="hidden" name="intent" value="profile" />
          {profile.form ? <Alert kind="error">{profile.form}</Alert> : null}
          {messageFor('profile') ? <Alert kind="success">{messageFor('profile')}</Alert> : null}
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Name" name="name" autoComplete="name" defaultValue={d.name} error={profile.name} required maxLength={100} />
            <Field label="Email" name="email" type="email" autoComplete="email" defaultValue={d.email} error={profile.email} required />
          </div>
          <Field
            label="Password (to change your email)"
            name="emailPassword"
            type="password"
            autoComplete="current-password"
            error={profile.emailPassword}
            hint="Needed only when you change your email."
          />
          <button type="submit" className="btn-primary" disabled={busy('profile')}>
            {busy('profile') ? 'Saving…' : 'Save profile'}
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="password-heading">
        <h2 id="password-heading" className="text-base font-semibold">
          Password
        </h2>
        <p className="mt-1 text-sm text-slate-600">Changing it logs you out on every other device.</p>
        <Form method="post" className="mt-4 space-y-4" noValidate>
          <input type="hidden" name="intent" value="password" />
          {password.form ? <Alert kind="error">{password.form}</Alert> : null}
          {messageFor('password') ? <Alert kind="success">{messageFor('password')}</Alert> : null}
          {d.flash ? <Alert kind={d.flash.kind}>{d.flash.message}</Alert> : null}
          <Field
            label="Current password"
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            error={password.currentPassword}
            required
          />
          <div className="grid gap-4 sm:grid-cols-2">
            <Field
              label="New password"
              name="newPassword"
              type="password"
              autoComplete="new-password"
              error={password.newPassword}
              hint="At least 10 characters."
              required
            />
            <Field
              label="New password again"
              name="confirmPassword"
              type="password"
              autoComplete="new-password"
              error={password.confirmPassword}
              required
            />
          </div>
          <button type="submit" className="btn-primary" disabled={busy('password')}>
            {busy('password') ? 'Changing…' : 'Change password'}
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="sessions-heading">
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div>
            <h2 id="sessions-heading" className="text-base font-semibold">
              Sessions
            </h2>
            <p className="mt-1 text-sm text-slate-600">Sessions end after 30 days without use, and after 90 days in any case.</p>
          </div>
          <Form method="post">
            <input type="hidden" name="intent" value="logout-others" />
            <button type="submit" className="btn-secondary" disabled={others === 0 || busy('logout-others')}>
              {busy('logout-others') ? 'Logging out…' : 'Log out other sessions'}
            </button>
          </Form>
        </div>
        {messageFor('sessions') ? (
          <div className="mt-4">
            <Alert kind="success">{messageFor('sessions')}</Alert>
          </div>
        ) : null}
        <ul className="mt-4 divide-y divide-slate-200" data-testid="sessions">
          {d.sessions.map((s) => (
            <li key={s.key} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 py-3 text-sm">
              <span className="font-medium text-slate-900">
                {s.device}
                {s.current ? (
                  <span className="ml-2 rounded bg-brand-50 px-1.5 py-0.5 text-xs font-medium text-brand-700">This browser</span>
                ) : null}
              </span>
              <span className="text-slate-500">
                Last active {s.lastSeen} · since {s.created}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
