/**
 * `npm start`: one command, one process tree (docs/decisions/003-server-entry.md).
 *  1. without STRIPE_SECRET_KEY, start the Stripe emulator (or reuse one on the port) and point the SDK,
 *     Stripe.js and the webhook endpoint at it;
 *  2. validate the environment (one line naming a bad variable);
 *  3. build when needed, migrate, make the Stripe catalogue match plans.ts;
 *  4. serve the app and its webhook worker; stop cleanly on SIGINT/SIGTERM.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import { buildIfNeeded } from './build-if-needed';
import { createAppServer } from './server';

async function emulatorAnswers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_emulator/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function main() {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  process.env.NODE_ENV ??= 'production';

  let emulator: { close(): Promise<void> } | null = null;
  if (!process.env.STRIPE_SECRET_KEY) {
    const emu = await import('../emulator/src/index');
    const port = Number(process.env.STRIPE_EMULATOR_PORT || 12111);
    const appPort = Number(process.env.PORT || 3000);
    const webhookUrl = `http://127.0.0.1:${appPort}/webhooks/stripe`;
    const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET?.split(',')[0]?.trim() || `whsec_${crypto.randomBytes(24).toString('hex')}`;
    const publicUrl = process.env.STRIPE_EMULATOR_PUBLIC_URL || `http://localhost:${port}`;
    let secret = webhookSecret;
    if (await emulatorAnswers(port)) {
      // Someone else's emulator: register this app's endpoint on it (replacing an older one).
      const { default: Stripe } = await import('stripe');
      const s = new Stripe(emu.EMULATOR_SECRET_KEY, { host: '127.0.0.1', port, protocol: 'http', telemetry: false });
      for await (const endpoint of s.webhookEndpoints.list({ limit: 100 })) {
        if (endpoint.url === webhookUrl) await s.webhookEndpoints.del(endpoint.id);
      }
      const endpoint = await s.webhookEndpoints.create({ url: webhookUrl, enabled_events: ['*'] });
      secret = endpoint.secret ?? webhookSecret;
      console.log(`Using the Stripe emulator already running on port ${port}.`);
    } else {
      emulator = await emu.startEmulator({ port, publicUrl, webhookUrl, webhookSecret, quiet: true });
      console.log(`Stripe emulator on http://127.0.0.1:${port} (no STRIPE_SECRET_KEY set).`);
    }
    process.env.STRIPE_SECRET_KEY = emu.EMULATOR_SECRET_KEY;
    process.env.STRIPE_PUBLISHABLE_KEY = emu.EMULATOR_PUBLISHABLE_KEY;
    process.env.STRIPE_API_BASE = `http://127.0.0.1:${port}`;
    process.env.STRIPE_EMULATOR_PUBLIC_URL = publicUrl;
    process.env.STRIPE_WEBHOOK_SECRET = secret;
    // The portal's clock follows the emulator's, so time travel in a demo moves both.
    process.env.CLOCK_SOURCE_URL ??= `http://127.0.0.1:${port}/_emulator/clock`;
  }

  const { parseEnv, EnvError } = await import('../app/lib/env.server');
  let config;
  try {
    config = parseEnv(process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(error.message);
      await emulator?.close();
      process.exit(1);
    }
    throw error;
  }

  buildIfNeeded();
  const app = await createAppServer({ port: config.PORT, host: config.HOST, deferReady: true });
  // The catalogue of plans.ts on Stripe (npm run stripe:setup, through the built app's hooks so the
  // server, the worker and setup share one Stripe client and one database handle).
  try {
    console.log(`Stripe catalogue:\n${await app.hooks.stripeSetup()}`);
    if (config.stripeMode === 'emulator') {
      const demo = await app.hooks.ensureDemoAccount();
      console.log(`Demo login: ${demo.email} / ${demo.password}${demo.created ? ' (created)' : ''}`);
    }
    app.hooks.markReady();
  } catch (error) {
    console.error(`Stripe setup failed: ${error instanceof Error ? error.message : String(error)}`);
    await app.close();
    await emulator?.close();
    process.exit(1);
  }
  console.log(
    `Acme Cloud billing portal: ${config.APP_URL === `http://localhost:${config.PORT}` ? app.url : config.APP_URL} (Stripe: ${config.stripeMode})`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down…`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await app.close();
    await emulator?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`Start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
