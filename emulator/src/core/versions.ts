/**
 * API versions: the one table of changes between the versions the emulator serves. Objects are
 * built and stored in the newest shape (`API_VERSION`); a response or webhook event for an older
 * version is rendered by applying, newest first, the down-transform of every change introduced
 * after that version. Expansion works on the rendered shape (an older invoice has `payment_intent`
 * again, so `latest_invoice.payment_intent` expands), and fields that exist only on request
 * (includables such as `confirmation_secret`) are refused before the version that introduced them.
 * docs/emulator.md ("Versions") lists the table per resource.
 */
import { StripeError } from './errors';
import type { Store } from './store';

export const API_VERSION = '2026-10-28.endive';

/** Every version served, oldest first. Any other `Stripe-Version` is answered with a 400. */
export const SERVED_VERSIONS = [
  '2023-10-16',
  '2024-04-10',
  '2024-06-20',
  '2024-09-30.acacia',
  '2024-10-28.acacia',
  '2024-11-20.acacia',
  '2024-12-18.acacia',
  '2025-01-27.acacia',
  '2025-02-24.acacia',
  '2025-03-31.basil',
  '2025-04-30.basil',
  '2025-05-28.basil',
  '2025-06-30.basil',
  '2025-07-30.basil',
  '2025-08-27.basil',
  '2025-09-30.clover',
  '2025-10-29.clover',
  '2025-11-17.clover',
  '2025-12-15.clover',
  '2026-01-28.clover',
  '2026-02-25.clover',
  '2026-03-25.dahlia',
  '2026-04-22.dahlia',
  '2026-05-27.dahlia',
  '2026-06-24.dahlia',
  '2026-07-29.dahlia',
  '2026-08-26.dahlia',
  '2026-09-30.endive',
  API_VERSION,
] as const;

type Obj = Record<string, any>;

/** What a down-transform may read besides the object itself (ids it must resolve). */
export interface VersionEnv {
  store: Store;
}

export interface VersionChange {
  /** The first version with the newer shape. */
  version: (typeof SERVED_VERSIONS)[number];
  /** The `object` value of the resource it applies to. */
  resource: string;
  /** One line for docs/emulator.md. */
  change: string;
  /** Turns the newer shape into the one before `version` (mutates `obj`). */
  down?: (obj: Obj, env: VersionEnv) => void;
  /** Expansion rewrites: fields expandable only from `version` on (on request, e.g. `confirmation_secret`). */
  includableSince?: string[];
}

const idOf = (v: unknown): string | null =>
  typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as Obj).id === 'string' ? ((v as Obj).id as string) : null;

function invoiceOfPaymentIntent(env: VersionEnv, piId: string | null): string | null {
  if (!piId) return null;
  const ip = env.store.all('invoice_payment', { where: { 'payment.payment_intent': piId } })[0] as Obj | undefined;
  return ip ? idOf(ip.invoice) : null;
}

/** `payments` is includable: an answer or event without it has them in the store. */
function defaultPaymentIntent(env: VersionEnv, inv: Obj): string | null {
  const payments = (inv.payments?.data ?? env.store.all('invoice_payment', { where: { invoice: inv.id } })) as Obj[];
  const ip = payments.find((p) => p.is_default) ?? payments[0];
  return ip?.payment?.type === 'payment_intent' ? idOf(ip.payment.payment_intent) : null;
}

/** A Price as the legacy `plan` of a recurring price (the shape older line items and invoice items embed). */
function planOf(price: Obj | null): Obj | null {
  if (!price || !price.recurring) return null;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring.interval,
    interval_count: price.recurring.interval_count,
    livemode: false,
    metadata: price.metadata ?? {},
    meter: price.recurring.meter ?? null,
    nickname: price.nickname ?? null,
    product: price.product,
    tiers_mode: price.tiers_mode ?? null,
    transform_usage: price.transform_quantity ?? null,
    trial_period_days: price.recurring.trial_period_days ?? null,
    usage_type: price.recurring.usage_type,
  };
}

function loadPrice(env: VersionEnv, id: unknown): Obj | null {
  const pid = idOf(id);
  return pid ? (structuredClone(env.store.get('price', pid)) as Obj | null) : null;
}

function loadDiscount(env: VersionEnv, ids: unknown): Obj | null {
  const first = Array.isArray(ids) ? idOf(ids[0]) : null;
  return first ? ((structuredClone(env.store.get('discount', first, { includeDeleted: false })) as Obj | null) ?? null) : null;
}

const taxAmountsOf = (taxes: Obj[] | null | undefined): Obj[] =>
  (taxes ?? []).map((t) => ({
    amount: t.amount,
    inclusive: t.tax_behavior === 'inclusive',
    tax_rate: t.tax_rate_details?.tax_rate ?? null,
    taxability_reason: t.taxability_reason ?? null,
    taxable_amount: t.taxable_amount ?? null,
  }));

