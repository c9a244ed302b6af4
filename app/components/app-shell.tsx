import { Form, NavLink, Link } from '@remix-run/react';
import type { DunningNotice } from '~/billing/dunning.server';
import { DunningBanner } from '~/components/billing/dunning-banner';
import { PRODUCT_NAME } from '~/mail/brand';

type ShellUser = { id: string; name: string; email: string; isAdmin?: boolean } | null;

const NAV = [
  { to: '/dashboard', label: 'Dashboard' },
  { to: '/billing', label: 'Billing' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/account', label: 'Account' },
];

export function AppShell({ user, dunning, children }: { user: ShellUser; dunning?: DunningNotice | null; children: React.ReactNode }) {
  return (
    <div className="flex min-h-full flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-8 gap-y-3 px-4 py-3 sm:px-6">
          <Link
            to={user ? '/dashboard' : '/'}
            className="flex items-center gap-2 rounded font-semibold tracking-tight focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500"
          >
            <span aria-hidden className="grid h-8 w-8 place-items-center rounded-lg bg-brand-600 text-sm font-bold text-white">
              A
            </span>
            <span>{PRODUCT_NAME}</span>
          </Link>
          {user ? (
            <nav aria-label="Main" className="order-3 flex w-full gap-1 overflow-x-auto sm:order-none sm:w-auto">
              {(user.isAdmin ? [...NAV, { to: '/admin', label: 'Admin' }] : NAV).map((item) => (
                <NavLink
                  key={item.to}
                  to={item.to}
                  className={({ isActive }) =>
                    `whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 ${
                      isActive ? 'bg-brand-50 text-brand-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'
                    }`
                  }
                >
                  {item.label}
                </NavLink>
              ))}
            </nav>
          ) : null}
          <div className="ml-auto flex items-center gap-3">
            {user ? (
              <>
                <div className="hidden text-right sm:block">
                  <p className="text-sm font-medium leading-tight" data-testid="signed-in-user">
                    {user.name}
                  </p>
                  <p className="text-xs text-slate-500">{user.email}</p>
                </div>
                <Form method="post" action="/logout">
                  <button type="submit" className="btn-secondary">
                    Log out
                  </button>
                </Form>
              </>
            ) : (
              <>
                <Link
                  to="/login"
                  className="rounded px-3 py-2 text-sm font-medium text-slate-700 hover:text-slate-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500"
                >
                  Log in
                </Link>
                <Link to="/signup" className="btn-primary">
                  Sign up
                </Link>
              </>
            )}
          </div>
        </div>
      </header>
      {user && dunning ? <DunningBanner notice={dunning} /> : null}
      <main id="main" tabIndex={-1} className="flex-1 focus:outline-none">
        {children}
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto max-w-6xl px-4 py-6 text-sm text-slate-500 sm:px-6">© {PRODUCT_NAME} · Payments by Stripe</div>
      </footer>
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: string; actions?: React.ReactNode }) {
  return (
    <div className="flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">{title}</h1>
        {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      </div>
      {actions}
    </div>
  );
}

export function Field({
  label,
  name,
  type = 'text',
  error,
  autoComplete,
  defaultValue,
  hint,
  required,
  maxLength,
}: {
  label: string;
  name: string;
  type?: string;
  error?: string;
  autoComplete?: string;
  defaultValue?: string;
  hint?: string;
  required?: boolean;
  maxLength?: number;
}) {
  const id = `field-${name}`;
  const describedBy = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div>
      <label htmlFor={id} className="label">
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        autoComplete={autoComplete}
        defaultValue={defaultValue}
        required={required}
        maxLength={maxLength}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={`input mt-1 ${error ? 'ring-red-400 focus:ring-red-500' : ''}`}
      />
      {hint && !error ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-600">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Alert({ kind, children }: { kind: 'error' | 'success' | 'info'; children: React.ReactNode }) {
  const styles = {
    error: 'bg-red-50 text-red-800 ring-red-200',
    success: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
    info: 'bg-sky-50 text-sky-800 ring-sky-200',
  }[kind];
  return (
    <div role={kind === 'error' ? 'alert' : 'status'} className={`rounded-md p-3 text-sm ring-1 ring-inset ${styles}`}>
      {children}
    </div>
  );
}

/** An action's answer as the pages' fetchers hold it. */
type ActionAnswer = { ok: true; message?: string | null } | { ok: false; error: string };

/**
 * A page's header and, in one live region that is always there, what the last action said: screen
 * readers announce the change (a region inserted together with its text may go unannounced).
 */
export function HeaderWithStatus({
  title,
  description,
  testId,
  answer,
}: {
  title: string;
  description: string;
  testId: string;
  answer: ActionAnswer | undefined;
}) {
  return (
    <div>
      <PageHeader title={title} description={description} />
      <div aria-live="polite" data-testid={testId}>
        {answer && !answer.ok ? (
          <div className="mt-6">
            <Alert kind="error">{answer.error}</Alert>
          </div>
        ) : answer?.message ? (
          <div className="mt-6">
            <Alert kind="success">{answer.message}</Alert>
          </div>
        ) : null}
      </div>
    </div>
  );
}
