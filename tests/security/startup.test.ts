/**
 * Issue #16: /healthz answered ok 50–100 ms before the Stripe catalogue was in place after a start.
 * It now says `starting` (503) until npm start has finished setting the catalogue up.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_SECRET_KEY } from '../../emulator/src/index';
import { startPortal, type Portal } from './portal';

let portal: Portal;
beforeAll(async () => {
  portal = await startPortal();
});
afterAll(async () => {
  await portal?.stop();
});

describe('/healthz during start-up', () => {
  it('answers starting (503) until the catalogue is ready, then ok', async () => {
    const answers = portal.startup;
    const first = answers.findIndex((a) => a.status === 200);
    expect(first).toBe(answers.length - 1);
    // It was listening before setup finished, and said so.
    const before = answers.slice(0, first);
    expect(before.length).toBeGreaterThan(0);
    for (const a of before) expect(a).toMatchObject({ status: 503, state: 'starting' });
    expect(answers[first]!.state).toBe('ok');
    // The catalogue really is there: every plan price exists on the (emulated) Stripe account.
    const url = new URL(portal.emulatorUrl);
    const stripe = new Stripe(EMULATOR_SECRET_KEY, { host: url.hostname, port: Number(url.port), protocol: 'http', telemetry: false });
    const prices = await stripe.prices.list({ limit: 100, active: true });
    const keys = prices.data.map((p) => p.lookup_key).filter(Boolean);
    expect(keys).toEqual(expect.arrayContaining(['starter_monthly', 'pro_yearly', 'team_monthly']));
  });
});
