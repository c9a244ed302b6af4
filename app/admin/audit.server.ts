import { desc, eq } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { adminAudit, type AdminAuditRow, type User } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';

export type AdminAction = 'replay' | 'replay-failed' | 'resync' | 'drift' | 'drift-all';

/** Writes one audit row: who did what to which target, when, with what outcome. */
export function recordAdminAction(input: {
  actor: Pick<User, 'id' | 'email'>;
  action: AdminAction;
  target: string;
  customerId?: string | null;
  detail?: Record<string, unknown>;
}): void {
  db()
    .insert(adminAudit)
    .values({
      actorUserId: input.actor.id,
      actorEmail: input.actor.email,
      action: input.action,
      target: input.target,
      customerId: input.customerId ?? null,
      detail: input.detail ?? null,
      createdAt: machineClock.nowMs(),
    })
    .run();
}

/** The newest audit rows, for the console's front page or one customer's timeline. */
export function listAdminActions({ customerId, limit = 20 }: { customerId?: string; limit?: number } = {}): AdminAuditRow[] {
  return db()
    .select()
    .from(adminAudit)
    .where(customerId ? eq(adminAudit.customerId, customerId) : undefined)
    .orderBy(desc(adminAudit.createdAt), desc(adminAudit.id))
    .limit(limit)
    .all();
}
