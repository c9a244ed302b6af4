import { describe, expect, it } from 'vitest';
import { action as signupAction } from '~/routes/signup';
import { action as loginAction } from '~/routes/login';
import { loader as dashboardLoader } from '~/routes/dashboard';
import { loader as signupLoader } from '~/routes/signup';
import { requireUser } from '~/auth/session.server';
import { clock } from '~/lib/clock.server';
import { cookieFrom, formRequest, getRequest, settle } from '../helpers/requests';

let n = 0;
const uniqueEmail = () => `user${Date.now()}${n++}@example.com`;

async function signup(fields: Record<string, string>) {
  return settle(() => signupAction({ request: formRequest('/signup', fields), params: {}, context: {} }));
}
async function login(fields: Record<string, string>) {
  return settle(() => loginAction({ request: formRequest('/login', fields), params: {}, context: {} }));
}

describe('sign up', () => {
  it('creates the account, starts a session and goes to the dashboard', async () => {
    const email = uniqueEmail();
    const { response } = await signup({ name: 'Ada Lovelace', email, password: 'analytical-engine' });
    expect(response?.status).toBe(302);
    expect(response?.headers.get('location')).toBe('/dashboard');
    const setCookie = response!.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // APP_URL is http in tests
    const user = await requireUser(getRequest('/dashboard', { cookie: cookieFrom(response!) }));
    expect(user).toMatchObject({ email, name: 'Ada Lovelace', role: 'user', hasHadTrial: false });
    expect(user.passwordHash).not.toContain('analytical');
  });

  it('answers bad input with 400 and a message per field', async () => {
    const { response, data } = await signup({ name: '', email: 'not-an-email', password: 'short' });
    expect(response?.status).toBe(400);
    expect(data).toMatchObject({
      errors: { name: 'Enter your name.', email: 'Enter a valid email address.', password: 'Use at least 10 characters.' },
    });
    const huge = await signup({ name: 'x'.repeat(5000), email: `${'a'.repeat(300)}@example.com`, password: 'p'.repeat(5000) });
    expect(huge.response?.status).toBe(400);
    expect(Object.keys((huge.data as { errors: object }).errors).sort()).toEqual(['email', 'name', 'password']);
    const missing = await settle(() => signupAction({ request: formRequest('/signup', {}), params: {}, context: {} }));
    expect(missing.response?.status).toBe(400);
  });

  it('refuses a duplicate email (any case) with 409', async () => {
    const email = uniqueEmail();
    await signup({ name: 'One', email, password: 'first-password' });
    const again = await signup({ name: 'Two', email: email.toUpperCase(), password: 'second-password' });
    expect(again.response?.status).toBe(409);
    expect(again.data).toMatchObject({ errors: { email: expect.stringContaining('already exists') } });
  });

  it('only redirects to local paths after sign up', async () => {
    const { response } = await signup({ name: 'R', email: uniqueEmail(), password: 'redirect-me-please', redirectTo: '//evil.example/x' });
    expect(response?.headers.get('location')).toBe('/dashboard');
    const ok = await signup({ name: 'R', email: uniqueEmail(), password: 'redirect-me-please', redirectTo: '/billing?plan=pro' });
    expect(ok.response?.headers.get('location')).toBe('/billing?plan=pro');
  });
});

describe('log in', () => {
  it('logs in with the right password and rotates the session', async () => {
    const email = uniqueEmail();
    const created = await signup({ name: 'Grace', email, password: 'cobol-forever' });
    const first = cookieFrom(created.response!);
    const { response } = await login({ email, password: 'cobol-forever', redirectTo: '/api-keys' });
    expect(response?.status).toBe(302);
    expect(response?.headers.get('location')).toBe('/api-keys');
    expect(cookieFrom(response!)).not.toBe(first);
  });

  it('says which field is wrong, without telling whether the email exists', async () => {
    const email = uniqueEmail();
    await signup({ name: 'G', email, password: 'right-password' });
    const wrong = await login({ email, password: 'wrong-password' });
    const unknown = await login({ email: uniqueEmail(), password: 'wrong-password' });
    expect(wrong.response?.status).toBe(401);
    expect(unknown.response?.status).toBe(401);
    expect(wrong.data).toEqual(expect.objectContaining({ errors: { password: 'That email and password do not match.' } }));
    expect((unknown.data as { errors: unknown }).errors).toEqual((wrong.data as { errors: unknown }).errors);
    const empty = await login({});
    expect(empty.response?.status).toBe(400);
    expect(empty.data).toMatchObject({ errors: { email: 'Enter your email.', password: 'Enter your password.' } });
  });

  it('throttles after 5 failures in 15 minutes with 429 and the wait time', async () => {
    const email = uniqueEmail();
    await signup({ name: 'T', email, password: 'the-real-password' });
    clock.freeze(Date.now());
    try {
      for (let i = 0; i < 5; i++) expect((await login({ email, password: `guess-${i}-xxxxx` })).response?.status).toBe(401);
      const blocked = await login({ email, password: 'the-real-password' });
      expect(blocked.response?.status).toBe(429);
      expect(Number(blocked.response?.headers.get('retry-after'))).toBe(15 * 60);
      expect(blocked.data).toMatchObject({ errors: { form: 'Too many failed attempts for this email. Try again in 15 minutes.' } });
      clock.advance(14 * 60 * 1000);
      const still = await login({ email, password: 'the-real-password' });
      expect(still.response?.status).toBe(429);
      expect(still.data).toMatchObject({ errors: { form: expect.stringContaining('about a minute') } });
      clock.advance(60 * 1000 + 1);
      expect((await login({ email, password: 'the-real-password' })).response?.status).toBe(302);
      // success clears the failures
      expect((await login({ email, password: 'wrong-again-xx' })).response?.status).toBe(401);
    } finally {
      clock.reset();
    }
  });
});

describe('sessions', () => {
  it('treats a forged or tampered cookie as logged out, never as an error', async () => {
    const email = uniqueEmail();
    const { response } = await signup({ name: 'F', email, password: 'forgery-check' });
    const good = cookieFrom(response!);
    const [name, value] = good.split('=');
    const tampered = `${name}=${value!.slice(0, -4)}AAAA`;
    for (const cookie of [tampered, '__session=garbage', '__session=eyJ1c2VySWQiOiJ1c3JfeCJ9.bad']) {
      const out = await settle(() => dashboardLoader({ request: getRequest('/dashboard', { cookie }), params: {}, context: {} }));
      expect(out.response?.status).toBe(302);
      expect(out.response?.headers.get('location')).toBe('/login?redirectTo=%2Fdashboard');
    }
    // and the genuine cookie works
    const ok = await settle(() => dashboardLoader({ request: getRequest('/dashboard', { cookie: good }), params: {}, context: {} }));
    expect(ok.data).toMatchObject({ name: 'F', activeKeys: 0 });
  });

  it('sends signed-in users away from the sign-up page', async () => {
    const { response } = await signup({ name: 'S', email: uniqueEmail(), password: 'already-in-here' });
    const out = await settle(() =>
      signupLoader({ request: getRequest('/signup', { cookie: cookieFrom(response!) }), params: {}, context: {} }),
    );
    expect(out.response?.headers.get('location')).toBe('/dashboard');
  });
});
