import crypto from 'node:crypto';
import { createCookieSessionStorage, redirect } from '@remix-run/node';
import { env } from '~/lib/env.server';
import { getUserById } from './users.server';
import type { User } from '~/db/schema';

type SessionData = { userId: string; sid: string };
type FlashData = { flash: { kind: 'success' | 'error' | 'info'; message: string } };

let storage: ReturnType<typeof createCookieSessionStorage<SessionData, FlashData>> | null = null;

export function sessionStorage() {
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
        maxAge: 60 * 60 * 24 * 30,
      },
    });
  }
  return storage;
}

export function resetSessionStorage() {
  storage = null;
}

export async function getSession(request: Request) {
  // A forged or tampered cookie fails the signature check and yields an empty session.
  return sessionStorage().getSession(request.headers.get('Cookie'));
}

export async function getUserId(request: Request): Promise<string | null> {
  const session = await getSession(request);
  const userId = session.get('userId');
  return typeof userId === 'string' ? userId : null;
}

export async function getUser(request: Request): Promise<User | null> {
  const userId = await getUserId(request);
  return userId ? getUserById(userId) : null;
}

export function safeRedirectTo(to: FormDataEntryValue | string | null | undefined, fallback = '/dashboard'): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.length > 2048) return fallback;
  // Browsers drop tabs and newlines and read "\\" as "/": "/\t/evil.example" is "//evil.example".
  if (/[\u0000-\u001f\u007f\\]/.test(to) || to.startsWith('//')) return fallback;
  return to;
}

/** Returns the signed-in user or redirects to the login page, coming back here afterwards. */
export async function requireUser(request: Request): Promise<User> {
  const user = await getUser(request);
  if (!user) {
    const url = new URL(request.url);
    const back = url.pathname + url.search;
    throw redirect(`/login?${new URLSearchParams({ redirectTo: back })}`);
  }
  return user;
}

/** Starts a fresh session (nothing carried over from before login) and redirects. */
export async function createUserSession(userId: string, redirectTo: string) {
  const session = await sessionStorage().getSession();
  session.set('userId', userId);
  session.set('sid', crypto.randomBytes(16).toString('base64url'));
  return redirect(redirectTo, {
    headers: { 'Set-Cookie': await sessionStorage().commitSession(session) },
  });
}

export async function logout(request: Request) {
  const session = await getSession(request);
  return redirect('/', {
    headers: { 'Set-Cookie': await sessionStorage().destroySession(session) },
  });
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
