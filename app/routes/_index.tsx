import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useRouteLoaderData } from '@remix-run/react';
import { PricingTable } from '~/components/pricing-table';
import type { loader as rootLoader } from '~/root';

export const meta: MetaFunction = () => [
  { title: 'Acme Cloud — the API platform for builders' },
  { name: 'description', content: 'Plans for individuals, professionals and teams. Start free for 14 days on Pro.' },
];

export async function loader(_: LoaderFunctionArgs) {
  return null;
}

export default function Landing() {
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const signedIn = Boolean(root?.user);
  return (
    <div>
      <section className="bg-gradient-to-b from-brand-50 to-slate-50">
        <div className="mx-auto max-w-4xl px-6 py-20 text-center">
          <h1 className="text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">The API platform that grows with you</h1>
          <p className="mx-auto mt-5 max-w-2xl text-lg text-slate-600">
            Ship faster with a simple, metered API. Pay monthly or yearly, switch plans any time, and only pay for the calls you make.
          </p>
          <div className="mt-8 flex justify-center gap-3">
            <Link to={signedIn ? '/billing' : '/signup'} className="btn-primary px-6 py-3 text-base">
              {signedIn ? 'Go to billing' : 'Start free'}
            </Link>
            <a href="#pricing" className="btn-secondary px-6 py-3 text-base">
              See pricing
            </a>
          </div>
        </div>
      </section>
      <section id="pricing" aria-labelledby="pricing-title" className="mx-auto max-w-6xl px-4 py-16 sm:px-6">
        <h2 id="pricing-title" className="text-center text-3xl font-bold tracking-tight">
          Simple, honest pricing
        </h2>
        <p className="mt-2 text-center text-slate-600">Prices in USD. Taxes may apply. Cancel any time.</p>
        <div className="mt-10">
          <PricingTable
            renderAction={(plan, interval) => (
              <Link
                to={
                  signedIn
                    ? `/billing?plan=${plan.key}&interval=${interval}`
                    : `/signup?redirectTo=${encodeURIComponent(`/billing?plan=${plan.key}&interval=${interval}`)}`
                }
                className={plan.key === 'pro' ? 'btn-primary w-full' : 'btn-secondary w-full'}
              >
                {plan.trialDays > 0 ? `Start ${plan.trialDays}-day trial` : `Choose ${plan.name}`}
              </Link>
            )}
          />
        </div>
      </section>
    </div>
  );
}