/**
 * The table: one entry per (version, resource) change, newest first. Versions named in Stripe's
 * changelog; the monthly releases in between (e.g. 2025-04-30.basil) change nothing the emulator
 * renders differently, so they share their major release's shape.
 */
export const CHANGES: VersionChange[] = [
  {
    version: '2026-03-25.dahlia',
    resource: 'checkout.session',
    change: '`ui_mode` values renamed: `hosted` → `hosted_page`, `embedded` → `embedded_page`, `custom` → `elements`.',
    down: (s) => {
      const old: Record<string, string> = { hosted_page: 'hosted', embedded_page: 'embedded', elements: 'custom' };
      if (typeof s.ui_mode === 'string' && old[s.ui_mode]) s.ui_mode = old[s.ui_mode];
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'invoice',
    change:
      '`payment_intent`, `charge`, `paid`, `paid_out_of_band` removed (multiple payments: `payments`, `confirmation_secret` on request); `subscription`, `subscription_details`, `subscription_proration_date`, `quote` moved under `parent`; singular `discount` removed.',
    includableSince: ['confirmation_secret', 'payments'],
    down: (inv, env) => {
      const sd = inv.parent?.subscription_details ?? null;
      const pi = defaultPaymentIntent(env, inv);
      const piObj = pi ? (env.store.get('payment_intent', pi) as Obj | null) : null;
      const paid = inv.status === 'paid';
      inv.payment_intent = pi;
      inv.charge = piObj ? idOf(piObj.latest_charge) : null;
      inv.paid = paid;
      inv.paid_out_of_band = paid && inv.amount_paid > 0 && !(piObj && piObj.status === 'succeeded');
      inv.subscription = sd ? idOf(sd.subscription) : null;
      inv.subscription_details = sd ? { metadata: sd.metadata ?? null } : null;
      if (sd?.subscription_proration_date !== undefined) inv.subscription_proration_date = sd.subscription_proration_date;
      inv.quote = inv.parent?.quote_details?.quote ?? null;
      inv.discount = loadDiscount(env, inv.discounts);
      delete inv.parent;
      delete inv.payments;
      delete inv.confirmation_secret;
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'line_item',
    change:
      '`type`, `subscription_item`, `invoice_item`, `proration`, `proration_details` moved under `parent`; `price`/`plan` replaced by `pricing`; `tax_amounts` replaced by `taxes`; `amount_excluding_tax`, `unit_amount_excluding_tax` removed.',
    down: (li, env) => {
      const parent = li.parent ?? null;
      const details = parent?.subscription_item_details ?? parent?.invoice_item_details ?? null;
      const price = loadPrice(env, li.pricing?.price_details?.price);
      li.type = parent?.type === 'subscription_item_details' ? 'subscription' : 'invoiceitem';
      li.subscription = idOf(li.subscription) ?? (details ? idOf(details.subscription) : null);
      li.subscription_item = parent?.subscription_item_details?.subscription_item ?? null;
      li.invoice_item = details?.invoice_item ?? null;
      li.proration = details?.proration ?? false;
      li.proration_details = details?.proration_details ?? { credited_items: null };
      li.price = price;
      li.plan = planOf(price);
      li.tax_amounts = taxAmountsOf(li.taxes);
      li.tax_rates = [];
      li.amount_excluding_tax = li.amount;
      li.unit_amount_excluding_tax = li.pricing?.unit_amount_decimal ?? null;
      delete li.parent;
      delete li.pricing;
      delete li.taxes;
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'invoiceitem',
    change: '`subscription`, `subscription_item` moved under `parent`; `price`/`plan`/`unit_amount` replaced by `pricing`.',
    down: (ii, env) => {
      const sd = ii.parent?.subscription_details ?? null;
      const price = loadPrice(env, ii.pricing?.price_details?.price);
      const unit = ii.pricing?.unit_amount_decimal ?? null;
      ii.subscription = sd ? idOf(sd.subscription) : null;
      ii.subscription_item = sd?.subscription_item ?? null;
      ii.price = price;
      ii.plan = planOf(price);
      ii.unit_amount = unit === null ? null : Math.round(Number(unit));
      ii.unit_amount_decimal = unit;
      delete ii.parent;
      delete ii.pricing;
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'subscription',
    change:
      '`current_period_start`/`current_period_end` moved to the items; singular `discount` removed (`discounts`). Older versions also expand `latest_invoice.payment_intent`.',
    down: (sub, env) => {
      const first = (sub.items?.data?.[0] ?? null) as Obj | null;
      sub.current_period_start = first?.current_period_start ?? sub.billing_cycle_anchor ?? sub.created;
      sub.current_period_end = first?.current_period_end ?? sub.billing_cycle_anchor ?? sub.created;
      sub.discount = loadDiscount(env, sub.discounts);
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'subscription_item',
    change: '`current_period_start`/`current_period_end` added (moved from the subscription).',
    down: (si) => {
      delete si.current_period_start;
      delete si.current_period_end;
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'payment_intent',
    change: '`invoice` removed (an invoice links its payments through `payments`).',
    down: (pi, env) => {
      pi.invoice = invoiceOfPaymentIntent(env, pi.id);
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'charge',
    change: '`invoice` removed.',
    down: (ch, env) => {
      ch.invoice = invoiceOfPaymentIntent(env, idOf(ch.payment_intent));
    },
  },
  {
    version: '2025-03-31.basil',
    resource: 'checkout.session',
    change: '`shipping_details` removed (now `collected_information.shipping_details`).',
    down: (s) => {
      s.shipping_details = s.collected_information?.shipping_details ?? null;
    },
  },
  {
    version: '2024-09-30.acacia',
    resource: 'billing.alert',
    change: '`usage_threshold_config` renamed `usage_threshold`; `filter` removed (now `usage_threshold.filters`).',
    down: (a) => {
      const ut = a.usage_threshold ?? null;
      a.usage_threshold_config = ut ? { gte: ut.gte, meter: ut.meter, recurrence: ut.recurrence } : null;
      const f = (ut?.filters?.[0] ?? null) as Obj | null;
      a.filter = f ? { customer: f.customer ?? null } : null;
      delete a.usage_threshold;
    },
  },
  {
    version: '2024-04-10',
    resource: 'product',
    change: '`features` renamed `marketing_features`.',
    down: (prod) => {
      prod.features = prod.marketing_features ?? [];
      delete prod.marketing_features;
    },
  },
  {
    version: '2024-04-10',
    resource: 'invoice',
    change: 'legacy `rendering_options` removed (use `rendering`).',
    down: (inv) => {
      const display = inv.rendering?.amount_tax_display ?? null;
      inv.rendering_options = display ? { amount_tax_display: display } : null;
    },
  },
];

/** The date part, so '2025-03-31.basil' and '2025-03-31' compare by date. */
const dateOf = (v: string): string => v.slice(0, 10);

export function isServedVersion(v: string): boolean {
  return (SERVED_VERSIONS as readonly string[]).includes(v);
}

export function unsupportedVersionError(v: string, param?: string): StripeError {
  return new StripeError({
    status: 400,
    type: 'invalid_request_error',
    param,
    message: `Invalid Stripe API version: ${v}. The emulator serves these versions: ${SERVED_VERSIONS.join(', ')}.`,
    idempotent: false,
  });
}

/** The version a request is rendered in: its `Stripe-Version` header, else the account default. */
export function requestVersion(header: string | string[] | undefined): string {
  const v = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!v) return API_VERSION;
  if (!isServedVersion(v)) throw unsupportedVersionError(v);
  return v;
}

/** The changes to undo for `version`, newest first (empty for the newest version). */
function changesFor(version: string): VersionChange[] {
  return CHANGES.filter((c) => dateOf(c.version) > dateOf(version));
}

/** May `field` of `resource` be expanded (as an includable) in `version`? */
export function includableIn(resource: string, field: string, version: string): boolean {
  return !changesFor(version).some((c) => c.resource === resource && c.includableSince?.includes(field));
}

/**
 * `obj` (any response value, in the newest shape) as `version` shows it. Walks nested objects and
 * lists top-down; every object is transformed once. Events keep the shape they were created in
 * (their `api_version`), as Stripe keeps them; webhook deliveries use `renderEvent`.
 */
export function renderForVersion<T>(obj: T, version: string, env: VersionEnv): T {
  const changes = changesFor(version);
  if (changes.length === 0) return obj;
  const byResource = new Map<string, VersionChange[]>();
  for (const c of changes) byResource.set(c.resource, [...(byResource.get(c.resource) ?? []), c]);
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const o = node as Obj;
    if (o.object === 'event') return o;
    for (const c of byResource.get(o.object as string) ?? []) c.down?.(o, env);
    for (const k of Object.keys(o)) o[k] = walk(o[k]);
    return o;
  };
  return walk(structuredClone(obj)) as T;
}

/** A stored event as delivered to an endpoint pinned to `version` (its `data` rendered in that version). */
export function renderEvent<T extends { api_version: string | null; data: { object: unknown } }>(
  event: T,
  version: string,
  env: VersionEnv,
): T {
  if (version === event.api_version) return event;
  return { ...event, api_version: version, data: { ...event.data, object: renderForVersion(event.data.object, version, env) } };
}
