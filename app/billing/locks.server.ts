/**
 * One billing action at a time per user, inside this process. The portal runs as one Node process
 * (docs/architecture.md), so this serialises double clicks and two tabs: the second action starts after the
 * first has synced its result into the mirror, and sees it. (Several processes would need a row lock
 * in SQLite instead; see docs/billing.md.)
 */
const tails = new Map<string, Promise<unknown>>();

export async function withUserLock<T>(userId: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(userId) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(userId, tail);
  try {
    await previous.catch(() => undefined);
    return await fn();
  } finally {
    release();
    if (tails.get(userId) === tail) tails.delete(userId);
  }
}
