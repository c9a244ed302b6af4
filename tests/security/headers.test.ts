/**
 * Issue #16, response headers, against the built portal: a CSP with a fresh nonce on every HTML
 * response (and nothing loose for scripts), Permissions-Policy and COOP; nosniff on every response;
 * `private, no-store` on every authenticated response; HSTS when APP_URL is https.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrated, launch, newPage } from '../e2e/browser';
import { post, rawRequest, signUp, startPortal, type Portal } from './portal';

let portal: Portal;
let cookie: string;

beforeAll(async () => {
  portal = await startPortal();
  ({ cookie } = await signUp(portal.url));
});
afterAll(async () => {
  await portal?.stop();
});

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('Content-Security-Policy', () => {
  const pages = ['/', '/login', '/signup', '/forgot-password', '/reset-password?token=nope', '/no-such-page'];
  const signedIn = ['/dashboard', '/billing', '/billing/plans', '/billing/usage', '/billing/invoices', '/api-keys', '/account'];

  it('every HTML page has one, with a fresh nonce that every inline script carries', async () => {
    const seen = new Set<string>();
    for (const path of [...pages, ...signedIn]) {
      const res = await fetch(`${portal.url}${path}`, { headers: signedIn.includes(path) ? { Cookie: cookie } : {} });
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy');
      expect(csp, path).toBeTruthy();
      const d = directives(csp!);
      const scripts = d.get('script-src')!;
      const nonce = scripts.find((v) => v.startsWith("'nonce-"))!.slice(7, -1);
      expect(nonce, path).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(seen.has(nonce), `nonce reused on ${path}`).toBe(false);
      seen.add(nonce);
      for (const loose of ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:', 'data:']) expect(scripts, path).not.toContain(loose);
      expect(d.get('default-src')).toEqual(["'self'"]);
      expect(d.get('object-src')).toEqual(["'none'"]);
      expect(d.get('base-uri')).toEqual(["'none'"]);
      expect(d.get('frame-ancestors')).toEqual(["'none'"]);
      const html = await res.text();
      const tags = html.match(/<script\b[^>]*>/g) ?? [];
      expect(tags.length, path).toBeGreaterThan(0);
      for (const tag of tags) {
        const src = tag.match(/\bsrc="([^"]+)"/)?.[1];
        if (src)
          expect(
            scripts.some((allowed) => src.startsWith(allowed) || (allowed === "'self'" && src.startsWith('/'))),
            `${path}: ${tag}`,
          ).toBe(true);
        else expect(tag, path).toContain(`nonce="${nonce}"`);
      }
      expect(res.headers.get('permissions-policy'), path).toMatch(/camera=\(\)/);
      expect(res.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
    }
  });

  it('allows Stripe.js and its frames from exactly the emulator origin here (no wildcard)', async () => {
    const res = await fetch(`${portal.url}/billing`, { headers: { Cookie: cookie } });
    const d = directives(res.headers.get('content-security-policy')!);
    const emulator = new URL(portal.emulatorUrl.replace('127.0.0.1', 'localhost')).origin;
    expect(d.get('script-src')).toContain(emulator);
    expect(d.get('frame-src')).toEqual([emulator]);
    expect(d.get('connect-src')).toEqual(["'self'", emulator]);
    // Stripe.js itself is fetched only when a payment form opens (app/lib/stripe-js.ts), not with the page.
    const html = await res.text();
    expect(html).not.toContain(`<script src="${emulator}/js/stripe.js"`);
  });
});

describe('the policy in Chromium', () => {
  it('pages hydrate with no violation and no console error; an injected inline script is blocked', async () => {
    const browser = await launch();
    try {
      const { context, page, errors } = await newPage(browser);
      const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
      await context.addCookies([{ name, value, url: portal.url, httpOnly: true, sameSite: 'Lax' }]);
      await page.addInitScript(() => {
        const w = window as unknown as { __violations: string[] };
        w.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          w.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
        );
      });
      for (const path of [
        '/dashboard',
        '/billing',
        '/billing/plans',
        '/billing/usage',
        '/billing/invoices',
        '/api-keys',
        '/account',
        '/',
      ]) {
        await page.goto(`${portal.url}${path}`);
        await hydrated(page);
        // client-side navigation runs the .data requests and lazy route modules under the policy too
        await page.getByRole('link', { name: 'Account' }).click();
        await page.waitForURL(/\/account$/);
        expect(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), path).toEqual([]);
      }
      expect(errors).toEqual([]);
      const ran = await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.appendChild(s);
        return new Promise((r) => setTimeout(() => r((window as unknown as { __injected?: boolean }).__injected ?? false), 100));
      });
      expect(ran).toBe(false);
      const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
      expect(violations.join()).toMatch(/script-src/);
      await context.close();
    } finally {
      await browser.close();
    }
  });
});

describe('X-Content-Type-Options: nosniff on every response', () => {
  it('HTML, JSON, .data, static files, the 403 page, 404, 405, 413 and 415', async () => {
    const html = await (await fetch(`${portal.url}/login`)).text();
    const asset = html.match(/\/build\/[A-Za-z0-9_/.-]+\.js/)![0];
    const checks: [string, Promise<Response>][] = [
      ['html', fetch(`${portal.url}/login`)],
      ['json', fetch(`${portal.url}/healthz`)],
      ['api json', fetch(`${portal.url}/api/v1/hello`)],
      ['.data', fetch(`${portal.url}/dashboard.data`, { headers: { Cookie: cookie } })],
      ['static svg', fetch(`${portal.url}/favicon.svg`)],
      ['static js', fetch(`${portal.url}${asset}`)],
      ['403', post(`${portal.url}/logout`, {}, { origin: 'https://evil.example' })],
      ['404', fetch(`${portal.url}/no-such-page`)],
      [
        '415',
        fetch(`${portal.url}/login`, { method: 'POST', headers: { Origin: portal.url, 'Content-Type': 'application/json' }, body: '{}' }),
      ],
      ['webhook', fetch(`${portal.url}/webhooks/stripe`, { method: 'POST', body: '{}' })],
    ];
    for (const [what, pending] of checks) {
      const res = await pending;
      expect(res.headers.get('x-content-type-options'), `${what} (${res.status})`).toBe('nosniff');
    }
    const trace = await rawRequest(portal.port, 'TRACE / HTTP/1.1\nHost: localhost\nConnection: close');
    expect(trace.headers['x-content-type-options']).toBe('nosniff');
    const big = await rawRequest(
      portal.port,
      `POST /login HTTP/1.1\nHost: localhost\nContent-Length: ${2 * 1024 * 1024}\nContent-Type: application/x-www-form-urlencoded\nOrigin: http://localhost\nConnection: close`,
      Buffer.alloc(2 * 1024 * 1024, 'a'),
    );
    expect(big.status).toBe(413);
    expect(big.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('Cache-Control on authenticated responses', () => {
  it('is private, no-store for every signed-in page, .data request, action and API call', async () => {
    const { key } = await createKey();
    const checks: [string, Promise<Response>][] = [
      ['/dashboard', fetch(`${portal.url}/dashboard`, { headers: { Cookie: cookie } })],
      ['/billing', fetch(`${portal.url}/billing`, { headers: { Cookie: cookie } })],
      ['/billing/usage.csv', fetch(`${portal.url}/billing/usage.csv`, { headers: { Cookie: cookie } })],
      ['/billing/invoices', fetch(`${portal.url}/billing/invoices`, { headers: { Cookie: cookie } })],
      ['/api-keys', fetch(`${portal.url}/api-keys`, { headers: { Cookie: cookie } })],
      ['/account', fetch(`${portal.url}/account`, { headers: { Cookie: cookie } })],
      ['/dashboard.data', fetch(`${portal.url}/dashboard.data`, { headers: { Cookie: cookie } })],
      ['/ (signed in)', fetch(`${portal.url}/`, { headers: { Cookie: cookie } })],
      ['/api/v1/hello', fetch(`${portal.url}/api/v1/hello`, { headers: { Authorization: `Bearer ${key}` } })],
      ['POST /account', post(`${portal.url}/account`, { intent: 'logout-others' }, { cookie })],
      [
        'sign-up answer',
        post(`${portal.url}/signup`, { name: 'C', email: `cache-${Date.now()}@example.com`, password: 'a-long-password-1' }),
      ],
    ];
    for (const [what, pending] of checks) {
      const res = await pending;
      expect(res.status, what).toBeLessThan(500);
      expect(res.headers.get('cache-control'), what).toBe('private, no-store');
    }
  });

  async function createKey(): Promise<{ key: string }> {
    const res = await post(`${portal.url}/api-keys`, { intent: 'create', name: 'cache test' }, { cookie });
    const text = await res.text();
    const key = text.match(/bp_(?:test|live)_[A-Za-z0-9_-]+/)?.[0];
    if (!key) throw new Error(`no key in the answer (${res.status})`);
    return { key };
  }
});

describe('Strict-Transport-Security', () => {
  it('is absent while APP_URL is http', async () => {
    expect((await fetch(`${portal.url}/`)).headers.get('strict-transport-security')).toBeNull();
  });

  it('is max-age=31536000 on every response when APP_URL is https', async () => {
    const tls = await startPortal({ APP_URL: 'https://portal.example.test' });
    try {
      for (const path of ['/', '/healthz', '/favicon.svg', '/no-such-page']) {
        const res = await fetch(`http://127.0.0.1:${tls.port}${path}`);
        expect(res.headers.get('strict-transport-security'), path).toBe('max-age=31536000');
      }
      const trace = await rawRequest(tls.port, 'TRACE / HTTP/1.1\nHost: localhost\nConnection: close');
      expect(trace.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await tls.stop();
    }
  });
});

describe('CSP with real Stripe keys', () => {
  it('names js.stripe.com for scripts and frames, api.stripe.com for calls, and nothing loose', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        STRIPE_SECRET_KEY: 'sk_test_123abc',
        STRIPE_PUBLISHABLE_KEY: 'pk_test_123abc',
        STRIPE_API_BASE: '',
        SESSION_SECRET: 'csp-test-secret-0123456789abcdef0123456789',
        DATABASE_PATH: `${portal.dir}/csp-unit.sqlite`,
      });
      const { resetEnvCache } = await import('~/lib/env.server');
      resetEnvCache();
      const { contentSecurityPolicy } = await import('~/lib/csp.server');
      const d = directives(contentSecurityPolicy('abc'));
      expect(d.get('script-src')).toEqual([
        "'self'",
        "'nonce-abc'",
        'https://js.stripe.com',
        'https://*.js.stripe.com',
        'https://maps.googleapis.com',
      ]);
      expect(d.get('frame-src')).toEqual(['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com']);
      expect(d.get('connect-src')).toEqual(["'self'", 'https://api.stripe.com', 'https://maps.googleapis.com']);
      resetEnvCache();
    } finally {
      process.env = saved;
    }
  });
});
