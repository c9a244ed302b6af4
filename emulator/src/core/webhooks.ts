/**
 * Webhook delivery: signed POSTs to every enabled endpoint whose enabled_events match, after the
 * API response, with bounded concurrency, a 5 s timeout and retries on non-2xx per retrySchedule.
 * The queue is in memory (pending deliveries are lost on restart). Deliveries go over keep-alive
 * connections (node:http, not fetch: a load test sends 100,000s); like Stripe, a redirect is not
 * followed (a 3xx is a failed attempt).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type Stripe from 'stripe';
import type { EmulatorApp } from './app';
import { API_VERSION, renderEvent } from './versions';

export interface DeliveryAttempt {
  event: string;
  type: string;
  endpoint: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  time: number;
}

interface Task {
  eventId: string;
  endpointId: string;
  attempt: number;
  dueAt: number;
  /** countsPending: a first-time delivery decrements pending_webhooks on success; redeliveries don't. */
  countsPending: boolean;
}

function signPayload(payload: string, secret: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

function eventMatches(enabled: string[], type: string): boolean {
  return enabled.some((e) => e === '*' || e === type || (e.endsWith('.*') && type.startsWith(e.slice(0, -1))));
}

export class WebhookDispatcher {
  // Due-time order, consumed from `head` (no shift()/sort() per delivery: a load test queues 100,000s).
  private queue: Task[] = [];
  private head = 0;
  private sorted = true;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private requests = new Set<http.ClientRequest>();
  private readonly agents: { http: http.Agent; https: https.Agent };
  readonly attempts: DeliveryAttempt[] = [];

  constructor(
    private app: EmulatorApp,
    private opts: { retrySchedule: number[]; concurrency?: number; timeoutMs?: number },
  ) {
    const agent = { keepAlive: true, maxSockets: opts.concurrency ?? 16 };
    this.agents = { http: new http.Agent(agent), https: new https.Agent(agent) };
  }

  endpointsFor(type: string): Stripe.WebhookEndpoint[] {
    return this.app.store.all('webhook_endpoint').filter((e) => e.status === 'enabled' && eventMatches(e.enabled_events, type));
  }

  /** Queue first deliveries of a freshly committed event. */
  enqueue(event: Stripe.Event): void {
    for (const ep of this.endpointsFor(event.type)) {
      this.push({ eventId: event.id, endpointId: ep.id, attempt: 1, dueAt: Date.now(), countsPending: true });
    }
    this.kick();
  }

  /** Control API: deliver these events again (each `duplicate` times), optionally in random order. */
  redeliver(events: Stripe.Event[], opts: { duplicate?: number; shuffle?: boolean } = {}): number {
    const tasks: Task[] = [];
    // One due time for all, so the queue's due-time order keeps the shuffle.
    const dueAt = Date.now();
    for (const ev of events) {
      for (const ep of this.endpointsFor(ev.type)) {
        for (let i = 0; i < Math.max(1, opts.duplicate ?? 1); i++)
          tasks.push({ eventId: ev.id, endpointId: ep.id, attempt: 1, dueAt, countsPending: false });
      }
    }
    if (opts.shuffle) {
      for (let i = tasks.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [tasks[i], tasks[j]] = [tasks[j]!, tasks[i]!];
      }
    }
    tasks.forEach((t) => this.push(t));
    this.kick();
    return tasks.length;
  }

  /** Deliveries queued or in flight. */
  pending(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
  }

  private push(task: Task): void {
    const last = this.queue[this.queue.length - 1];
    if (last && last.dueAt > task.dueAt && this.queue.length > this.head) this.sorted = false;
    this.queue.push(task);
  }

  close(): void {
    this.closed = true;
    this.clear();
    if (this.timer) clearTimeout(this.timer);
    for (const r of this.requests) r.destroy();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private kick(): void {
    if (this.closed) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // after the current I/O turn, so the API response is written first
    setImmediate(() => this.pump());
  }

  private pump(): void {
    if (this.closed) return;
    const max = this.opts.concurrency ?? 16;
    const now = Date.now();
    if (this.head > 0 && (this.head >= this.queue.length || !this.sorted || this.head > 4096)) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (!this.sorted) {
      this.queue.sort((a, b) => a.dueAt - b.dueAt);
      this.sorted = true;
    }
    while (this.inFlight < max && this.head < this.queue.length && this.queue[this.head]!.dueAt <= now) {
      const task = this.queue[this.head++]!;
      this.inFlight++;
      void this.send(task).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.head < this.queue.length && this.inFlight < max) {
      const wait = Math.max(5, this.queue[this.head]!.dueAt - Date.now());
      this.timer = setTimeout(() => this.pump(), wait);
      this.timer.unref();
    }
  }

  private async send(task: Task): Promise<void> {
    const ep = this.app.store.get('webhook_endpoint', task.endpointId);
    const event = this.app.store.get('event', task.eventId);
    if (!ep || !event || ep.status !== 'enabled') return;
    const secret = this.app.store.getInternal<{ secret: string }>(ep.id)?.secret;
    if (!secret) return;
    // rendered in the endpoint's api_version (the account default when it has none), as Stripe does
    const payload = JSON.stringify(renderEvent(event, ep.api_version ?? API_VERSION, this.app), null, 2);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await this.post(
        ep.url,
        {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signPayload(payload, secret),
        },
        payload,
      );
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (this.closed) return;
    this.attempts.push({
      event: event.id,
      type: event.type,
      endpoint: ep.id,
      url: ep.url,
      attempt: task.attempt,
      status,
      error,
      time: Date.now(),
    });
    if (this.attempts.length > 2000) this.attempts.splice(0, this.attempts.length - 2000);
    const ok = status !== null && status >= 200 && status < 300;
    if (ok) {
      if (task.countsPending) {
        try {
          const cur = this.app.store.get('event', event.id);
          if (cur && cur.pending_webhooks > 0) this.app.store.put('event', { ...cur, pending_webhooks: cur.pending_webhooks - 1 });
        } catch (e) {
          this.app.log('pending_webhooks update failed', e);
        }
      }
      return;
    }
    const delay = this.opts.retrySchedule[task.attempt - 1];
    if (delay !== undefined) this.push({ ...task, attempt: task.attempt + 1, dueAt: Date.now() + delay });
  }

  /** POST `body`; resolves with the status once the answer is read, rejects ('timeout' after timeoutMs). */
  private post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new Error(`invalid URL: ${url}`));
        return;
      }
      const secure = target.protocol === 'https:';
      if (!secure && target.protocol !== 'http:') {
        reject(new Error(`unsupported protocol: ${target.protocol}`));
        return;
      }
      const send = secure ? https.request : http.request;
      const req = send(target, {
        method: 'POST',
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
        agent: secure ? this.agents.https : this.agents.http,
      });
      this.requests.add(req);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy();
      }, this.opts.timeoutMs ?? 5000);
      const done = (e: Error | null, status = 0) => {
        clearTimeout(timer);
        this.requests.delete(req);
        if (e) reject(timedOut ? new Error('timeout') : e);
        else resolve(status);
      };
      req.on('response', (res) => {
        res.on('error', (e) => done(e));
        res.on('end', () => done(null, res.statusCode ?? 0));
        res.resume();
      });
      req.on('error', (e) => done(e));
      req.on('close', () => {
        if (this.requests.has(req)) done(new Error(timedOut ? 'timeout' : 'connection closed'));
      });
      req.end(body);
    });
  }
}
