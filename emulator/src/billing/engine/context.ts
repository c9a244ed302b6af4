/**
 * The billing engine's shared state: the store, the host (what the engine needs from the emulator
 * core, see ../host.ts), the retry settings and the in-memory bookkeeping of the current request.
 * Every engine function takes it as its first argument (`b`); one per running emulator.
 */
import type Stripe from 'stripe';
import type { Store } from '../../core/store';
import type { Host } from '../host';

export type Sub = Stripe.Subscription;
export type Inv = Stripe.Invoice;

/** One line of an invoice before it is stored (subscription item, usage, proration or invoice item). */
export interface LineSpec {
  amount: number;
  description: string;
  quantity: number | null;
  price: Stripe.Price | null;
  unitAmount: number | null;
  period: { start: number; end: number };
  proration: boolean;
  subscription: string | null;
  subscriptionItem: string | null;
  invoiceItem: string | null;
  discountable: boolean;
  metadata: Record<string, string>;
}

export interface BillingSettings {
  /** What happens after the last retry fails. */
  afterRetries: 'cancel' | 'unpaid' | 'past_due';
  /** Days after the first failed attempt at which retries happen (Smart Retries, simplified). */
  retryDays: number[];
  /** invoice.upcoming is sent this many days before a renewal. */
  upcomingDays: number;
  /** Incomplete subscriptions expire after this many seconds. */
  incompleteExpirySeconds: number;
}

export interface Billing {
  readonly store: Store;
  readonly host: Host;
  settings: BillingSettings;
  /** Time pinned per clock scope ('' = global) while running due work. */
  readonly pins: Map<string, number>;
  /** Subscriptions being created (their events are emitted at the end of create). */
  readonly creating: Set<string>;
  /** Invoices being charged by the engine itself (intent hooks ignore them). */
  readonly attempting: Set<string>;
}

export function defaultSettings(): BillingSettings {
  return { afterRetries: 'cancel', retryDays: [3, 5, 7], upcomingDays: 3, incompleteExpirySeconds: 23 * 3600 };
}

export function createBilling(store: Store, host: Host): Billing {
  return { store, host, settings: defaultSettings(), pins: new Map(), creating: new Set(), attempting: new Set() };
}
