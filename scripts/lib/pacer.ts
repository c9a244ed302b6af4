/**
 * Pacing for the bulk scripts (`stripe:backfill`, `stripe:reconcile`) under Stripe's rate limits
 * (docs/decisions/034-emulator-rate-limits.md), and their progress line on stderr.
 *
 * - `Pacer`: spaces calls so the process stays under a share (80%) of the mode's global limit and of
 *   the per-endpoint limit. Slots are reserved in order, one every 1/rate s, so no second ever holds
 *   more than rate + 1 calls. `hold(ms)` stops every call for a while (after a 429).
 * - `pacedHttpClient`: the stripe-node transport wrapped so that every request (the SDK's retries
 *   too) waits for its slot, and a 429 is retried here after an exponential backoff with jitter
 *   (stripe-node retries a 429 only when Stripe says `Stripe-Should-Retry: true`); a 429 from the
 *   account-wide limiter (`Stripe-Rate-Limited-Reason: global-…`) holds every call for that time.
 * - `installPacedStripe`: the process's Stripe client (the app's factory) with that transport, so the
 *   app's own code (syncCustomer, the events pages, the webhook worker) is paced unchanged.
 * - `Progress`: a bar with calls/s and an ETA, redrawn in place on a TTY, else a line every 5 s.
 */
import Stripe from 'stripe';
import { createStripeClient, setStripeClient } from '~/stripe/client.server';

type HttpClient = NonNullable<NonNullable<ConstructorParameters<typeof Stripe>[1]>['httpClient']>;
type HttpResponse = Awaited<ReturnType<HttpClient['makeRequest']>>;

/** Stripe's documented limits per second (docs/decisions/034-emulator-rate-limits.md). */
const STRIPE_LIMITS = { live: 100, test: 25, endpoint: 25 } as const;
/** The share of a limit the scripts use, leaving room for the app serving customers meanwhile. */
const HEADROOM = 0.8;

/** The key decides the mode: live keys get live mode's limit, everything else test mode's. */
export function modeOfKey(key: string): 'live' | 'test' {
  return /^(sk|rk)_live_/.test(key) ? 'live' : 'test';
}

/** `GET /v1/customers/cus_X/payment_methods?limit=100` → `GET /v1/customers/{id}/payment_methods`. */
export function endpointOf(method: string, path: string): string {
  const bare = path.split('?')[0]!;
  const segments = bare.split('/').map((s) => (/^[a-z]+_(?=[A-Za-z0-9]*[A-Z0-9])[A-Za-z0-9]+$/.test(s) ? '{id}' : s));
  return `${method.toUpperCase()} ${segments.join('/')}`;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export class Pacer {
  /** Calls let through (each attempt, retries included). */
  calls = 0;
  /** 429 answers seen. */
  limited = 0;
  private nextGlobal = 0;
  private nextByEndpoint = new Map<string, number>();
  private holdUntil = 0;

  constructor(
    readonly rate: number,
    readonly endpointRate: number,
    readonly clock: Clock = realClock,
  ) {}

  /** Waits for the next free slot of the global budget and of `endpoint`'s. */
  async acquire(endpoint: string): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const slot = Math.max(now, this.nextGlobal, this.nextByEndpoint.get(endpoint) ?? 0, this.holdUntil);
      this.nextGlobal = slot + 1000 / this.rate;
      this.nextByEndpoint.set(endpoint, slot + 1000 / this.endpointRate);
      if (slot > now) await this.clock.sleep(slot - now);
      // a 429 seen while this call waited: take a slot after the hold instead
      if (this.holdUntil <= this.clock.now()) break;
    }
    this.calls++;
  }

  /** No call starts for `ms` from now. */
  hold(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, this.clock.now() + ms);
  }
}

