/**
 * The catalogue on Stripe, as declared in `plans.ts`:
 *  - `ensureCatalog()` makes Stripe match (npm run stripe:setup, and `npm start`): creates what is
 *    missing, replaces a price whose amount/tiers/currency/interval changed (prices are immutable: a new
 *    one takes over the lookup key with `transfer_lookup_key`, the old one is archived), keeps the
 *    metered meter and the customer-portal configuration, and reports what it did. Idempotent; every
 *    create carries an idempotency key derived from what it creates.
 *  - `priceByLookupKey(key)` resolves a price at run time (cached); no price ids in env.
 */
import crypto from 'node:crypto';
import type Stripe from 'stripe';
import { clock } from '~/lib/clock.server';
import { stripe } from '~/stripe/client.server';
import { mirrorCatalog } from './sync.server';
import { CURRENCY, METERED, ONE_TIME, PLAN_LIST, PORTAL_CONFIGURATION, meteredPriceOf, type Interval, type MeteredTier } from './plans';

interface DesiredPrice {
  lookupKey: string;
  productKey: string;
  productName: string;
  /** Null for a tiered price. */
  unitAmount: number | null;
  currency: string;
  recurring: { interval: Interval; usageType: 'licensed' | 'metered' } | null;
  /** Graduated tiers (the plans' metered prices). */
  tiers?: MeteredTier[];
}

interface DesiredProduct {
  key: string;
  name: string;
  description?: string;
}

/** The catalogue of plans.ts flattened into the products and prices Stripe should have. */
function desiredCatalog(): { products: DesiredProduct[]; prices: DesiredPrice[] } {
  const products: DesiredProduct[] = [];
  const prices: DesiredPrice[] = [];
  for (const plan of PLAN_LIST) {
    products.push({ key: plan.key, name: plan.name, description: plan.tagline });
    for (const interval of ['month', 'year'] as const) {
      const p = plan.prices[interval];
      prices.push({
        lookupKey: p.lookupKey,
        productKey: plan.key,
        productName: plan.name,
        unitAmount: p.unitAmount,
        currency: CURRENCY,
        recurring: { interval, usageType: 'licensed' },
      });
    }
  }
  products.push({ key: METERED.key, name: METERED.name, description: METERED.description });
  prices.push({
    lookupKey: METERED.price.lookupKey,
    productKey: METERED.key,
    productName: METERED.name,
    unitAmount: METERED.price.unitAmount,
    currency: CURRENCY,
    recurring: { interval: METERED.price.interval, usageType: 'metered' },
  });
  for (const plan of PLAN_LIST) {
    const m = meteredPriceOf(plan);
    prices.push({
      lookupKey: m.lookupKey,
      productKey: METERED.key,
      productName: METERED.name,
      unitAmount: null,
      currency: CURRENCY,
      recurring: { interval: m.interval, usageType: 'metered' },
      tiers: m.tiers,
    });
  }
  for (const item of Object.values(ONE_TIME)) {
    products.push({ key: item.key, name: item.name, description: item.description });
    prices.push({
      lookupKey: item.lookupKey,
      productKey: item.key,
      productName: item.name,
      unitAmount: item.unitAmount,
      currency: CURRENCY,
      recurring: null,
    });
  }
  return { products, prices };
}

export interface SetupRow {
  object: 'product' | 'price' | 'meter' | 'portal';
  key: string;
  /** With `dryRun`, `created`/`replaced`/`updated` say what a real run would do, and `id` is `-` for what it would create. */
  action: 'exists' | 'created' | 'replaced' | 'updated' | 'skipped';
  id: string;
  note?: string;
}

/** Does a Stripe price already say what plans.ts says? */
function priceMatches(price: Stripe.Price, want: DesiredPrice, meterId: string | null): boolean {
  if (price.unit_amount !== want.unitAmount || price.currency !== want.currency) return false;
  if (tiersKey(want.tiers) !== tiersKey(price.billing_scheme === 'tiered' && price.tiers_mode === 'graduated' ? price.tiers : undefined))
    return false;
  if (!want.recurring) return price.type === 'one_time';
  const r = price.recurring;
  if (!r || r.interval !== want.recurring.interval || (r.interval_count ?? 1) !== 1 || r.usage_type !== want.recurring.usageType)
    return false;
  return want.recurring.usageType !== 'metered' || r.meter === meterId;
}

