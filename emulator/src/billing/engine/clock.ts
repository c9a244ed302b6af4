/** Time: the clock a customer follows (a test clock or the global one), pinned while due work runs. */
import type Stripe from 'stripe';
import { type Billing } from './context';

export function clockOfCustomer(b: Billing, customerId: string | null): string | null {
  if (!customerId) return null;
  const c = b.store.get('customer', customerId, { includeDeleted: true }) as Stripe.Customer | null;
  const tc = c?.test_clock;
  return tc ? (typeof tc === 'string' ? tc : tc.id) : null;
}

function clockNow(b: Billing, clock: string | null): number {
  const pinned = b.pins.get(clock ?? '');
  if (pinned !== undefined) return pinned;
  if (clock) {
    const tc = b.store.get('test_helpers.test_clock', clock) as Stripe.TestHelpers.TestClock | null;
    if (tc) return tc.frozen_time;
  }
  return b.host.globalNow();
}

export function nowForCustomer(b: Billing, customerId: string | null): number {
  return clockNow(b, clockOfCustomer(b, customerId));
}

export function withPinned<R>(b: Billing, clock: string | null, t: number, fn: () => R): R {
  const key = clock ?? '';
  const prev = b.pins.get(key);
  b.pins.set(key, t);
  try {
    return fn();
  } finally {
    if (prev === undefined) b.pins.delete(key);
    else b.pins.set(key, prev);
  }
}
