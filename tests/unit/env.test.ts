import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '~/lib/env.server';

const base = { SESSION_SECRET: 'x'.repeat(32), DATABASE_PATH: ':memory:' };

describe('parseEnv', () => {
  it('gives local defaults', () => {
    const env = parseEnv(base);
    expect(env.PORT).toBe(3000);
    expect(env.APP_URL).toBe('http://localhost:3000');
    expect(env.STRIPE_EMULATOR_PORT).toBe(12111);
    expect(env.stripeMode).toBe('unconfigured');
    expect(env.webhookSecrets).toEqual([]);
  });

  it('names the bad variable in one line', () => {
    expect(() => parseEnv({ ...base, PORT: 'eighty' })).toThrow(EnvError);
    expect(() => parseEnv({ ...base, PORT: 'eighty' })).toThrow(/^Invalid environment variable PORT: /);
    expect(() => parseEnv({ ...base, STRIPE_SECRET_KEY: 'pk_test_123' })).toThrow(/STRIPE_SECRET_KEY/);
    expect(() => parseEnv({ ...base, STRIPE_WEBHOOK_SECRET: 'secret' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(() => parseEnv({ ...base, SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET: must be at least 32/);
    expect(() => parseEnv({ ...base, APP_URL: 'not a url' })).toThrow(/APP_URL/);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ ...base, STRIPE_SECRET_KEY: '', APP_URL: '' }).stripeMode).toBe('unconfigured');
  });

  it('tells the Stripe mode from configuration and splits rotated secrets', () => {
    expect(parseEnv({ ...base, STRIPE_SECRET_KEY: 'sk_test_abc' }).stripeMode).toBe('test');
    expect(parseEnv({ ...base, STRIPE_SECRET_KEY: 'sk_live_abc' }).stripeMode).toBe('live');
    const emu = parseEnv({
      ...base,
      STRIPE_SECRET_KEY: 'sk_test_emulator_0',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
      STRIPE_EMULATOR_PUBLIC_URL: 'http://localhost:12111',
    });
    expect(emu.stripeMode).toBe('emulator');
    expect(emu.stripeJsUrl).toBe('http://localhost:12111/js/stripe.js');
    expect(parseEnv({ ...base, STRIPE_SECRET_KEY: 'sk_test_abc' }).stripeJsUrl).toBe('https://js.stripe.com/endive/stripe.js');
    expect(parseEnv({ ...base, STRIPE_WEBHOOK_SECRET: 'whsec_a, whsec_b' }).webhookSecrets).toEqual(['whsec_a', 'whsec_b']);
  });

  it('generates a session secret once, beside the database, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-'));
    const DATABASE_PATH = path.join(dir, 'app.sqlite');
    const first = parseEnv({ DATABASE_PATH }).SESSION_SECRET;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(fs.readFileSync(path.join(dir, 'session-secret'), 'utf8').trim()).toBe(first);
    expect(parseEnv({ DATABASE_PATH }).SESSION_SECRET).toBe(first);
    fs.rmSync(dir, { recursive: true });
  });
});
