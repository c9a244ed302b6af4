/**
 * The HTTP front: auth, body parsing, faults, idempotency, request log, CORS, error mapping,
 * dispatch to routes registered on the EmulatorApp.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EmulatorApp, RawResponse, type KeyKind, type RouteDef } from './app';
import { StripeError, errors } from './errors';
import { base62 } from './ids';
import { RateLimiter, rateConfigFromEnv, type RateLimitedReason } from './rate-limits';
import { renderForVersion, requestVersion } from './versions';
import { mergeParams, parseForm, parseJson } from './wire';

export interface RequestLogEntry {
  id: string;
  /** Real time, unix milliseconds. */
  time: number;
  method: string;
  path: string;
  status: number;
  key: 'secret' | 'publishable' | null;
  /** Set when the opt-in rate limiter (rate-limits.ts) answered 429: which limit. */
  limited?: RateLimitedReason;
}

export interface FaultRule {
  id: string;
  method?: string;
  path: string;
  status?: number;
  delayMs?: number;
  drop?: boolean;
  times?: number;
  ratio?: number;
  hits: number;
  re: RegExp;
}

const MAX_BODY = 2 * 1024 * 1024;

export function globToRegExp(pattern: string): RegExp {
  if (pattern.startsWith('re:')) return new RegExp(pattern.slice(3));
  if (pattern.startsWith('^')) return new RegExp(pattern);
  const esc = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*?/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function classifyKey(key: string): KeyKind | null {
  if (/^(sk|rk)_test_\w+$/.test(key)) return 'secret';
  if (/^pk_test_\w+$/.test(key)) return 'publishable';
  return null;
}

function redact(key: string): string {
  return key.length > 12 ? `${key.slice(0, 8)}${'*'.repeat(Math.min(20, key.length - 12))}${key.slice(-4)}` : key;
}

export class EmulatorServer {
  readonly server: http.Server;
  readonly requestLog: RequestLogEntry[] = [];
  faults: FaultRule[] = [];
  /** Stripe's rate limits, off unless EMULATOR_RATE_LIMITS or the control API switches them on. */
  readonly rateLimitsAtStart = rateConfigFromEnv(process.env.EMULATOR_RATE_LIMITS);
  readonly rateLimiter = new RateLimiter({ ...this.rateLimitsAtStart });
  private sockets = new Set<Socket>();

  constructor(readonly app: EmulatorApp) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        console.error('[stripe-emulator] unhandled', e);
        if (!res.headersSent) this.sendJson(res, 500, errors.api('An unknown error occurred').toJSON(), {});
        else res.destroy();
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.keepAliveTimeout = 5000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    const text = JSON.stringify(body, null, 2);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new StripeError({ status: 413, type: 'invalid_request_error', message: 'Request body too large.', idempotent: false }));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = `req_${base62(14)}`;
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    const path = url.pathname;
    const isApi = path.startsWith('/v1/') || path.startsWith('/v2/');
    // the version the response is rendered in (versions.ts); an unserved one is a 400 without a Stripe-Version header
    let version: string | null = null;
    let versionError: StripeError | null = null;
    if (isApi) {
      try {
        version = requestVersion(req.headers['stripe-version']);
      } catch (e) {
        versionError = e as StripeError;
      }
    }
    const baseHeaders: Record<string, string> = {
      // Stripe's own time, as Stripe's Date is (the emulator's clock, advanced or not): a client can
      // tell a read made after an event's `created` from one made before
      Date: new Date(this.app.clock.nowMs()).toUTCString(),
      'Request-Id': requestId,
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'Request-Id, Stripe-Version, Idempotent-Replayed',
    };
    if (version) baseHeaders['Stripe-Version'] = version;

    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...baseHeaders,
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers':
          (req.headers['access-control-request-headers'] as string) || 'Authorization, Content-Type, Stripe-Version, Idempotency-Key',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }

    // ---- auth (API only) ----
    let keyKind: KeyKind | null = null;
    let authError: StripeError | null = null;
    let key: string | null = null;
    if (isApi) {
      const auth = req.headers.authorization;
      if (auth?.startsWith('Bearer ')) key = auth.slice(7).trim();
      else if (auth?.startsWith('Basic ')) {
        try {
          key = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8').split(':')[0] ?? '';
        } catch {
          key = '';
        }
      }
      if (!key)
        authError = errors.auth(
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        );
      else {
        keyKind = classifyKey(key);
        if (!keyKind) authError = errors.auth(`Invalid API Key provided: ${redact(key)}`);
      }
    }

    const logEntry: RequestLogEntry | null = isApi ? { id: requestId, time: Date.now(), method, path, status: 0, key: keyKind } : null;
    if (logEntry) {
      this.requestLog.push(logEntry);
      if (this.requestLog.length > 100000) this.requestLog.splice(0, 10000);
    }
    const finish = (status: number) => {
      if (logEntry) logEntry.status = status;
    };
    // Stripe's `suppress_response_codes=true`: every response is HTTP 200, the real status only in
    // the body (the emulator's stripe.js uses it so browsers don't log declines as console errors).
    // The request log keeps the real status.
    let suppress = false;

    try {
      // ---- Stripe's rate limits (opt-in), before anything runs: a limited request changes nothing ----
      if (isApi && keyKind && key && this.rateLimiter.config.enabled) {
        const endpoint = this.app.match(method, path)?.route.path ?? path;
        const reason = this.rateLimiter.take(key, method, endpoint);
        if (reason) {
          finish(429);
          if (logEntry) logEntry.limited = reason;
          const body = errors.rateLimit().toJSON({ id: requestId, at: this.app.clock.now() });
          this.sendJson(res, 429, body, { ...baseHeaders, 'Stripe-Rate-Limited-Reason': reason });
          return;
        }
      }
      // ---- faults ----
      if (isApi) {
        const fault = this.pickFault(method, path);
        if (fault) {
          if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
          if (fault.drop) {
            finish(0);
            req.socket.destroy();
            return;
          }
          if (fault.status) {
            const err =
              fault.status === 429
                ? errors.rateLimit()
                : fault.status >= 500
                  ? errors.api('An unknown error occurred (injected fault).')
                  : new StripeError({ status: fault.status, type: 'invalid_request_error', message: 'Injected fault.' });
            finish(fault.status);
            this.sendJson(res, fault.status, err.toJSON(), baseHeaders);
            return;
          }
        }
      }
      if (authError) throw authError;
      if (versionError) throw versionError;

      const rawBody = method === 'GET' ? '' : await this.readBody(req);
      const matched = this.app.match(method, path);
      if (!matched) {
        if (isApi || path.startsWith('/_emulator/')) throw errors.unrecognizedUrl(method, path);
        finish(404);
        res.writeHead(404, { ...baseHeaders, 'Content-Type': 'text/plain' });
        res.end('Not found');
        return;
      }
      const { route, pathParams } = matched;
      const mode = route.auth ?? 'secret';
      if (isApi && mode !== 'none') {
        if (mode === 'secret' && keyKind === 'publishable')
          throw errors.auth(
            'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
          );
        if (mode === 'publishable' && keyKind === 'secret')
          throw errors.invalid('This API call can only be made with a publishable API key.');
      }

      // ---- params ----
      const ctype = String(req.headers['content-type'] ?? '');
      const queryParams = url.search.length > 1 ? parseForm(url.search.slice(1)) : {};
      let bodyParams: Record<string, unknown> = {};
      if (rawBody) bodyParams = ctype.includes('json') || path.startsWith('/v2/') ? parseJson(rawBody) : parseForm(rawBody);
      const raw = mergeParams(queryParams, bodyParams);
      if (isApi && 'suppress_response_codes' in raw) {
        suppress = raw.suppress_response_codes === 'true' || raw.suppress_response_codes === true;
        delete raw.suppress_response_codes;
      }

      // ---- idempotency ----
      const idemKey = (req.headers['idempotency-key'] as string | undefined)?.trim() || null;
      const useIdem = isApi && method === 'POST' && !!idemKey;
      let hash = '';
      if (useIdem) {
        if (idemKey!.length > 255)
          throw errors.invalid('Invalid idempotency key: must be at most 255 characters.', undefined, 'idempotency_key_in_use' as string);
        hash = createHash('sha256')
          .update(JSON.stringify(canonical(raw)))
          .digest('hex');
        const prev = this.app.store.stmt('SELECT * FROM idempotency WHERE key = ?').get(idemKey) as
          { method: string; path: string; hash: string; status: number; body: string; created: number } | undefined;
        if (prev && prev.created + 86400 > this.app.clock.now()) {
          if (prev.method !== method || prev.path !== path || prev.hash !== hash) throw errors.idempotency(idemKey!);
          finish(prev.status);
          res.writeHead(suppress ? 200 : prev.status, {
            ...baseHeaders,
            'Idempotent-Replayed': 'true',
            'Idempotency-Key': idemKey!,
            'Original-Request': 'unknown',
            'Content-Type': 'application/json',
          });
          res.end(prev.body);
          return;
        }
      }

      const ctx = this.app.makeCtx({ requestId: isApi ? requestId : null, idempotencyKey: idemKey, auth: keyKind });
      const schema = this.app.paramSchema(route as RouteDef<any>);
      const params = schema ? schema.parse(raw, '') : raw;
      const routeReq = { method, path, pathParams, query: url.searchParams, headers: req.headers, rawBody };

      let status = 200;
      let bodyText: string;
      let extraHeaders: Record<string, string> = {};
      try {
        let result: unknown;
        if (route.transaction === false) result = route.handler(ctx, params as never, routeReq);
        else result = this.app.runInTransaction(ctx, () => route.handler(ctx, params as never, routeReq));
        if (result instanceof Promise) result = await result;
        if (result instanceof RawResponse) {
          finish(result.status);
          res.writeHead(result.status, { ...baseHeaders, ...result.headers });
          res.end(result.body);
          return;
        }
        if (version && isApi) result = renderForVersion(result, version, ctx);
        if (isApi) result = this.app.withoutStoredIncludables(result);
        const expand = (params as { expand?: string[] }).expand;
        if (expand?.length) result = this.app.expandObject(ctx, result, expand, version ?? undefined);
        bodyText = JSON.stringify(result ?? {}, null, 2);
      } catch (e) {
        if (!(e instanceof StripeError)) throw e;
        status = e.status;
        bodyText = JSON.stringify(e.toJSON(isApi ? { id: requestId, at: this.app.clock.now() } : undefined), null, 2);
        extraHeaders = e.headers ?? {};
        if (useIdem && e.idempotent) this.saveIdempotent(idemKey!, method, path, hash, status, bodyText);
        throw Object.assign(e, { _body: bodyText });
      }
      if (useIdem) this.saveIdempotent(idemKey!, method, path, hash, status, bodyText);
      finish(status);
      res.writeHead(suppress ? 200 : status, {
        ...baseHeaders,
        ...extraHeaders,
        ...(idemKey && isApi ? { 'Idempotency-Key': idemKey } : {}),
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(bodyText)),
      });
      res.end(bodyText);
    } catch (e) {
      let err: StripeError;
      if (e instanceof StripeError) err = e;
      else {
        console.error(`[stripe-emulator] ${method} ${path} failed:`, e);
        err = errors.api(`An unknown error occurred in the emulator: ${e instanceof Error ? e.message : String(e)}`);
      }
      finish(err.status);
      const body =
        (err as StripeError & { _body?: string })._body ??
        JSON.stringify(err.toJSON(isApi ? { id: requestId, at: this.app.clock.now() } : undefined), null, 2);
      const headers: Record<string, string> = { ...baseHeaders, ...(err.headers ?? {}), 'Content-Type': 'application/json' };
      if (err.status >= 500) headers['Stripe-Should-Retry'] = 'true';
      if (!res.headersSent) {
        res.writeHead(suppress ? 200 : err.status, headers);
        res.end(body);
      }
    }
  }

  private saveIdempotent(key: string, method: string, path: string, hash: string, status: number, body: string): void {
    this.app.store
      .stmt(
        `INSERT INTO idempotency (key, method, path, hash, status, body, created) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET method = excluded.method, path = excluded.path, hash = excluded.hash,
           status = excluded.status, body = excluded.body, created = excluded.created`,
      )
      .run(key, method, path, hash, status, body, this.app.clock.now());
  }

  private pickFault(method: string, path: string): FaultRule | null {
    for (const f of this.faults) {
      if (f.method && f.method.toUpperCase() !== method) continue;
      if (!f.re.test(path)) continue;
      if (f.times !== undefined && f.hits >= f.times) continue;
      if (f.ratio !== undefined && Math.random() >= f.ratio) continue;
      f.hits++;
      return f;
    }
    return null;
  }
}