/** Tiers compared as text (`10000:0,inf:1`); Stripe returns `up_to: null` for the last one. */
function tiersKey(tiers: Array<MeteredTier | Stripe.Price.Tier> | null | undefined): string {
  if (!tiers?.length) return '';
  return tiers.map((t) => ('upTo' in t ? `${t.upTo}:${t.unitAmount}` : `${t.up_to ?? 'inf'}:${t.unit_amount ?? 0}`)).join(',');
}

const PRODUCT_KEY = 'app_key';

async function listLookupKeyPrices(s: Stripe, keys: string[]): Promise<Map<string, Stripe.Price>> {
  const found = new Map<string, Stripe.Price>();
  for (let i = 0; i < keys.length; i += 10) {
    const page = await s.prices.list({ lookup_keys: keys.slice(i, i + 10), active: true, limit: 100, expand: ['data.tiers'] });
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price);
  }
  return found;
}

/**
 * Makes Stripe's catalogue match plans.ts (`stripe:setup`). `dryRun` only reads: it reports what a real
 * run would change (the operator console's catalogue page) and writes nothing, in Stripe or the mirror.
 */
export async function ensureCatalog(opts: { log?: (row: SetupRow) => void; dryRun?: boolean } = {}): Promise<SetupRow[]> {
  const dryRun = opts.dryRun === true;
  const s = stripe();
  const rows: SetupRow[] = [];
  const report = (row: SetupRow) => {
    rows.push(row);
    opts.log?.(row);
  };
  const { products: wantProducts, prices: wantPrices } = desiredCatalog();

  // Products, found by metadata.app_key (names may be edited in the dashboard).
  const productByKey = new Map<string, Stripe.Product>();
  for await (const product of s.products.list({ active: true, limit: 100 })) {
    const key = product.metadata?.[PRODUCT_KEY];
    if (key && !productByKey.has(key)) productByKey.set(key, product);
  }
  for (const want of wantProducts) {
    const existing = productByKey.get(want.key);
    if (existing) {
      report({ object: 'product', key: want.key, action: 'exists', id: existing.id });
      continue;
    }
    if (dryRun) {
      report({ object: 'product', key: want.key, action: 'created', id: '-' });
      continue;
    }
    const created = await s.products.create(
      { name: want.name, description: want.description, metadata: { [PRODUCT_KEY]: want.key } },
      { idempotencyKey: `setup:product:${want.key}` },
    );
    productByKey.set(want.key, created);
    report({ object: 'product', key: want.key, action: 'created', id: created.id });
  }

  // The meter the metered price bills from.
  let meter: Stripe.Billing.Meter | null = null;
  for await (const m of s.billing.meters.list({ status: 'active', limit: 100 })) {
    if (m.event_name === METERED.meter.eventName) meter = m;
  }
  if (meter) report({ object: 'meter', key: METERED.meter.eventName, action: 'exists', id: meter.id });
  else if (dryRun) report({ object: 'meter', key: METERED.meter.eventName, action: 'created', id: '-' });
  else {
    meter = await s.billing.meters.create(
      {
        display_name: METERED.meter.displayName,
        event_name: METERED.meter.eventName,
        default_aggregation: { formula: METERED.meter.aggregation },
      },
      { idempotencyKey: `setup:meter:${METERED.meter.eventName}` },
    );
    report({ object: 'meter', key: METERED.meter.eventName, action: 'created', id: meter.id });
  }

  // Prices by lookup key.
  const existingPrices = await listLookupKeyPrices(
    s,
    wantPrices.map((p) => p.lookupKey),
  );
  for (const want of wantPrices) {
    const existing = existingPrices.get(want.lookupKey);
    if (existing && priceMatches(existing, want, meter?.id ?? null)) {
      report({ object: 'price', key: want.lookupKey, action: 'exists', id: existing.id });
      continue;
    }
    if (dryRun) {
      report({
        object: 'price',
        key: want.lookupKey,
        action: existing ? 'replaced' : 'created',
        id: '-',
        note: existing ? `would archive ${existing.id}` : undefined,
      });
      continue;
    }
    const product = productByKey.get(want.productKey)!;
    if (!meter) throw new Error('unreachable: the meter exists outside a dry run');
    const params: Stripe.PriceCreateParams = {
      product: product.id,
      currency: want.currency,
      ...(want.tiers
        ? {
            billing_scheme: 'tiered' as const,
            tiers_mode: 'graduated' as const,
            tiers: want.tiers.map((t) => ({ up_to: t.upTo, unit_amount: t.unitAmount })),
          }
        : { unit_amount: want.unitAmount! }),
      lookup_key: want.lookupKey,
      transfer_lookup_key: true,
      metadata: { [PRODUCT_KEY]: want.productKey },
      ...(want.recurring
        ? {
            recurring: {
              interval: want.recurring.interval,
              usage_type: want.recurring.usageType,
              ...(want.recurring.usageType === 'metered' ? { meter: meter.id } : {}),
            },
          }
        : {}),
    };
    const replaces = existing?.id ?? 'none';
    const created = await s.prices.create(params, {
      idempotencyKey: `setup:price:${want.lookupKey}:${want.currency}:${want.tiers ? tiersKey(want.tiers) : want.unitAmount}:${want.recurring?.interval ?? 'once'}:${replaces}`,
    });
    if (existing) {
      await s.prices.update(existing.id, { active: false }, { idempotencyKey: `setup:price-archive:${existing.id}` });
      report({
        object: 'price',
        key: want.lookupKey,
        action: 'replaced',
        id: created.id,
        note: `archived ${existing.id} (${existing.unit_amount ?? tiersKey(existing.tiers)} → ${want.unitAmount ?? tiersKey(want.tiers)})`,
      });
    } else {
      report({ object: 'price', key: want.lookupKey, action: 'created', id: created.id });
    }
  }

  await ensurePortalConfiguration(s, productByKey, report, dryRun);
  if (dryRun) return rows;
  invalidatePriceCache();
  const resolved = await listLookupKeyPrices(
    s,
    wantPrices.map((p) => p.lookupKey),
  );
  mirrorCatalog([...productByKey.values()], [...resolved.values()], clock.now());
  return rows;
}

