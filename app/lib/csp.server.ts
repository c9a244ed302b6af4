import { env } from './env.server';

/**
 * The Content-Security-Policy of every HTML page (docs/decisions/023-content-security-policy.md):
 * scripts only from this origin, Stripe.js's origin and inline scripts carrying this response's nonce
 * (Remix's hydration scripts); never 'unsafe-inline', 'unsafe-eval' or a wildcard for scripts. Stripe.js
 * and its frames come from js.stripe.com with real keys (Stripe's published CSP list) and from the
 * emulator's origin without.
 */
export function contentSecurityPolicy(nonce: string): string {
  const config = env();
  const stripe =
    config.stripeMode === 'emulator'
      ? (() => {
          const origin = new URL(config.stripeJsUrl).origin;
          return { script: [origin], frame: [origin], connect: [origin], img: [origin], form: [origin] };
        })()
      : {
          script: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://maps.googleapis.com'],
          frame: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
          connect: ['https://api.stripe.com', 'https://maps.googleapis.com'],
          img: ['https://*.stripe.com'],
          form: ['https://checkout.stripe.com', 'https://billing.stripe.com'],
        };
  // `npm run dev`: <LiveReload> (root.tsx, development builds only) talks to remix dev's socket.
  const devOrigin = process.env.REMIX_DEV_ORIGIN;
  const liveReload =
    config.NODE_ENV === 'development' && devOrigin && URL.canParse(devOrigin) ? [new URL(devOrigin).origin.replace(/^http/, 'ws')] : [];
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", `'nonce-${nonce}'`, ...stripe.script],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', ...stripe.img],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'", ...stripe.connect, ...liveReload],
    'frame-src': stripe.frame,
    'form-action': ["'self'", ...stripe.form],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'object-src': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** Powerful features nobody here uses are off; payment stays for Stripe's frames (wallets). */
export function permissionsPolicy(): string {
  const config = env();
  const stripeOrigins = config.stripeMode === 'emulator' ? [new URL(config.stripeJsUrl).origin] : ['https://js.stripe.com'];
  return [
    'camera=()',
    'microphone=()',
    'geolocation=()',
    'usb=()',
    'magnetometer=()',
    'gyroscope=()',
    `payment=(self ${stripeOrigins.map((o) => `"${o}"`).join(' ')})`,
  ].join(', ');
}
