import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { clientAttempts } from '~/db/schema';
import { machineClock } from '~/lib/clock.server';

/**
 * Per-client-address limits (docs/decisions/021-client-rate-limits.md), beside the per-account login
 * throttle in users.server.ts. The address is the socket's, or X-Forwarded-For's under TRUST_PROXY
 * (scripts/server.ts hands it to routes as `context.clientAddress`). Real time (the machine clock):
 * abuse happens in wall-clock time, whatever the billing clock says.
 */
const LIMITS = {
  /** Wrong passwords (and unknown emails) per address. */
  login_failure: { max: 10, windowMs: 15 * 60 * 1000 },
  /** Sign-ups naming an email that already has an account: the enumeration signal. */
  signup_probe: { max: 10, windowMs: 60 * 60 * 1000 },
  /** Accounts created per address (an office or a school shares one address; see the record). */
  signup_created: { max: 50, windowMs: 60 * 60 * 1000 },
  /** "Forgot password?" requests per address. */
  reset_request: { max: 10, windowMs: 60 * 60 * 1000 },
} as const;

export type AttemptKind = keyof typeof LIMITS;

const LONGEST_WINDOW = Math.max(...Object.values(LIMITS).map((l) => l.windowMs));

/** Milliseconds until `address` may try `kind` again; 0 when it may now. */
export function clientWaitMs(kind: AttemptKind, address: string): number {
  const { max, windowMs } = LIMITS[kind];
  const now = machineClock.nowMs();
  const rows = db()
    .select({ at: clientAttempts.attemptedAt })
    .from(clientAttempts)
    .where(
      and(eq(clientAttempts.kind, kind), eq(clientAttempts.address, address), gte(clientAttempts.attemptedAt, new Date(now - windowMs))),
    )
    .orderBy(asc(clientAttempts.attemptedAt))
    .all();
  if (rows.length < max) return 0;
  const oldestCounted = rows[rows.length - max]!.at.getTime();
  return Math.max(1000, oldestCounted + windowMs - now);
}

export function recordClientAttempt(kind: AttemptKind, address: string) {
  const now = machineClock.nowMs();
  db()
    .insert(clientAttempts)
    .values({ kind, address, attemptedAt: new Date(now) })
    .run();
  db()
    .delete(clientAttempts)
    .where(lt(clientAttempts.attemptedAt, new Date(now - LONGEST_WINDOW)))
    .run();
}

/** The caller's address as the server entry determined it; direct calls (tests) share one bucket. */
export function clientAddressOf(context: unknown): string {
  const address = (context as { clientAddress?: unknown } | null | undefined)?.clientAddress;
  return typeof address === 'string' && address ? address : 'unknown';
}

/** `Retry-After` seconds and a sentence for a wait. */
export function describeWait(ms: number): { seconds: number; text: string } {
  const minutes = Math.ceil(ms / 60_000);
  return { seconds: Math.ceil(ms / 1000), text: minutes <= 1 ? 'about a minute' : `${minutes} minutes` };
}
