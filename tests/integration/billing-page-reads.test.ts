/**
 * The billing page's hot path (docs/performance.md, "The billing page"): the loaders of one page
 * request share one session read through Remix's load context (never across requests, never for an
 * action), and the prepared statements follow the database handle when it is closed and reopened.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createUserSession, currentSession } from '~/auth/session.server';
import { createUser } from '~/auth/users.server';
import { getBillingState } from '~/billing/queries.server';
import { closeDb, db, openDatabase, setDb } from '~/db/client.server';
import { sessions, users } from '~/db/schema';

let n = 0;
const newUser = () => createUser({ name: 'Hot Path', email: `hot-path-${Date.now()}-${n++}@example.com`, password: 'hot-path-password-1' });

async function signedIn() {
  const user = await newUser();
  const cookie = (await createUserSession(user.id, '/billing')).headers.get('set-cookie')!.split(';')[0]!;
  // Remix hands each loader its own copy of the Request; the load context is the one shared object.
  const request = (method = 'GET') => new Request('http://localhost/billing', { method, headers: { Cookie: cookie } });
  const revoke = () => db().update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.userId, user.id)).run();
  return { user, request, revoke };
}

describe('one session read per page request', () => {
  it('is shared by the loaders of one GET (one load context) and read again by the next request', async () => {
    const { user, request, revoke } = await signedIn();
    const context = {};
    expect((await currentSession(request(), context))?.user.id).toBe(user.id);
    revoke();
    // The same request's other loaders get the answer the first one read…
    expect((await currentSession(request(), context))?.user.id).toBe(user.id);
    // …and the next request (its own load context, or none) sees the revocation.
    expect(await currentSession(request(), {})).toBeNull();
    expect(await currentSession(request())).toBeNull();
  });

  it('is not shared by an action (POST): the action may change the session or the user', async () => {
    const { user, request, revoke } = await signedIn();
    const context = {};
    expect((await currentSession(request('POST'), context))?.user.id).toBe(user.id);
    revoke();
    expect(await currentSession(request('POST'), context)).toBeNull();
    expect(await currentSession(request('GET'), context)).toBeNull();
  });

  it('reads again when the same context comes with another cookie', async () => {
    const a = await signedIn();
    const b = await signedIn();
    const context = {};
    expect((await currentSession(a.request(), context))?.user.id).toBe(a.user.id);
    expect((await currentSession(b.request(), context))?.user.id).toBe(b.user.id);
  });
});

describe('prepared statements', () => {
  it('are compiled again on the handle db() returns after closeDb() and setDb()', async () => {
    const user = await newUser();
    db().update(users).set({ stripeCustomerId: 'cus_hotpath_a' }).where(eq(users.id, user.id)).run();
    expect(getBillingState({ userId: user.id }).customerId).toBe('cus_hotpath_a');

    const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hot-path-')), 'other.sqlite');
    closeDb();
    setDb(openDatabase(other));
    try {
      // A fresh database: the user is not there until written, then its own customer is read.
      expect(getBillingState({ userId: user.id }).customerId).toBeNull();
      db()
        .insert(users)
        .values({ ...user, stripeCustomerId: 'cus_hotpath_b' })
        .run();
      expect(getBillingState({ userId: user.id }).customerId).toBe('cus_hotpath_b');
    } finally {
      closeDb();
      fs.rmSync(path.dirname(other), { recursive: true, force: true });
    }
    // Back on the test's own database (db() reopens DATABASE_PATH).
    expect(getBillingState({ userId: user.id }).customerId).toBe('cus_hotpath_a');
  });
});
