/**
 * 3-D Secure completion: `POST /_emulator/3ds/:intentId { outcome: 'complete' | 'fail' }` for a
 * pi_… or seti_… in requires_action. Returns `{ intent, return_url }` (return_url carries
 * payment_intent / setup_intent, the client secret and redirect_status, like Stripe's redirect).
 * The challenge page at /3ds/:id (browser/three-ds.ts) calls this.
 */
import { errors, type EmulatorApp } from '../core';
import { completePaymentIntentAuth } from './payment-intents';
import { completeSetupIntentAuth } from './setup-intents';

export function register(app: EmulatorApp): void {
  app.post(
    '/_emulator/3ds/:id',
    undefined,
    (ctx, params, req) => {
      const raw = params as Record<string, unknown>;
      const outcome = raw.outcome ?? 'complete';
      if (outcome !== 'complete' && outcome !== 'fail') throw errors.invalid("outcome must be 'complete' or 'fail'", 'outcome');
      const id = req.pathParams.id!;
      if (id.startsWith('seti_')) return completeSetupIntentAuth(ctx, ctx.store.require('setup_intent', id, 'id'), outcome);
      if (id.startsWith('pi_')) return completePaymentIntentAuth(ctx, ctx.store.require('payment_intent', id, 'id'), outcome);
      throw errors.noSuch('intent', id, 'id');
    },
    { auth: 'none' },
  );
}
