import { describe, expect, it } from 'vitest';
import { checkOrigin } from '~/auth/csrf.server';

const post = (path: string, headers: Record<string, string>) =>
  new Request(`http://localhost:3999${path}`, { method: 'POST', headers: { host: 'localhost:3999', ...headers } });

describe('checkOrigin (CSRF)', () => {
  it('lets safe methods through', () => {
    expect(checkOrigin(new Request('http://localhost:3999/billing')).ok).toBe(true);
  });
  it('accepts the app origin and the Referer fallback', () => {
    expect(checkOrigin(post('/logout', { origin: 'http://localhost:3999' })).ok).toBe(true);
    expect(checkOrigin(post('/logout', { referer: 'http://localhost:3999/dashboard' })).ok).toBe(true);
  });
  it('rejects other origins, a null origin, and no origin at all', () => {
    const evil = checkOrigin(post('/logout', { origin: 'https://evil.example' }));
    expect(evil).toEqual({ ok: false, reason: expect.stringContaining('https://evil.example') });
    expect(checkOrigin(post('/logout', { origin: 'null' })).ok).toBe(false);
    expect(checkOrigin(post('/logout', {})).ok).toBe(false);
    expect(checkOrigin(post('/logout', { referer: 'not a url' })).ok).toBe(false);
    // a look-alike host is not the app
    expect(checkOrigin(post('/logout', { origin: 'http://localhost:3999.evil.example' })).ok).toBe(false);
  });
  it('exempts signed webhooks and the bearer-key API', () => {
    expect(checkOrigin(post('/webhooks/stripe', {})).ok).toBe(true);
    expect(checkOrigin(post('/api/v1/hello', {})).ok).toBe(true);
  });
});

describe('safeRedirectTo (open redirects)', () => {
  it('keeps local paths and refuses anything a browser would send elsewhere', async () => {
    const { safeRedirectTo } = await import('~/auth/session.server');
    expect(safeRedirectTo('/billing?plan=pro')).toBe('/billing?plan=pro');
    for (const bad of [
      '//evil.example',
      '/\t/evil.example',
      '/\\evil.example',
      '/\n/evil.example',
      'https://evil.example',
      'billing',
      '/' + 'a'.repeat(3000),
      null,
      undefined,
    ]) {
      expect(safeRedirectTo(bad as string)).toBe('/dashboard');
    }
  });
});
