/**
 * Issue #16, sessions and accounts, against the built portal (scripts/start.ts): a session ends on the
 * server (logout, idle, absolute, other sessions, password change), reset links are single-use and
 * answer the same for every address, redirectTo never breaks a login, sign-up never signs anyone in as
 * an existing account, and failed logins / sign-ups are limited per client address.
 *
 * The portal runs with TRUST_PROXY=1 so each test can speak from its own address (X-Forwarded-For) and
 * the per-address limits of one test do not leak into another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, hydrated, launch, newPage } from '../e2e/browser';
import { cookieOf, logIn, post, signUp, startPortal, type Portal } from './portal';

let portal: Portal;
let n = 0;
/** A fresh client address (TEST-NET-3) per test. */
const address = () => `203.0.113.${++n}`;
const from = (ip: string) => ({ 'X-Forwarded-For': ip });

beforeAll(async () => {
  portal = await startPortal({ TRUST_PROXY: '1' });
});
afterAll(async () => {
  await portal?.stop();
});

async function opens(cookie: string, path = '/dashboard'): Promise<boolean> {
  const res = await fetch(`${portal.url}${path}`, { headers: { Cookie: cookie }, redirect: 'manual' });
  if (res.status === 200) return true;
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toMatch(/^\/login\?redirectTo=/);
  return false;
}

const account = (fields: Record<string, string>, cookie: string, ip: string) =>
  post(`${portal.url}/account`, fields, { cookie, headers: from(ip) });

