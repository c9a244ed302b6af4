import { eq } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { entitlementFor, type Entitlement } from './entitlements';
import { getBillingState } from './queries.server';

/** The user's entitlement now, from the mirror. */
export function entitlementOf(userId: string): Entitlement {
  const user = db().select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
  if (!user) return entitlementFor(null, clock.now());
  const { subscription } = getBillingState({ userId, invoiceLimit: 0 });
  return entitlementFor(subscription, clock.now());
}
