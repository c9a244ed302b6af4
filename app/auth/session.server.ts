import crypto from 'node:crypto';
import { createCookieSessionStorage, redirect } from '@remix-run/node';
import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { preparedFor } from '~/db/prepared.server';
import { sessions, users, type SessionRow, type User } from '~/db/schema';
import { env } from '~/lib/env.server';
import { machineClock } from '~/lib/clock.server';

/**
 * Sessions live on the server (docs/decisions/020-server-side-sessions.md): the signed cookie carries a
 * random token (`sid`) and flash messages; the `sessions` row (keyed by the token's sha256) decides
 * whether it still opens anything. Logout revokes the row, so a copied cookie dies with it. Times are
 * the machine clock: the billing clock may jump with the emulator's, a login must not.
 */
const SESSION_IDLE_MS = 30 * 24 * 60 * 60 * 1000;
const SESSION_ABSOLUTE_MS = 90 * 24 * 60 * 60 * 1000;
/** `lastSeenAt` is written at most this often per session. */
const TOUCH_EVERY_MS = 60 * 1000;

type SessionData = { sid: string };
type FlashData = { flash: { kind: 'success' | 'error' | 'info'; message: string } };

let storage: ReturnType<typeof createCookieSessionStorage<SessionData, FlashData>> | null = null;

function sessionStorage() {
  if (!storage) {
    const { SESSION_SECRET, APP_URL } = env();
    storage = createCookieSessionStorage<SessionData, FlashData>({
      cookie: {
        name: '__session',
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: APP_URL.startsWith('https://'),
        secrets: [SESSION_SECRET],
        maxAge: SESSION_ABSOLUTE_MS / 1000,
      },
    });
  }
  return storage;
}

async function getSession(request: Request) {
  // A forged or tampered cookie fails the signature check and yields an empty session.
  return sessionStorage().getSession(request.headers.get('Cookie'));
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** The session lookup every signed-in page runs (root, layout and page loaders), compiled once per database handle. */
const sessionStatements = preparedFor((d) => ({
  live: d
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sql.placeholder('id')), isNull(sessions.revokedAt)))
    .prepare(),
}));

type CurrentSession = { session: SessionRow; user: User } | null;

/**
 * One session read per page request: the root, layout and page loaders of a request share Remix's
 * load context (one object per request, made by scripts/server.ts; Remix hands each loader a copy of
 * the Request, so the Request cannot be the key). Only GET and HEAD are shared: an action may change
 * the user (or the session) before the loaders that follow it in the same request run.
 */
const perRequest = new WeakMap<object, { cookie: string | null; session: Promise<CurrentSession> }>();

/**
 * The live session row behind this request and its user, or null (no, revoked, idle or expired
 * session). `context`: the loader's load context, to read it once for all of a page's loaders.
 */
export function currentSession(request: Request, context?: object): Promise<CurrentSession> {
  const shared = context && (request.method === 'GET' || request.method === 'HEAD');
  if (!shared) return readSession(request);
  const cookie = request.headers.get('Cookie');
  const known = perRequest.get(context);
  if (known && known.cookie === cookie) return known.session;
  const session = readSession(request);
  perRequest.set(context, { cookie, session });
  return session;
}

async function readSession(request: Request): Promise<CurrentSession> {
  const sid = (await getSession(request)).get('sid');
  if (typeof sid !== 'string' || sid.length < 16 || sid.length > 128) return null;
  const now = machineClock.nowMs();
  const row = sessionStatements().live.get({ id: hashToken(sid) });
  if (!row) return null;
  if (row.session.expiresAt.getTime() <= now || row.session.lastSeenAt.getTime() + SESSION_IDLE_MS <= now) return null;
  if (now - row.session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    db()
      .update(sessions)
      .set({ lastSeenAt: new Date(now) })
      .where(eq(sessions.id, row.session.id))
      .run();
  }
  return row;
}

export async function getUserId(request: Request, context?: object): Promise<string | null> {
  return (await currentSession(request, context))?.user.id ?? null;
}

/** The signed-in user or null; `context`: the loader's load context (one session read per page request). */
export async function getUser(request: Request, context?: object): Promise<User | null> {
  return (await currentSession(request, context))?.user ?? null;
}

/**
 * Only same-site paths made of URL-safe ASCII: anything else (other hosts, scheme-relative `//x`,
 * backslashes, control or non-ASCII characters, which a Location header cannot even carry) falls back.
 */