describe('sessions live on the server', () => {
  it('a cookie captured before logout no longer opens anything afterwards', async () => {
    const ip = address();
    const { cookie } = await signUp(portal.url, { headers: from(ip) });
    expect(await opens(cookie)).toBe(true);
    const captured = cookie; // what an attacker copied
    const out = await post(`${portal.url}/logout`, {}, { cookie, headers: from(ip) });
    expect(out.status).toBe(302);
    expect(out.headers.getSetCookie().join()).toMatch(/__session=;/);
    expect(await opens(captured)).toBe(false);
    expect(await opens(captured, '/account')).toBe(false);
  });

  it('keeps a server row per session (user, created, last seen, expiry, user agent), only the token hash', async () => {
    const ip = address();
    const { cookie } = await signUp(portal.url, {
      headers: { ...from(ip), 'User-Agent': 'SecurityTest/1.0 (X11; Linux x86_64) Firefox/140.0' },
    });
    const token = decodeURIComponent(cookie.split('=')[1]!);
    const rows = portal.sql().prepare('select * from sessions order by created_at desc limit 1').all() as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({ user_agent: expect.stringContaining('SecurityTest/1.0'), revoked_at: null });
    const row = rows[0]!;
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(90 * 24 * 3600 * 1000);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('rotates on login: the session the browser had before is revoked', async () => {
    const ip = address();
    const { email, password, cookie: before } = await signUp(portal.url, { headers: from(ip) });
    const res = await logIn(portal.url, email, password, { ...from(ip), Cookie: before });
    expect(res.status).toBe(302);
    const after = cookieOf(res);
    expect(after).not.toBe(before);
    expect(await opens(before)).toBe(false);
    expect(await opens(after)).toBe(true);
  });

  it('expires after 30 idle days and, whatever the use, at the absolute expiry', async () => {
    const ip = address();
    const idle = await signUp(portal.url, { headers: from(ip) });
    const absolute = await signUp(portal.url, { headers: from(ip) });
    const day = 24 * 3600 * 1000;
    const db = portal.sql();
    const userOf = (email: string) => (db.prepare('select id from users where email = ?').get(email) as { id: string }).id;
    db.prepare('update sessions set last_seen_at = ? where user_id = ?').run(Date.now() - 30 * day - 1000, userOf(idle.email));
    db.prepare('update sessions set expires_at = ? where user_id = ?').run(Date.now() - 1000, userOf(absolute.email));
    expect(await opens(idle.cookie)).toBe(false);
    expect(await opens(absolute.cookie)).toBe(false);
    // 29 idle days are fine
    const fresh = await signUp(portal.url, { headers: from(ip) });
    db.prepare('update sessions set last_seen_at = ? where user_id = ?').run(Date.now() - 29 * day, userOf(fresh.email));
    expect(await opens(fresh.cookie)).toBe(true);
  });

  it('"Log out other sessions" on /account ends every other session and keeps this one', async () => {
    const ip = address();
    const { email, password, cookie: laptop } = await signUp(portal.url, { headers: from(ip) });
    const phone = cookieOf(await logIn(portal.url, email, password, from(ip)));
    const tablet = cookieOf(await logIn(portal.url, email, password, from(ip)));
    const page = await (await fetch(`${portal.url}/account`, { headers: { Cookie: tablet } })).text();
    expect(page).toContain('Log out other sessions');
    expect(page).toContain('This browser');
    const res = await account({ intent: 'logout-others' }, tablet, ip);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Logged out 2 other sessions.');
    expect(await opens(laptop)).toBe(false);
    expect(await opens(phone)).toBe(false);
    expect(await opens(tablet)).toBe(true);
  });

  it('changing the password revokes every session and gives this browser a new one', async () => {
    const ip = address();
    const { email, password, cookie: other } = await signUp(portal.url, { headers: from(ip) });
    const mine = cookieOf(await logIn(portal.url, email, password, from(ip)));
    const wrong = await account(
      { intent: 'password', currentPassword: 'not-the-password', newPassword: 'a-new-password-2', confirmPassword: 'a-new-password-2' },
      mine,
      ip,
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('That is not your current password.');
    const res = await account(
      { intent: 'password', currentPassword: password, newPassword: 'a-new-password-2', confirmPassword: 'a-new-password-2' },
      mine,
      ip,
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/account');
    const renewed = cookieOf(res);
    expect(await (await fetch(`${portal.url}/account`, { headers: { Cookie: renewed } })).text()).toContain(
      'Password changed. You were logged out everywhere else.',
    );
    expect(await opens(other)).toBe(false);
    expect(await opens(mine)).toBe(false);
    expect(await opens(renewed)).toBe(true);
    expect((await logIn(portal.url, email, password, from(ip))).status).toBe(401);
    expect((await logIn(portal.url, email, 'a-new-password-2', from(ip))).status).toBe(302);
  });

  it('/account changes name and email (email only with the current password)', async () => {
    const ip = address();
    const { email, password, cookie } = await signUp(portal.url, { headers: from(ip) });
    const renamed = await account({ intent: 'profile', name: 'Renamed Person', email, emailPassword: '' }, cookie, ip);
    expect(renamed.status).toBe(200);
    const newEmail = `moved-${Date.now()}@example.com`;
    const noPassword = await account({ intent: 'profile', name: 'Renamed Person', email: newEmail, emailPassword: '' }, cookie, ip);
    expect(noPassword.status).toBe(400);
    expect(await noPassword.text()).toContain('Enter your current password to change your email.');
    const taken = await signUp(portal.url, { headers: from(ip) });
    const clash = await account({ intent: 'profile', name: 'Renamed Person', email: taken.email, emailPassword: password }, cookie, ip);
    expect(clash.status).toBe(409);
    const moved = await account({ intent: 'profile', name: 'Renamed Person', email: newEmail, emailPassword: password }, cookie, ip);
    expect(moved.status).toBe(200);
    expect((await logIn(portal.url, newEmail, password, from(ip))).status).toBe(302);
    const page = await (await fetch(`${portal.url}/account`, { headers: { Cookie: cookie } })).text();
    expect(page).toContain('Renamed Person');
  });
});

describe('forgot password', () => {
  const forgot = (email: string, ip: string) => post(`${portal.url}/forgot-password`, { email }, { headers: from(ip) });
  const visible = (html: string) => html.replace(/nonce="[^"]*"/g, '').replace(/<script[\s\S]*?<\/script>/g, '');
  const linkFor = (email: string) => {
    const row = portal
      .sql()
      .prepare("select data, to_email, status from outbox where template = 'password_reset' and to_email = ? order by id desc")
      .get(email) as { data: string; to_email: string; status: string } | undefined;
    return row ? { ...row, url: (JSON.parse(row.data) as { resetUrl: string }).resetUrl } : null;
  };

  it('the login page offers it, and it answers the same for known and unknown addresses', async () => {
    const login = await (await fetch(`${portal.url}/login`)).text();
    expect(login).toContain('href="/forgot-password"');
    const ip = address();
    const { email } = await signUp(portal.url, { headers: from(ip) });
    const known = await forgot(email, ip);
    const unknown = await forgot(`nobody-${Date.now()}@example.com`, ip);
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    const [a, b] = [visible(await known.text()), visible(await unknown.text())];
    expect(a).toContain('If an account uses that email, we have sent it a link');
    expect(a.replace(email, 'X')).toBe(b.replace(/nobody-\d+@example\.com/, 'X'));
    const link = linkFor(email);
    expect(link).toMatchObject({ to_email: email, status: 'pending' });
    expect(link!.url).toMatch(new RegExp(`^${portal.url}/reset-password\\?token=[A-Za-z0-9_-]{40,}$`));
  });

  it('a link works once, for 30 minutes, and ends every session', async () => {
    const ip = address();
    const { email, cookie } = await signUp(portal.url, { headers: from(ip) });
    await forgot(email, ip);
    const { url } = linkFor(email)!;
    const form = await fetch(url);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('Choose a new password');
    const res = await post(
      url,
      { token: new URL(url).searchParams.get('token')!, password: 'reset-password-3', confirmPassword: 'reset-password-3' },
      { headers: from(ip) },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboard');
    expect(await opens(cookieOf(res))).toBe(true);
    expect(await opens(cookie)).toBe(false);
    expect((await logIn(portal.url, email, 'reset-password-3', from(ip))).status).toBe(302);
    // used: the page and the form both refuse
    expect((await fetch(url)).status).toBe(400);
    const again = await post(
      url,
      { token: new URL(url).searchParams.get('token')!, password: 'another-password-4', confirmPassword: 'another-password-4' },
      { headers: from(ip) },
    );
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('This link has expired or was already used.');

    await forgot(email, ip);
    const second = linkFor(email)!.url;
    portal
      .sql()
      .prepare('update password_reset_tokens set expires_at = ? where used_at is null')
      .run(Date.now() - 1);
    expect((await fetch(second)).status).toBe(400);
    const expired = await post(
      second,
      { token: new URL(second).searchParams.get('token')!, password: 'another-password-4', confirmPassword: 'another-password-4' },
      { headers: from(ip) },
    );
    expect(expired.status).toBe(400);
    expect((await logIn(portal.url, email, 'another-password-4', from(ip))).status).toBe(401);
  });

  it('works in a browser: login page → Forgot password? → link from the outbox → new password → dashboard', async () => {
    const ip = address();
    const { email } = await signUp(portal.url, { headers: from(ip) });
    const browser = await launch();
    try {
      const { page, errors, context } = await newPage(browser);
      await page.goto(`${portal.url}/login`);
      await hydrated(page);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.waitForURL(/\/forgot-password$/);
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page
        .getByText('If an account uses that email, we have sent it a link to choose a new password. The link works once, for 30 minutes.')
        .waitFor();
      await page.goto(linkFor(email)!.url);
      await hydrated(page);
      await page.getByLabel('New password', { exact: true }).fill('browser-reset-5');
      await page.getByLabel('New password again').fill('browser-reset-5');
      await page.getByRole('button', { name: 'Save and log in' }).click();
      await page.waitForURL(/\/dashboard$/);
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByText('This browser').waitFor();
      assertNoConsoleErrors(errors);
      await context.close();
    } finally {
      await browser.close();
    }
    expect((await logIn(portal.url, email, 'browser-reset-5', from(ip))).status).toBe(302);
  });

  it('links are valid 30 minutes from the request', async () => {
    const ip = address();
    const { email } = await signUp(portal.url, { headers: from(ip) });
    const before = Date.now();
    await forgot(email, ip);
    const row = portal.sql().prepare('select created_at, expires_at from password_reset_tokens order by created_at desc limit 1').get() as {
      created_at: number;
      expires_at: number;
    };
    expect(row.expires_at - row.created_at).toBe(30 * 60 * 1000);
    expect(row.created_at).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe('redirectTo', () => {
  it('a path with a character above U+00FF falls back to the dashboard instead of a 500 (login and sign-up)', async () => {
    const ip = address();
    const { email, password } = await signUp(portal.url, { headers: from(ip) });
    for (const redirectTo of [
      '/\u3000/evil.com',
      '/caf\u00e9',
      '/\u{1F600}',
      '/ok\u2028',
      '//evil.com',
      '/\\evil.com',
      'https://evil.com',
    ]) {
      const login = await post(`${portal.url}/login`, { email, password, redirectTo }, { headers: from(ip) });
      expect(login.status, redirectTo).toBe(302);
      expect(login.headers.get('location'), redirectTo).toBe('/dashboard');
      const signup = await post(
        `${portal.url}/signup`,
        { name: 'R', email: `r-${Date.now()}-${n++}@example.com`, password: 'a-long-password-1', redirectTo },
        { headers: from(ip) },
      );
      expect(signup.status, redirectTo).toBe(302);
      expect(signup.headers.get('location'), redirectTo).toBe('/dashboard');
    }
    const kept = await post(
      `${portal.url}/login`,
      { email, password, redirectTo: '/billing?plan=pro&interval=year' },
      { headers: from(ip) },
    );
    expect(kept.headers.get('location')).toBe('/billing?plan=pro&interval=year');
  });
});

describe('per-client limits', () => {
  it('sign-up on a registered email says so (409) but never signs in as that account', async () => {
    const ip = address();
    const { email } = await signUp(portal.url, { headers: from(ip) });
    const res = await post(`${portal.url}/signup`, { name: 'Intruder', email, password: 'intruder-password' }, { headers: from(ip) });
    expect(res.status).toBe(409);
    expect(res.headers.getSetCookie().filter((c) => c.startsWith('__session='))).toEqual([]);
  });

  it('at most 10 sign-ups on registered emails per address per hour, then 429 with Retry-After', async () => {
    const ip = address();
    const { email } = await signUp(portal.url, { headers: from(ip) });
    for (let i = 0; i < 10; i++) {
      expect((await post(`${portal.url}/signup`, { name: 'Probe', email, password: 'probe-password' }, { headers: from(ip) })).status).toBe(
        409,
      );
    }
    const blocked = await post(
      `${portal.url}/signup`,
      { name: 'Probe', email: `fresh-${Date.now()}@example.com`, password: 'probe-password' },
      { headers: from(ip) },
    );
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(59 * 60);
    expect(await blocked.text()).toContain('Too many sign-ups from your network.');
    // another address is not affected
    expect(
      (
        await post(
          `${portal.url}/signup`,
          { name: 'Other', email: `other-${Date.now()}@example.com`, password: 'probe-password' },
          { headers: from(address()) },
        )
      ).status,
    ).toBe(302);
  });

  it('at most 50 new accounts per address per hour', async () => {
    const ip = address();
    for (let i = 0; i < 50; i++) await signUp(portal.url, { headers: from(ip) });
    const blocked = await post(
      `${portal.url}/signup`,
      { name: 'One more', email: `more-${Date.now()}@example.com`, password: 'a-long-password-1' },
      { headers: from(ip) },
    );
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('at most 10 failed logins per address per 15 minutes across accounts, then 429 with Retry-After', async () => {
    const ip = address();
    const victim = await signUp(portal.url, { headers: from(address()) });
    // Spread over many emails so the per-account throttle (5) never triggers.
    for (let i = 0; i < 10; i++) {
      expect((await logIn(portal.url, `guess-${i}-${Date.now()}@example.com`, 'wrong-password', from(ip))).status).toBe(401);
    }
    const blocked = await logIn(portal.url, victim.email, victim.password, from(ip));
    expect(blocked.status).toBe(429);
    const wait = Number(blocked.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(14 * 60);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    expect(await blocked.text()).toContain('Too many failed logins from your network.');
    // the account itself is fine from elsewhere
    expect((await logIn(portal.url, victim.email, victim.password, from(address()))).status).toBe(302);
  });
});
