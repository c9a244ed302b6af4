import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import {
  isRouteErrorResponse,
  Links,
  LiveReload,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
} from '@remix-run/react';
import { useEffect } from 'react';
import stylesheet from '~/tailwind.css';
import { isOperator } from '~/admin/guard.server';
import { getUser } from '~/auth/session.server';
import { AppShell } from '~/components/app-shell';
import { dunningNotice } from '~/billing/dunning.server';
import { env } from '~/lib/env.server';
import { useNonce } from '~/lib/nonce';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

export const meta: MetaFunction = () => [{ title: 'Acme Cloud' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // With the load context, the layout's and the page's loaders reuse this session read.
  const user = await getUser(request, context);
  return {
    user: user ? { id: user.id, name: user.name, email: user.email, isAdmin: isOperator(user.email) } : null,
    // A payment owed: the banner on every page (app/billing/dunning.server.ts).
    dunning: user ? dunningNotice(user.id) : null,
    // Where app/lib/stripe-js.ts fetches Stripe.js when a payment form opens (never with the page).
    stripeJsUrl: env().stripeMode === 'unconfigured' ? null : env().stripeJsUrl,
  };
}

export function Layout({ children }: { children: React.ReactNode }) {
  // Marks the document once React has hydrated it: before that a click submits forms natively, so
  // browser tests wait for this (tests/e2e/browser.ts `hydrated`), not for the router object.
  useEffect(() => {
    document.documentElement.dataset.hydrated = 'true';
  }, []);
  const nonce = useNonce();
  return (
    <html lang="en" className="h-full bg-slate-50">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="h-full text-slate-900 antialiased">
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
        <LiveReload nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { user, dunning } = useLoaderData<typeof loader>();
  return (
    <AppShell user={user} dunning={dunning}>
      <Outlet />
    </AppShell>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const message = isRouteErrorResponse(error)
    ? typeof error.data === 'string'
      ? error.data
      : error.statusText
    : 'Something went wrong on our side. Please try again in a moment.';
  return (
    <main className="mx-auto max-w-xl px-6 py-24 text-center">
      <p className="text-sm font-semibold text-brand-600">{status}</p>
      <h1 className="mt-2 text-3xl font-bold tracking-tight">
        {status === 404 ? 'Page not found' : status < 500 ? 'That did not work' : 'Unexpected error'}
      </h1>
      <p className="mt-4 text-slate-600">{status === 404 ? 'We could not find that page.' : message}</p>
      <a href="/" className="btn-primary mt-8">
        Back home
      </a>
    </main>
  );
}
