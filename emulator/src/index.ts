/**
 * Stripe emulator entry point (see emulator/CONTRACT.md and emulator/FRAMEWORK.md).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { register as registerBilling, type BillingModule } from './billing';
import { register as registerBrowser } from './browser';
import { EmulatorApp } from './core/app';
import { registerControl } from './core/control';
import { EmulatorServer } from './core/server';
import { WebhookDispatcher } from './core/webhooks';
import { base62 } from './core/ids';
import { registerCoreResources } from './resources';
import { createWebhookEndpoint } from './resources/webhook-endpoints';

export const EMULATOR_SECRET_KEY = 'sk_test_emulator_0000000000000000';
export const EMULATOR_PUBLISHABLE_KEY = 'pk_test_emulator_0000000000000000';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  dbPath?: string;
  publicUrl?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookRetrySchedule?: number[];
  quiet?: boolean;
}

export interface Emulator {
  url: string;
  port: number;
  webhookSecret: string | null;
  close(): Promise<void>;
}

/** Test/control access to internals (not part of the contract). */
export interface EmulatorInternals extends Emulator {
  app: EmulatorApp;
  server: EmulatorServer;
  dispatcher: WebhookDispatcher;
  billing: BillingModule;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator & EmulatorInternals> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? Number(process.env.STRIPE_EMULATOR_PORT ?? 12111);
  const dbPath = opts.dbPath ?? process.env.STRIPE_EMULATOR_DB ?? 'data/emulator.sqlite';
  if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
  const log = opts.quiet ? () => {} : (...a: unknown[]) => console.log('[stripe-emulator]', ...a);

  const app = new EmulatorApp({ dbPath, publicUrl: opts.publicUrl ?? '' });
  app.log = (...a) => console.error('[stripe-emulator]', ...a);
  const dispatcher = new WebhookDispatcher(app, { retrySchedule: opts.webhookRetrySchedule ?? [500, 2000, 10000, 30000] });
  app.deliver = (ev) => dispatcher.enqueue(ev);
  app.countEndpoints = (type) => dispatcher.endpointsFor(type).length;
  const server = new EmulatorServer(app);

  // startup endpoint (kept across reset)
  let startup: { id: string; secret: string } | null = null;
  const ensureStartupEndpoint = () => {
    if (!opts.webhookUrl) return;
    const ctx = app.makeCtx({});
    app.runInTransaction(ctx, () => {
      const savedId = startup?.id ?? app.store.getMeta('startup_endpoint_id');
      const existing = savedId ? app.store.get('webhook_endpoint', savedId) : null;
      const oldSecret = existing ? app.store.getInternal<{ secret: string }>(existing.id)?.secret : undefined;
      const secret = opts.webhookSecret ?? startup?.secret ?? oldSecret ?? `whsec_${base62(32)}`;
      if (existing && existing.url === opts.webhookUrl) {
        app.store.setInternal(existing.id, { secret });
        startup = { id: existing.id, secret };
      } else {
        const ep = createWebhookEndpoint(
          ctx,
          { url: opts.webhookUrl!, enabled_events: ['*'], description: 'startup endpoint (STRIPE_WEBHOOK_URL)' },
          { id: savedId ?? undefined, secret, emit: false },
        );
        startup = { id: ep.id, secret };
      }
      app.store.setMeta('startup_endpoint_id', startup!.id);
    });
  };

  registerCoreResources(app);
  registerControl(app, server, dispatcher, ensureStartupEndpoint);
  const billing = registerBilling(app);
  registerBrowser(app, { completeCheckoutSession: billing.completeCheckoutSession });

  const actualPort = await server.listen(port, host);
  const url = `http://${host}:${actualPort}`;
  app.publicUrl = (opts.publicUrl ?? process.env.STRIPE_EMULATOR_PUBLIC_URL ?? url).replace(/\/$/, '');
  ensureStartupEndpoint();

  // real-time scheduler tick + housekeeping
  let ticks = 0;
  const timer = setInterval(() => {
    try {
      app.runDueJobs({ until: app.clock.now() });
      if (++ticks % 60 === 0) housekeeping(app);
    } catch (e) {
      app.log('scheduler tick failed', e);
    }
  }, 1000);
  timer.unref();
  housekeeping(app);
  app.clock.onAdvance(() => housekeeping(app));

  log(`listening on ${url}`);
  let closed = false;
  return {
    url,
    port: actualPort,
    get webhookSecret() {
      return startup?.secret ?? null;
    },
    app,
    server,
    dispatcher,
    billing,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      dispatcher.close();
      await server.close();
      app.store.close();
    },
  };
}

/** Expire idempotency keys (24 h) and events (30 days) of emulator time. */
function housekeeping(app: EmulatorApp): void {
  const now = app.clock.now();
  app.store.db.prepare('DELETE FROM idempotency WHERE created < ?').run(now - 86400);
  const cutoff = Math.floor(app.clock.nowMs() / 1000) - 30 * 86400;
  const ids = app.store.db
    .prepare(
      `SELECT objects.id AS id FROM objects LEFT JOIN internal ON internal.id = objects.id
       WHERE objects.type = 'event' AND COALESCE(json_extract(internal.json, '$.stored_at'), objects.created) < ?`,
    )
    .all(cutoff) as { id: string }[];
  if (!ids.length) return;
  const delObj = app.store.db.prepare('DELETE FROM objects WHERE id = ?');
  const delInt = app.store.db.prepare('DELETE FROM internal WHERE id = ?');
  app.store.db.transaction(() => {
    for (const { id } of ids) {
      delObj.run(id);
      delInt.run(id);
    }
  })();
}

export { EmulatorApp } from './core/app';
