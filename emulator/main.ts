/**
 * CLI: `npm run emulator`. Env: STRIPE_EMULATOR_PORT, STRIPE_EMULATOR_DB, STRIPE_EMULATOR_PUBLIC_URL,
 * STRIPE_WEBHOOK_URL, STRIPE_WEBHOOK_SECRET, EMULATOR_RATE_LIMITS (test | live: enforce Stripe's rate limits).
 */
import { EMULATOR_PUBLISHABLE_KEY, EMULATOR_SECRET_KEY, startEmulator } from './src/index';

const emu = await startEmulator({
  port: process.env.STRIPE_EMULATOR_PORT ? Number(process.env.STRIPE_EMULATOR_PORT) : undefined,
  dbPath: process.env.STRIPE_EMULATOR_DB,
  publicUrl: process.env.STRIPE_EMULATOR_PUBLIC_URL,
  webhookUrl: process.env.STRIPE_WEBHOOK_URL,
  webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
  quiet: true,
});

console.log(`Stripe emulator listening on ${emu.url}`);
console.log(`  secret key:      ${EMULATOR_SECRET_KEY} (any sk_test_… works)`);
console.log(`  publishable key: ${EMULATOR_PUBLISHABLE_KEY} (any pk_test_… works)`);
if (emu.webhookSecret) console.log(`  webhooks → ${process.env.STRIPE_WEBHOOK_URL} signed with ${emu.webhookSecret}`);
console.log(`  control API:     ${emu.url}/_emulator/health`);
if (emu.server.rateLimiter.config.enabled)
  console.log(`  rate limits:     Stripe's ${emu.server.rateLimiter.config.mode} mode (EMULATOR_RATE_LIMITS)`);

let closing = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (closing) return;
    closing = true;
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