export interface BackoffOptions {
  /** Own retries of a 429 before the SDK sees it (default 8). */
  retries?: number;
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

/** Exponential backoff with jitter: base·2^attempt capped at max, then between half and all of it. */
export function backoffMs(attempt: number, { baseMs = 500, maxMs = 8_000, random = Math.random }: BackoffOptions = {}): number {
  const full = Math.min(maxMs, baseMs * 2 ** attempt);
  return full / 2 + (full / 2) * random();
}

/** `inner` (the SDK's node transport by default) behind the pacer, with its own 429 retries. */
export function pacedHttpClient(pacer: Pacer, inner: HttpClient = Stripe.createNodeHttpClient(), backoff: BackoffOptions = {}): HttpClient {
  const retries = backoff.retries ?? 8;
  return {
    getClientName: () => `paced-${inner.getClientName()}`,
    async makeRequest(host, port, path, method, headers, data, protocol, timeout): Promise<HttpResponse> {
      const endpoint = endpointOf(method, path);
      for (let attempt = 0; ; attempt++) {
        await pacer.acquire(endpoint);
        const res = await inner.makeRequest(host, port, path, method, headers, data, protocol, timeout);
        if (res.getStatusCode() !== 429) return res;
        pacer.limited++;
        if (attempt >= retries) return res;
        await res.toJSON().catch(() => null); // drain the body: the connection goes back to the pool
        const wait = backoffMs(attempt, backoff);
        // The account's budget is spent: every call waits. Otherwise (one endpoint's limit, a locked
        // object, a reason Stripe did not name) only this call backs off.
        const reason = String(res.getHeaders()['stripe-rate-limited-reason'] ?? '');
        if (reason.startsWith('global')) pacer.hold(wait);
        else await pacer.clock.sleep(wait);
      }
    },
  };
}

/** The process's Stripe client, paced for its key's mode; `rate` overrides the global limit. */
export function installPacedStripe(opts: { secretKey: string; apiBase?: string; rate?: number }): { pacer: Pacer; mode: 'live' | 'test' } {
  const mode = modeOfKey(opts.secretKey);
  const limit = opts.rate && opts.rate > 0 ? opts.rate : STRIPE_LIMITS[mode];
  const pacer = new Pacer(limit * HEADROOM, Math.min(limit, STRIPE_LIMITS.endpoint) * HEADROOM);
  setStripeClient(createStripeClient({ secretKey: opts.secretKey, apiBase: opts.apiBase, httpClient: pacedHttpClient(pacer) }));
  return { pacer, mode };
}

export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

/** One progress line: `label [#####-----] 42% 4,200/10,000 customers · 19.8 calls/s · ETA 4m 12s`. */
export function progressLine(p: {
  label: string;
  done: number;
  total: number | null;
  /** 0..1 when `total` is unknown but the share of work is (e.g. the time window walked back). */
  fraction?: number;
  unit: string;
  elapsedMs: number;
  calls: number;
  limited: number;
  width?: number;
}): string {
  const share = p.total ? Math.min(1, p.done / p.total) : Math.min(1, Math.max(0, p.fraction ?? 0));
  const width = p.width ?? 24;
  const filled = Math.round(share * width);
  const rate = p.elapsedMs > 0 ? (p.calls * 1000) / p.elapsedMs : 0;
  const eta = share > 0 ? (p.elapsedMs * (1 - share)) / share : Number.NaN;
  const count = p.total ? `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}` : p.done.toLocaleString('en-US');
  return (
    `${p.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(share * 100)}% ${count} ${p.unit}` +
    ` · ${rate.toFixed(1)} calls/s${p.limited ? ` · ${p.limited} × 429` : ''} · ${share >= 1 ? 'done' : `ETA ${formatDuration(eta)}`}`
  );
}

/** Redraws `progressLine` on stderr: in place on a TTY (at most every 200 ms), else a line every 5 s. */
export class Progress {
  private started: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawnInPlace = false;

  constructor(
    private opts: {
      label: string;
      unit: string;
      total: number | null;
      pacer: Pacer;
      stream?: NodeJS.WriteStream;
      intervalMs?: number;
      clock?: Clock;
    },
  ) {
    this.started = (opts.clock ?? realClock).now();
  }

  private get stream(): NodeJS.WriteStream {
    return this.opts.stream ?? process.stderr;
  }

  update(done: number, fraction?: number, force = false): void {
    const now = (this.opts.clock ?? realClock).now();
    const tty = Boolean(this.stream.isTTY);
    const interval = this.opts.intervalMs ?? (tty ? 200 : 5_000);
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const line = progressLine({
      label: this.opts.label,
      done,
      total: this.opts.total,
      fraction,
      unit: this.opts.unit,
      elapsedMs: now - this.started,
      calls: this.opts.pacer.calls,
      limited: this.opts.pacer.limited,
      width: tty ? Math.max(10, Math.min(30, (this.stream.columns ?? 100) - 90)) : 24,
    });
    if (tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawnInPlace = true;
    } else this.stream.write(`${line}\n`);
  }

  /** The last line, drawn whatever the interval, and the cursor on a fresh line. */
  finish(done: number, fraction?: number): void {
    this.update(done, fraction, true);
    if (this.drawnInPlace) this.stream.write('\n');
  }
}
