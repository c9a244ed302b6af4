import { describe, expect, it } from 'vitest';
import { action as signupAction } from '~/routes/signup';
import { action as keysAction, loader as keysLoader } from '~/routes/api-keys';
import { loader as helloLoader } from '~/routes/api.v1.hello';
import { cookieFrom, formRequest, getRequest, settle } from '../helpers/requests';

let n = 0;
async function newUser(name: string) {
  const { response } = await settle(() =>
    signupAction({
      request: formRequest('/signup', { name, email: `k${Date.now()}${n++}@example.com`, password: 'key-owner-password' }),
      params: {},
      context: {},
    }),
  );
  return cookieFrom(response!);
}
const keys = (cookie: string, fields: Record<string, string>) =>
  settle(() => keysAction({ request: formRequest('/api-keys', fields, { cookie }), params: {}, context: {} }));
const hello = (auth?: string) =>
  helloLoader({ request: getRequest('/api/v1/hello', { headers: auth ? { Authorization: auth } : {} }), params: {}, context: {} });

describe('API keys', () => {
  it('shows a new key once, stores only its hash, and authenticates the API', async () => {
    const cookie = await newUser('Key Owner');
    const created = await keys(cookie, { intent: 'create', name: 'Production' });
    const key = (created.data as { created: { key: string } }).created.key;
    expect(key).toMatch(/^bp_live_[A-Za-z0-9_-]{32}$/);
    const listed = (await settle(() => keysLoader({ request: getRequest('/api-keys', { cookie }), params: {}, context: {} }))).data as {
      keys: { id: string; prefix: string }[];
    };
    expect(listed.keys).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(key.startsWith(listed.keys[0]!.prefix)).toBe(true);

    // The key authenticates (402, not 401): this user simply has no plan yet.
    const noPlan = await hello(`Bearer ${key}`);
    expect(noPlan.status).toBe(402);
    expect(await noPlan.json()).toMatchObject({ error: { type: 'payment_required', code: 'no_subscription' } });

    const revoked = await keys(cookie, { intent: 'revoke', keyId: listed.keys[0]!.id });
    expect(revoked.response?.status ?? 200).toBe(200);
    expect(revoked.data).toMatchObject({ ok: true });
    expect((await hello(`Bearer ${key}`)).status).toBe(401);
  });

  it('answers a missing or wrong key with 401 JSON', async () => {
    const none = await hello();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ error: { type: 'authentication_error' } });
    expect((await hello('Bearer bp_live_nope')).status).toBe(401);
    expect((await hello('Basic abc')).status).toBe(401);
  });

  it('never lets one user revoke another user’s key', async () => {
    const alice = await newUser('Alice');
    const mallory = await newUser('Mallory');
    const created = await keys(alice, { intent: 'create', name: 'Alice key' });
    const aliceKey = (created.data as { created: { key: string } }).created.key;
    const aliceList = (await settle(() => keysLoader({ request: getRequest('/api-keys', { cookie: alice }), params: {}, context: {} })))
      .data as { keys: { id: string }[] };
    const attempt = await keys(mallory, { intent: 'revoke', keyId: aliceList.keys[0]!.id });
    expect(attempt.response?.status).toBe(404);
    expect((await hello(`Bearer ${aliceKey}`)).status).toBe(402); // still valid: authenticated, no plan
    const malloryList = (await settle(() => keysLoader({ request: getRequest('/api-keys', { cookie: mallory }), params: {}, context: {} })))
      .data as { keys: unknown[] };
    expect(malloryList.keys).toHaveLength(0);
  });

  it('validates input with 400 and a message', async () => {
    const cookie = await newUser('Validator');
    const empty = await keys(cookie, { intent: 'create', name: '   ' });
    expect(empty.response?.status).toBe(400);
    expect(empty.data).toMatchObject({ error: 'Give the key a name.' });
    const unknown = await keys(cookie, { intent: 'explode' });
    expect(unknown.response?.status).toBe(400);
  });

  it('requires a session', async () => {
    const out = await keys('__session=nothing', { intent: 'create', name: 'x' });
    expect(out.response?.status).toBe(302);
    expect(out.response?.headers.get('location')).toMatch(/^\/login\?redirectTo=/);
  });
});
