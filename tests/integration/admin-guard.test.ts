/**
 * The operator console's guard, walked over every admin route module × method × kind of visitor,
 * against the built portal started as `npm start` runs it: anonymous visitors and customers get the
 * same 404 as a page that does not exist — on documents, `.data` requests (single fetch and `?_data=`),
 * HEAD and every form-post method — and an operator (ADMIN_EMAILS, matched in any case) gets the
 * pages, with the app's CSRF rule still in force.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfNeeded } from '../../scripts/build-if-needed';
import { startPortal, type Portal } from '../security/portal';

let portal: Portal;
const cookies: Record<'plain' | 'admin', string> = { plain: '', admin: '' };
let adminUserId = '';
/**
 * What the portal answers a classic `?_data=` request for a page that does not exist: with single
 * fetch on (remix.config.js) Remix refuses the parameter before any loader runs, for every route.
 */
let classicDataStatus = 0;

/** Every admin route file, with the URL that reaches it and whether it is an index route. */
const ROUTES = fs
  .readdirSync(path.resolve('app/routes'))
  .filter((f) => /^admin(\.|$)/.test(f) && /\.tsx?$/.test(f))
  .map((file) => {
    const id = file.replace(/\.tsx?$/, '');
    const segments = id
      .split('.')
      .filter((s) => s !== '_index')
      .map((s) => (s.startsWith('$') ? ':param' : s));
    return { file, id: `routes/${id}`, path: '/' + segments.join('/'), index: id.endsWith('._index') };
  });

async function signUp(email: string): Promise<string> {
  const res = await fetch(`${portal.url}/signup`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: portal.url },
    body: new URLSearchParams({ name: 'Guard Test', email, password: 'a-long-password-1' }),
  });
  expect(res.status, await res.clone().text()).toBe(302);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

type Probe = { label: string; method: string; url: string; body?: boolean };

/** The requests that reach one route: its document, its data in both protocols, HEAD, and every mutating method. */
function probes(route: (typeof ROUTES)[number], param: string): Probe[] {
  const p = route.path.replace(':param', param);
  const dataPath = p === '/admin' ? '/admin.data' : `${p}.data`;
  const idx = route.index ? '?index' : '';
  return [
    { label: 'GET document', method: 'GET', url: p },
    { label: 'GET single-fetch data', method: 'GET', url: `${dataPath}?_routes=${encodeURIComponent(route.id)}` },
    { label: 'GET ?_data=', method: 'GET', url: `${p}?_data=${encodeURIComponent(route.id)}` },
    { label: 'HEAD', method: 'HEAD', url: p },
    ...['POST', 'PUT', 'PATCH', 'DELETE'].map((method) => ({ label: `${method} form`, method, url: `${p}${idx}`, body: true })),
    { label: 'POST single-fetch action', method: 'POST', url: `${dataPath}${idx}`, body: true },
  ];
}