async function ensurePortalConfiguration(
  s: Stripe,
  productByKey: Map<string, Stripe.Product>,
  report: (row: SetupRow) => void,
  dryRun: boolean,
) {
  const prices = await listLookupKeyPrices(
    s,
    PLAN_LIST.flatMap((plan) => [plan.prices.month.lookupKey, plan.prices.year.lookupKey]),
  );
  const f = PORTAL_CONFIGURATION.features;
  const features: Stripe.BillingPortal.ConfigurationCreateParams.Features = {
    subscription_cancel: { enabled: f.subscriptionCancel.enabled, mode: f.subscriptionCancel.mode },
    payment_method_update: { enabled: f.paymentMethodUpdate.enabled },
    invoice_history: { enabled: f.invoiceHistory.enabled },
    subscription_update: {
      enabled: f.subscriptionUpdate.enabled,
      proration_behavior: f.subscriptionUpdate.prorationBehavior,
      default_allowed_updates: ['price', 'quantity'],
      products: PLAN_LIST.map((plan) => ({
        product: productByKey.get(plan.key)?.id ?? `(${plan.key}, to be created)`,
        prices: [plan.prices.month.lookupKey, plan.prices.year.lookupKey].map((k) => prices.get(k)?.id).filter((id): id is string => !!id),
      })),
    },
  };
  const params = { business_profile: { headline: PORTAL_CONFIGURATION.headline }, features };
  const digest = crypto.createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 16);
  try {
    // Ours is found by metadata (Stripe's `is_default` one belongs to the dashboard); the digest of
    // the params says whether it already matches plans.ts.
    let existing: Stripe.BillingPortal.Configuration | undefined;
    for await (const c of s.billingPortal.configurations.list({ active: true, limit: 100 })) {
      if (c.metadata?.[PRODUCT_KEY] === 'portal') existing = c;
    }
    const metadata = { [PRODUCT_KEY]: 'portal', app_digest: digest };
    if (existing && existing.metadata?.app_digest === digest) {
      report({ object: 'portal', key: 'portal', action: 'exists', id: existing.id });
      portalCache = { at: clock.nowMs(), id: existing.id };
    } else if (dryRun) {
      report({ object: 'portal', key: 'portal', action: existing ? 'updated' : 'created', id: existing?.id ?? '-' });
    } else if (existing) {
      const updated = await s.billingPortal.configurations.update(
        existing.id,
        { ...params, metadata },
        { idempotencyKey: `setup:portal-update:${existing.id}:${digest}` },
      );
      report({ object: 'portal', key: 'portal', action: 'updated', id: updated.id });
      portalCache = { at: clock.nowMs(), id: updated.id };
    } else {
      const created = await s.billingPortal.configurations.create(
        { ...params, metadata },
        { idempotencyKey: `setup:portal-create:v2:${digest}` },
      );
      report({ object: 'portal', key: 'portal', action: 'created', id: created.id });
      portalCache = { at: clock.nowMs(), id: created.id };
    }
  } catch (error) {
    // The portal is an alternative UI; the app works without it, so setup reports and goes on.
    report({ object: 'portal', key: 'portal', action: 'skipped', id: '-', note: (error as Error).message.slice(0, 120) });
  }
}

