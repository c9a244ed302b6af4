import { and, eq, isNull } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { stripe } from '~/stripe/client.server';
import { fromStripeError } from './errors';
import { ownerMetadata } from './owner.server';
import { syncCustomer } from './sync.server';

/**
 * The user's Stripe customer, created once. The idempotency key is the user id, so two concurrent
 * first calls (two tabs, a retry after a timeout) get the same customer from Stripe, and the
 * conditional UPDATE keeps the first id written.
 */
export async function ensureStripeCustomer({ userId }: { userId: string }): Promise<string> {
  const user = db().select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw new Error(`no user ${userId}`);
  if (user.stripeCustomerId) return user.stripeCustomerId;
  let customerId: string;
  try {
    const customer = await stripe().customers.create(
      { email: user.email, name: user.name, metadata: ownerMetadata(user.id) },
      { idempotencyKey: `customer-create:${user.id}` },
    );
    customerId = customer.id;
  } catch (error) {
    throw fromStripeError(error);
  }
  db()
    .update(users)
    .set({ stripeCustomerId: customerId })
    .where(and(eq(users.id, userId), isNull(users.stripeCustomerId)))
    .run();
  const stored = db().select({ id: users.stripeCustomerId }).from(users).where(eq(users.id, userId)).get()!.id!;
  try {
    await syncCustomer(stored);
  } catch (error) {
    // The customer exists (and is stored): a read that fails right after is "try again", never a 500.
    throw fromStripeError(error);
  }
  return stored;
}
