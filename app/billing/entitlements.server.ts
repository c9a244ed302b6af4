import { data } from '@remix-run/node';
import { eq } from 'drizzle-orm';
import { requireUser } from '~/auth/session.server';
import { db } from '~/db/client.server';
import { users, type User } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { entitlementFor, explainNoAccess, hasFeature, type Entitlement } from './entitlements';
import type { Feature } from './plans';
import { getBillingState } from './queries.server';

/** The user's entitlement now, from the mirror. */
export function entitlementOf(userId: string): Entitlement {
  const user = db().select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
  if (!user) return entitlementFor(null, clock.now());
  const { subscription } = getBillingState({ userId, invoiceLimit: 0 });
  return entitlementFor(subscription, clock.now());
}

/**
 * For loaders of paid features: returns the user and their entitlement, or throws a 402 with a
 * sentence saying what to do (the route's error boundary shows it).
 */
export async function requireEntitlement(request: Request, feature: Feature): Promise<{ user: User; entitlement: Entitlement }> {
  const user = await requireUser(request);
  const entitlement = entitlementOf(user.id);
  if (!hasFeature(entitlement, feature)) {
    throw data(explainNoAccess(entitlement), { status: 402 });
  }
  return { user, entitlement };
}
