/**
 * Which app user a Stripe customer (and its subscriptions, invoices, payments) belongs to. The one
 * place that answers it: the mirror writer stamps rows with it and the webhook effects address
 * emails and grants with it.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '~/db/client.server';
import { customers, users } from '~/db/schema';

/**
 * The metadata key that names the owner on the Stripe objects the app creates. It is `userId`
 * because that is what every customer and subscription made by `customers.server.ts` and
 * `subscriptions.server.ts` already carries on Stripe (and what the tests check); renaming it would
 * leave existing customers behind. `user_id` is still *read* (see `metadataClaim`), never written:
 * customers made by hand or by other tooling in Stripe's snake_case convention carry that spelling.
 */
const OWNER_METADATA_KEY = 'userId';

/** The metadata to put on a Stripe object the app creates for `userId`. */
export function ownerMetadata(userId: string): Record<typeof OWNER_METADATA_KEY, string> {
  return { [OWNER_METADATA_KEY]: userId };
}

function metadataClaim(metadata: Record<string, string> | null | undefined): string | null {
  return metadata?.[OWNER_METADATA_KEY] || metadata?.user_id || null;
}

/** A database or a transaction: anything that can select. */
type Reader = Pick<Db, 'select'>;

/**
 * The owner's user id, or null: the user whose `stripe_customer_id` is this customer; else the user
 * the object's metadata names, if that user exists; else whoever the mirrored customer row was
 * already attributed to.
 */
export function resolveOwner(tx: Reader, customerId: string | null, metadata?: Record<string, string> | null): string | null {
  if (customerId) {
    const row = tx.select({ id: users.id }).from(users).where(eq(users.stripeCustomerId, customerId)).get();
    if (row) return row.id;
  }
  const claimed = metadataClaim(metadata);
  if (claimed) {
    const row = tx.select({ id: users.id }).from(users).where(eq(users.id, claimed)).get();
    if (row) return row.id;
  }
  if (customerId) {
    const mirrored = tx.select({ userId: customers.userId }).from(customers).where(eq(customers.id, customerId)).get();
    if (mirrored?.userId) return mirrored.userId;
  }
  return null;
}