export function safeRedirectTo(to: FormDataEntryValue | string | null | undefined, fallback = '/dashboard'): string {
  if (typeof to !== 'string' || to.length > 2048) return fallback;
  if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*$/.test(to)) return fallback;
  if (to.startsWith('//') || to.startsWith('/%2f') || to.startsWith('/%2F') || to.startsWith('/%5c') || to.startsWith('/%5C'))
    return fallback;
  try {
    const base = 'http://portal.invalid';
    if (new URL(to, base).origin !== base) return fallback;
  } catch {
    return fallback;
  }
  return to;
}

/**
 * Returns the signed-in user or redirects to the login page, coming back here afterwards. `context`:
 * the loader's load context (one session read per page request, see `currentSession`).
 */
export async function requireUser(request: Request, context?: object): Promise<User> {
  const user = await getUser(request, context);
  if (!user) {
    const url = new URL(request.url);
    const back = url.pathname + url.search;
    throw redirect(`/login?${new URLSearchParams({ redirectTo: safeRedirectTo(back) })}`);
  }
  return user;
}

/** A new session row; returns the cookie token (only its hash is stored). */
function createSessionRow(userId: string, userAgent: string | null): string {
  const token = crypto.randomBytes(32).toString('base64url');
  const now = machineClock.nowMs();
  db()
    .insert(sessions)
    .values({
      id: hashToken(token),
      userId,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      expiresAt: new Date(now + SESSION_ABSOLUTE_MS),
      userAgent: userAgent ? userAgent.slice(0, 300) : null,
    })
    .run();
  return token;
}

async function revokeRequestSession(request: Request) {
  const sid = (await getSession(request)).get('sid');
  if (typeof sid === 'string') {
    db()
      .update(sessions)
      .set({ revokedAt: machineClock.now() })
      .where(and(eq(sessions.id, hashToken(sid)), isNull(sessions.revokedAt)))
      .run();
  }
}

/** The Set-Cookie value of a brand-new session; the one this browser had is revoked (rotation). */
export async function newSessionCookie(userId: string, request: Request | null, flashMessage?: FlashData['flash']): Promise<string> {
  if (request) await revokeRequestSession(request);
  const session = await sessionStorage().getSession();
  session.set('sid', createSessionRow(userId, request?.headers.get('user-agent') ?? null));
  if (flashMessage) session.flash('flash', flashMessage);
  return sessionStorage().commitSession(session);
}

/** Starts a fresh session (nothing carried over from before login) and redirects. */
export async function createUserSession(
  userId: string,
  redirectTo: string,
  request: Request | null = null,
  flashMessage?: FlashData['flash'],
) {
  return redirect(redirectTo, { headers: { 'Set-Cookie': await newSessionCookie(userId, request, flashMessage) } });
}

export async function logout(request: Request) {
  await revokeRequestSession(request);
  const session = await getSession(request);
  return redirect('/', {
    headers: { 'Set-Cookie': await sessionStorage().destroySession(session) },
  });
}

/** The user's sessions that still open something, newest first. */
export function listActiveSessions(userId: string): SessionRow[] {
  const now = machineClock.nowMs();
  return db()
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date(now)),
        gt(sessions.lastSeenAt, new Date(now - SESSION_IDLE_MS)),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt))
    .all();
}

/**
 * Whether this request is the account's first visit: its session is the only one the user ever had
 * (the one sign-up opened) and it began less than a day ago. Signing in again makes it a return.
 */
export function isFirstVisit(session: SessionRow): boolean {
  if (machineClock.nowMs() - session.createdAt.getTime() > FIRST_VISIT_MS) return false;
  const others = db()
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, session.userId), ne(sessions.id, session.id)))
    .limit(1)
    .all();
  return others.length === 0;
}

const FIRST_VISIT_MS = 24 * 60 * 60 * 1000;

/** Revokes every session of the user except `keepId` (a session row id); returns how many. */
export function revokeOtherSessions(userId: string, keepId: string | null): number {
  const where = keepId
    ? and(eq(sessions.userId, userId), isNull(sessions.revokedAt), ne(sessions.id, keepId))
    : and(eq(sessions.userId, userId), isNull(sessions.revokedAt));
  return db().update(sessions).set({ revokedAt: machineClock.now() }).where(where).run().changes;
}

export async function flash(request: Request, kind: FlashData['flash']['kind'], message: string, to: string) {
  const session = await getSession(request);
  session.flash('flash', { kind, message });
  return redirect(to, { headers: { 'Set-Cookie': await sessionStorage().commitSession(session) } });
}

export async function readFlash(request: Request) {
  const session = await getSession(request);
  const value = session.get('flash') ?? null;
  return { flash: value, setCookie: value ? await sessionStorage().commitSession(session) : null };
}
