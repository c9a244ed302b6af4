import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { z } from 'zod';
import { PRODUCT_NAME } from '~/mail/brand';

/**
 * The one schema for the process environment. `loadEnv()` fails with one line naming the variable;
 * every variable is documented in `.env.example`.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = z.coerce.number().int().min(0).max(65535);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  APP_URL: optionalString.pipe(z.string().url().optional()),
  DATABASE_PATH: z.string().min(1).default('./data/app.sqlite'),
  SESSION_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  STRIPE_SECRET_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must look like sk_test_… or sk_live_…')
      .optional(),
  ),
  STRIPE_PUBLISHABLE_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^pk_(test|live)_[A-Za-z0-9_]+$/, 'must look like pk_test_… or pk_live_…')
      .optional(),
  ),
  STRIPE_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^whsec_[A-Za-z0-9_]+(,\s*whsec_[A-Za-z0-9_]+)*$/, 'must be whsec_… (comma-separated for rotation)')
      .optional(),
  ),
  /** Where the SDK sends API calls. Unset = api.stripe.com. `npm start` sets it to the emulator. */
  STRIPE_API_BASE: optionalString.pipe(z.string().url().optional()),
  STRIPE_EMULATOR_PORT: port.default(12111),
  STRIPE_EMULATOR_PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
  /** Outgoing mail server, smtp://user:pass@host:port or smtps://… (unset: mail stays in the outbox). */
  SMTP_URL: optionalString.pipe(
    z
      .string()
      .regex(/^smtps?:\/\/[^\s/]+(:\d+)?\/?(\?.*)?$/, 'must look like smtp://user:pass@host:587 or smtps://host:465')
      .optional(),
  ),
  /** The From of every email; default `Acme Cloud <billing@APP_URL's host>`. */
  MAIL_FROM: optionalString.pipe(
    z
      .string()
      .max(200)
      .regex(/^([^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/, 'must be an address, e.g. Acme Cloud <billing@example.com>')
      .optional(),
  ),
  /** Operators (the /admin console, docs/admin.md): a comma-separated list of account emails, any case. */
  ADMIN_EMAILS: optionalString.pipe(
    z
      .string()
      .regex(/^[^,\s@]+@[^,\s@]+(\s*,\s*[^,\s@]+@[^,\s@]+)*,?$/, 'must be a comma-separated list of email addresses')
      .optional(),
  ),
  /** "Contact support": a help page, else a mailto: of the address; neither = no link. */
  SUPPORT_URL: optionalString.pipe(
    z
      .string()
      .url()
      .regex(/^https?:\/\//i, 'must be an http(s) address')
      .optional(),
  ),
  SUPPORT_EMAIL: optionalString.pipe(z.string().email('must be an email address').optional()),
  /**
   * Behind a reverse proxy: how many proxies to trust (`true` = 1). Only then are X-Forwarded-For,
   * X-Forwarded-Host and X-Forwarded-Proto read (docs/deploy.md).
   */
  TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .regex(/^(true|false|[0-9]{1,2})$/i, 'must be true, false or a number of proxy hops')
      .optional(),
  ),
});

export type Env = z.infer<typeof EnvSchema> & {
  SESSION_SECRET: string;
  APP_URL: string;
  stripeMode: 'emulator' | 'test' | 'live' | 'unconfigured';
  webhookSecrets: string[];
  stripeJsUrl: string;
  /** Proxy hops whose X-Forwarded-* headers are believed; 0 = none (TRUST_PROXY unset). */
  trustProxyHops: number;
  /** ADMIN_EMAILS, lower-cased. */
  adminEmails: string[];
  /** MAIL_FROM, or the product's name at billing@ the APP_URL host. */
  mailFrom: string;
  /** Where "Contact support" leads (SUPPORT_URL, else mailto:SUPPORT_EMAIL), or null to hide it. */
  supportHref: string | null;
};

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new EnvError(`Invalid environment variable ${name}: ${issue.message} (see .env.example)`);
  }
  const raw = result.data;
  const sessionSecret = raw.SESSION_SECRET ?? readOrCreateSessionSecret(raw.DATABASE_PATH);
  const apiBase = raw.STRIPE_API_BASE;
  const stripeMode: Env['stripeMode'] = !raw.STRIPE_SECRET_KEY
    ? 'unconfigured'
    : apiBase && !/(^|\.)stripe\.com$/.test(new URL(apiBase).hostname)
      ? 'emulator'
      : raw.STRIPE_SECRET_KEY.includes('_live_')
        ? 'live'
        : 'test';
  const emulatorPublic = raw.STRIPE_EMULATOR_PUBLIC_URL ?? apiBase;
  const appUrl = raw.APP_URL ?? `http://localhost:${raw.PORT}`;
  return {
    ...raw,
    SESSION_SECRET: sessionSecret,
    APP_URL: appUrl,
    mailFrom: raw.MAIL_FROM ?? `${PRODUCT_NAME} <billing@${new URL(appUrl).hostname}>`,
    stripeMode,
    supportHref: raw.SUPPORT_URL ?? (raw.SUPPORT_EMAIL ? `mailto:${raw.SUPPORT_EMAIL}` : null),
    trustProxyHops:
      !raw.TRUST_PROXY || /^false$/i.test(raw.TRUST_PROXY) ? 0 : /^true$/i.test(raw.TRUST_PROXY) ? 1 : Number(raw.TRUST_PROXY),
    adminEmails: (raw.ADMIN_EMAILS ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
    webhookSecrets: (raw.STRIPE_WEBHOOK_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    // Real keys: Stripe.js from js.stripe.com (PCI); emulator: its own script, by configuration only.
    stripeJsUrl:
      stripeMode === 'emulator' && emulatorPublic
        ? `${emulatorPublic.replace(/\/$/, '')}/js/stripe.js`
        : 'https://js.stripe.com/endive/stripe.js',
  };
}

/** A generated secret lives beside the database, created once, never printed. */
function readOrCreateSessionSecret(databasePath: string): string {
  const dir = databasePath === ':memory:' ? path.resolve('data') : path.dirname(path.resolve(databasePath));
  const file = path.join(dir, 'session-secret');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first start
  }
  fs.mkdirSync(dir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

let cached: Env | null = null;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Tests and the start script change process.env; they call this to re-read it. */
export function resetEnvCache() {
  cached = null;
}