/** The table stripe:setup prints. */
export function formatSetupTable(rows: SetupRow[]): string {
  const header = ['object', 'key', 'action', 'id', 'note'];
  const cells = rows.map((r) => [r.object, r.key, r.action, r.id, r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------------

const CACHE_TTL_MS = 5 * 60_000;
let cache: { at: number; prices: Map<string, Stripe.Price> } | null = null;

function invalidatePriceCache() {
  cache = null;
}

/**
 * The active price that holds a lookup key, from a cache refreshed every 5 minutes (one Stripe list
 * for the whole catalogue). Throws when plans.ts names a key Stripe does not have: run stripe:setup.
 */
export async function priceByLookupKey(lookupKey: string): Promise<Stripe.Price> {
  const now = clock.nowMs();
  if (!cache || now - cache.at > CACHE_TTL_MS || !cache.prices.has(lookupKey)) {
    const keys = desiredCatalog().prices.map((p) => p.lookupKey);
    if (!keys.includes(lookupKey)) keys.push(lookupKey);
    cache = { at: now, prices: await listLookupKeyPrices(stripe(), keys) };
  }
  const price = cache.prices.get(lookupKey);
  if (!price) throw new Error(`No active Stripe price has lookup_key "${lookupKey}". Run \`npm run stripe:setup\`.`);
  return price;
}

let portalCache: { at: number; id: string | null } | null = null;

/**
 * The customer-portal configuration `ensureCatalog` manages (found by its metadata, like setup finds
 * it), looked up once and cached; null when there is none (the portal then falls back to Stripe's
 * default configuration). A miss is looked up again after the price cache's 5 minutes.
 */
export async function managedPortalConfiguration(): Promise<string | null> {
  const now = clock.nowMs();
  if (portalCache && (portalCache.id || now - portalCache.at < CACHE_TTL_MS)) return portalCache.id;
  let id: string | null = null;
  for await (const c of stripe().billingPortal.configurations.list({ active: true, limit: 100 })) {
    if (c.metadata?.[PRODUCT_KEY] === 'portal') id = c.id;
  }
  portalCache = { at: now, id };
  return id;
}

/** A portal session refused our configuration (deactivated or deleted since): look it up again next time. */
export function forgetPortalConfiguration() {
  portalCache = null;
}
