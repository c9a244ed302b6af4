/**
 * The catalogue as code (isomorphic: no secrets, no Stripe ids). `npm run stripe:setup` makes Stripe
 * match it by `lookup_key`; prices are resolved by lookup key at run time. Amounts are integer minor
 * units. Prices on Stripe are immutable: changing an amount here makes setup archive the old price
 * and create a new one that takes over the lookup key.
 */
export type Interval = 'month' | 'year';
/** The plans, smallest first: the one list the billing form validates against. */
export const PLAN_KEYS = ['starter', 'pro', 'team'] as const;
export type PlanKey = (typeof PLAN_KEYS)[number];
export type Feature = 'dashboard' | 'api' | 'priority_support' | 'team_members' | 'usage_analytics';

interface PlanPrice {
  lookupKey: string;
  unitAmount: number;
  interval: Interval;
}

export interface Plan {
  key: PlanKey;
  name: string;
  tagline: string;
  /** Order for upgrade/downgrade decisions: higher is bigger. */
  rank: number;
  perSeat: boolean;
  trialDays: number;
  features: Feature[];
  highlights: string[];
  prices: Record<Interval, PlanPrice>;
  /** API calls included each month; the rest are billed through the plan's metered price. */
  includedApiCalls: number;
}

export const CURRENCY = 'usd';

/** The most seats a per-seat plan can be bought with here (more: contact sales). */
export const MAX_SEATS = 500;

export const PLANS: Record<PlanKey, Plan> = {
  starter: {
    key: 'starter',
    name: 'Starter',
    tagline: 'For individuals getting going.',
    rank: 1,
    perSeat: false,
    trialDays: 0,
    features: ['dashboard', 'api'],
    highlights: ['1 project', '10,000 API calls included', 'Email support'],
    prices: {
      month: { lookupKey: 'starter_monthly', unitAmount: 1200, interval: 'month' },
      year: { lookupKey: 'starter_yearly', unitAmount: 12000, interval: 'year' },
    },
    includedApiCalls: 10_000,
  },
  pro: {
    key: 'pro',
    name: 'Pro',
    tagline: 'For professionals who ship every day.',
    rank: 2,
    perSeat: false,
    trialDays: 14,
    features: ['dashboard', 'api', 'usage_analytics', 'priority_support'],
    highlights: ['Unlimited projects', '100,000 API calls included', 'Usage analytics', 'Priority support', '14-day free trial'],
    prices: {
      month: { lookupKey: 'pro_monthly', unitAmount: 4900, interval: 'month' },
      year: { lookupKey: 'pro_yearly', unitAmount: 49000, interval: 'year' },
    },
    includedApiCalls: 100_000,
  },
  team: {
    key: 'team',
    name: 'Team',
    tagline: 'For teams that build together.',
    rank: 3,
    perSeat: true,
    trialDays: 0,
    features: ['dashboard', 'api', 'usage_analytics', 'priority_support', 'team_members'],
    highlights: ['Everything in Pro', 'Per-seat pricing', 'Shared workspaces', 'SSO-ready audit log'],
    prices: {
      month: { lookupKey: 'team_monthly', unitAmount: 1500, interval: 'month' },
      year: { lookupKey: 'team_yearly', unitAmount: 15000, interval: 'year' },
    },
    includedApiCalls: 100_000,
  },
};

export const PLAN_LIST: Plan[] = Object.values(PLANS).sort((a, b) => a.rank - b.rank);

/**
 * The metered component: billed in arrears from Billing Meter events. Each plan has its own graduated
 * metered price (`meteredPriceOf`): the plan's included calls free, then `price.unitAmount` a call.
 * `price` is the plain per-call price (no allowance), kept for the pricing table's wording.
 */
export const METERED = {
  key: 'api_calls',
  name: 'API calls',
  meter: { eventName: 'api_call', displayName: 'API calls', aggregation: 'sum' as const },
  price: { lookupKey: 'api_calls_monthly', unitAmount: 1, interval: 'month' as Interval, per: 'call' },
  description: 'Each call to the API beyond your plan’s included calls, billed monthly in arrears.',
};

/** One-time purchases, paid in the page with a PaymentIntent. */
export const ONE_TIME = {
  credit_pack: {
    key: 'credit_pack',
    name: 'Credit pack',
    lookupKey: 'credit_pack',
    unitAmount: 2500,
    /** Credits in one pack. */
    credits: 5000,
    /**
     * What one credit is worth in Stripe, in minor units: one call beyond the allowance
     * (`METERED.price.unitAmount`). The pack is a Stripe credit grant of `credits × creditValue`
     * that pays the metered line before anything is charged (app/billing/credit-grants.server.ts).
     */
    creditValue: 1,
    description: '5,000 API credits that never expire, spent on calls beyond your plan before they are billed.',
  },
} as const;

/** What the Stripe customer portal may do, made to match by `npm run stripe:setup`. */
export const PORTAL_CONFIGURATION = {
  headline: 'Manage your subscription',
  features: {
    subscriptionCancel: { enabled: true, mode: 'at_period_end' as const },
    subscriptionUpdate: { enabled: true, prorationBehavior: 'always_invoice' as const },
    paymentMethodUpdate: { enabled: true },
    invoiceHistory: { enabled: true },
  },
};

export interface MeteredTier {
  upTo: number | 'inf';
  unitAmount: number;
}

/** A plan's graduated metered price (monthly plans; Stripe bills one interval per subscription). */
export function meteredPriceOf(plan: Plan): { lookupKey: string; interval: Interval; tiers: MeteredTier[] } {
  return {
    lookupKey: `api_calls_${plan.key}_monthly`,
    interval: 'month',
    tiers: [
      { upTo: plan.includedApiCalls, unitAmount: 0 },
      { upTo: 'inf', unitAmount: METERED.price.unitAmount },
    ],
  };
}

export function planByLookupKey(lookupKey: string): { plan: Plan; interval: Interval } | null {
  for (const plan of PLAN_LIST) {
    for (const interval of ['month', 'year'] as const) {
      if (plan.prices[interval].lookupKey === lookupKey) return { plan, interval };
    }
  }
  return null;
}

export function isPlanKey(value: string): value is PlanKey {
  return value in PLANS;
}
