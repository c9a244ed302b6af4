/**
 * Whether the process is ready to serve: `npm start` marks it once the database is migrated and the
 * Stripe catalogue matches plans.ts; `/healthz` answers `starting` (503) until then, so a load
 * balancer or a test never sends a customer to a portal whose plans are not there yet.
 */
let ready = false;

export function markReady() {
  ready = true;
}

export function resetReadiness() {
  ready = false;
}

export function isReady(): boolean {
  return ready;
}