function send(probe: Probe, cookie: string, origin: string | null = portal.url) {
  return fetch(portal.url + probe.url, {
    method: probe.method,
    redirect: 'manual',
    headers: {
      ...(cookie ? { Cookie: cookie } : {}),
      ...(probe.body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      ...(probe.body && origin ? { Origin: origin } : {}),
    },
    body: probe.body ? new URLSearchParams({ intent: 'replay-failed' }) : undefined,
  });
}

describe('the /admin guard', () => {
  beforeAll(async () => {
    buildIfNeeded();
    // The list is matched without regard to case or spaces.
    portal = await startPortal({ ADMIN_EMAILS: 'someone-else@example.com, Guard-Ops@Example.COM' });
    cookies.plain = await signUp(`guard-plain-${Date.now()}@example.com`);
    cookies.admin = await signUp('guard-ops@example.com');
    classicDataStatus = (await fetch(`${portal.url}/no-such-page?_data=routes%2Fno-such-page`)).status;
    adminUserId = (portal.sql().prepare('select id from users where email = ?').get('guard-ops@example.com') as { id: string }).id;
  }, 180_000);
  afterAll(async () => {
    await portal?.stop();
  });

  it('finds every admin route module (the matrix covers new pages by itself)', () => {
    expect(ROUTES.map((r) => r.file).sort()).toEqual(
      [
        'admin._index.tsx',
        'admin.catalog.tsx',
        'admin.customers.$id.tsx',
        'admin.customers._index.tsx',
        'admin.drift.tsx',
        'admin.emails.tsx',
        'admin.tsx',
        'admin.webhooks.tsx',
      ].sort(),
    );
  });

  it('answers anonymous visitors and signed-in customers 404 on every admin route and method', async () => {
    const notFound = await fetch(`${portal.url}/no-such-page-anywhere`);
    expect(notFound.status).toBe(404);
    // Never a loader's data through the classic protocol, for anyone.
    expect(classicDataStatus).toBe(400);
    const results: string[] = [];
    for (const [who, cookie] of [
      ['anonymous', ''],
      ['customer', cookies.plain],
    ] as const) {
      for (const route of ROUTES) {
        for (const probe of probes(route, adminUserId)) {
          const res = await send(probe, cookie);
          const body = await res.text();
          results.push(`${who} ${probe.label} ${probe.url} -> ${res.status}`);
          expect(res.status, `${who} ${probe.label} ${probe.url}`).toBe(probe.label === 'GET ?_data=' ? classicDataStatus : 404);
          // Nothing that tells the console exists: no admin words, no redirect to the login page.
          expect(body).not.toMatch(/Operator console|Webhook inbox|Drift report/);
          expect(res.headers.get('location')).toBeNull();
        }
      }
    }
    expect(results.length).toBe(2 * ROUTES.length * 9);
    // The document 404 is the app's ordinary "Page not found".
    const doc = await (await fetch(`${portal.url}/admin/webhooks`, { headers: { Cookie: cookies.plain } })).text();
    expect(doc).toContain('Page not found');
    // A customer's pages carry no Admin link.
    const dashboard = await (await fetch(`${portal.url}/dashboard`, { headers: { Cookie: cookies.plain } })).text();
    expect(dashboard).not.toContain('href="/admin"');
  });

  it('lets an operator in: every page answers, no post gets a 404 or a 500', async () => {
    for (const route of ROUTES) {
      for (const probe of probes(route, adminUserId)) {
        const res = await send(probe, cookies.admin);
        await res.text();
        if (probe.label === 'GET ?_data=') expect(res.status).toBe(classicDataStatus);
        else if (probe.method === 'GET' || probe.method === 'HEAD') expect(res.status, `${probe.label} ${probe.url}`).toBe(200);
        else {
          // Pages without forms answer 405, pages with forms refuse a wrong intent with 400, the
          // webhooks page accepts "replay all failed" (200).
          expect([200, 400, 405], `${probe.label} ${probe.url}`).toContain(res.status);
        }
      }
    }
    const dashboard = await (await fetch(`${portal.url}/dashboard`, { headers: { Cookie: cookies.admin } })).text();
    expect(dashboard).toContain('href="/admin"');
  });

  it('keeps the CSRF rule: an operator’s post from another origin or without one is refused', async () => {
    const probe: Probe = { label: 'POST', method: 'POST', url: '/admin/webhooks', body: true };
    const audited = () =>
      (portal.sql().prepare("select count(*) as n from admin_audit where action = 'replay-failed'").get() as { n: number }).n;
    const before = audited();
    // The operator's same-origin posts of the previous test reached the action (form POST, PUT, PATCH, DELETE, .data POST).
    expect(before).toBe(5);
    expect((await send(probe, cookies.admin, 'http://evil.example')).status).toBe(403);
    expect((await send(probe, cookies.admin, null)).status).toBe(403);
    expect(audited()).toBe(before);
  });

  it('refuses bad input with a 4xx and words', async () => {
    const post = (url: string, body: Record<string, string>) =>
      fetch(portal.url + url, {
        method: 'POST',
        headers: { Cookie: cookies.admin, Origin: portal.url, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const replay = await post('/admin/webhooks', { intent: 'replay', eventId: 'not-an-event' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('not a Stripe event id');
    const unknown = await post('/admin/webhooks', { intent: 'replay', eventId: 'evt_doesnotexist' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No event evt_doesnotexist');
    const noCustomer = await post(`/admin/customers/${adminUserId}`, { intent: 'resync' });
    expect(noCustomer.status).toBe(400);
    expect(await noCustomer.text()).toContain('no Stripe customer yet');
    const badPage = await fetch(`${portal.url}/admin/customers?page=zero`, { headers: { Cookie: cookies.admin } });
    expect(badPage.status).toBe(400);
    const badStatus = await fetch(`${portal.url}/admin/webhooks?status=everything`, { headers: { Cookie: cookies.admin } });
    expect(badStatus.status).toBe(400);
    expect((await fetch(`${portal.url}/admin/customers/usr_nobody`, { headers: { Cookie: cookies.admin } })).status).toBe(404);
  });
});
