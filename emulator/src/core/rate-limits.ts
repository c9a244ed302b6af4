/**
 * Stripe's request rate limits, opt-in (off by default; docs/decisions/034-emulator-rate-limits.md has
 * the numbers and where they come from). Switched on by `EMULATOR_RATE_LIMITS=test|live` at start or
 * `POST /_emulator/rate-limits` at run time. Token buckets per API key (the emulator's stand-in for
 * "per account and mode"), refilled continuously in real time (never the emulator's clock, which
 * tests move by days), each holding one second of its rate (Stripe documents no burst size):
 *
 *  - global: every request of the key, 25/s in test mode (sandbox), 100/s in live mode. With
 *    `split_read_write` (the older page's wording) reads (GET) and writes each get that rate.
 *  - endpoint: each named operation (method + route, `GET /v1/customers/:id`), 25/s by default;
 *    stricter: Search 20 reads/s, Files 20 reads/s and 20 writes/s.
 *  - live-mode meter events (`POST /v1/billing/meter_events`): 1,000/s of their own, not counted
 *    against the global limit.
 *
 * A request over a limit costs no token from the other buckets and gets Stripe's 429 (`rate_limit`)
 * with `Stripe-Rate-Limited-Reason: global-rate | endpoint-rate`.
 */
export type RateMode = 'test' | 'live';

export interface RateLimitConfig {
  enabled: boolean;
  mode: RateMode;
  /** Requests per second of the global bucket (default: 25 test, 100 live). */
  global: number;
  /** Requests per second of each endpoint without a stricter documented limit (default 25). */
  endpoint: number;
  /** Reads and writes in separate global buckets, each at `global` (default false: one bucket). */
  splitReadWrite: boolean;
}

export type RateLimitedReason = 'global-rate' | 'endpoint-rate';

/** Stripe's documented per-second rates (docs/decisions/034-emulator-rate-limits.md). */
export const STRIPE_RATES = {
  global: { test: 25, live: 100 },
  endpoint: 25,
  search: 20,
  files: 20,
  liveMeterEvents: 1000,
} as const;

interface Bucket {
  tokens: number;
  at: number;
}

const clampRate = (n: number) => Math.max(0.001, n);

export function defaultRateConfig(mode: RateMode, enabled: boolean): RateLimitConfig {
  return { enabled, mode, global: STRIPE_RATES.global[mode], endpoint: STRIPE_RATES.endpoint, splitReadWrite: false };
}

/** `EMULATOR_RATE_LIMITS=test|live` (anything else, or unset: off). */
export function rateConfigFromEnv(value: string | undefined): RateLimitConfig {
  const v = (value ?? '').trim().toLowerCase();
  return v === 'test' || v === 'live' ? defaultRateConfig(v, true) : defaultRateConfig('test', false);
}

export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  /** Requests answered 429 by the limiter since it was last configured, by reason. */
  limited: Record<RateLimitedReason, number> = { 'global-rate': 0, 'endpoint-rate': 0 };

  constructor(
    public config: RateLimitConfig,
    private now: () => number = () => performance.now(),
  ) {}

  configure(config: RateLimitConfig): void {
    this.config = config;
    this.buckets.clear();
    this.limited = { 'global-rate': 0, 'endpoint-rate': 0 };
  }

  /**
   * Takes one token from every bucket the request counts against, or none and answers the reason
   * when one of them is empty. `endpoint` is the route pattern (`/v1/customers/:id`).
   */
  take(key: string, method: string, endpoint: string): RateLimitedReason | null {
    if (!this.config.enabled) return null;
    const read = method === 'GET';
    const checks: [string, number, RateLimitedReason][] = [];
    const meterEvent = method === 'POST' && /^\/v[12]\/billing\/meter_events?$/.test(endpoint);
    if (meterEvent && this.config.mode === 'live') {
      checks.push([`${key} meter-events`, STRIPE_RATES.liveMeterEvents, 'endpoint-rate']);
    } else {
      const global = this.config.splitReadWrite ? `${key} global-${read ? 'read' : 'write'}` : `${key} global`;
      checks.push([global, this.config.global, 'global-rate']);
      checks.push([`${key} ${method} ${endpoint}`, endpointRate(this.config, endpoint), 'endpoint-rate']);
    }
    const t = this.now();
    const buckets = checks.map(([name, rate]) => this.refill(name, clampRate(rate), t));
    const empty = checks.findIndex((_, i) => buckets[i]!.tokens < 1);
    if (empty >= 0) {
      const reason = checks[empty]![2];
      this.limited[reason]++;
      return reason;
    }
    buckets.forEach((b) => (b.tokens -= 1));
    return null;
  }

  private refill(name: string, rate: number, t: number): Bucket {
    const capacity = Math.max(1, rate);
    const bucket = this.buckets.get(name) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * rate);
    bucket.at = t;
    this.buckets.set(name, bucket);
    return bucket;
  }
}

/** The stricter documented limits (Search, Files), else the default per-endpoint rate. */
function endpointRate(config: RateLimitConfig, endpoint: string): number {
  if (/^\/v1\/[a-z_]+\/search$/.test(endpoint)) return Math.min(config.endpoint, STRIPE_RATES.search);
  if (/^\/v1\/files(\/|$)/.test(endpoint) || /^\/v1\/file_links(\/|$)/.test(endpoint)) return Math.min(config.endpoint, STRIPE_RATES.files);
  return config.endpoint;
}
