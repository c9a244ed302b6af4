/**
 * Contract: payment methods, payment intents, setup intents, charges, 3-D Secure — via the SDK.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract } from './helpers';

const t = setupContract();

async function complete3ds(id: string, outcome: 'complete' | 'fail') {
  const r = await t.control('POST', `/3ds/${id}`, { outcome });
  expect(r.status).toBe(200);
  return r.body;
}

describe('payment methods', () => {
  it('test ids create a new pm each use; attach, list, detach', async () => {
    const c = await t.stripe.customers.create({});
    const a = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    const b = await t.stripe.paymentMethods.attach('pm_card_mastercard', { customer: c.id });
    expect(a.id).toMatch(/^pm_/);
    expect(a.id).not.toBe('pm_card_visa');
    expect(a.card).toMatchObject({ brand: 'visa', last4: '4242', country: 'US' });
    expect(b.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    const again = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    expect(again.id).not.toBe(a.id);
    expect(again.card?.fingerprint).toBe(a.card?.fingerprint);
    expect(again.card?.fingerprint).not.toBe(b.card?.fingerprint);

    const listed = await t.stripe.customers.listPaymentMethods(c.id, { type: 'card' });
    expect(listed.data.map((p) => p.id).sort()).toEqual([a.id, b.id, again.id].sort());
    const one = await t.stripe.customers.retrievePaymentMethod(c.id, a.id);
    expect(one.id).toBe(a.id);

    await t.stripe.customers.update(c.id, { invoice_settings: { default_payment_method: a.id } });
    const d = await t.stripe.paymentMethods.detach(a.id);
    expect(d.customer).toBeNull();
    const after = await t.stripe.customers.retrieve(c.id);
    expect((after as Stripe.Customer).invoice_settings.default_payment_method).toBeNull();
    const listed2 = await t.stripe.paymentMethods.list({ customer: c.id, type: 'card' });
    expect(listed2.data.map((p) => p.id)).not.toContain(a.id);
  });

  it('cards that fail the card check cannot be attached', async () => {
    const c = await t.stripe.customers.create({});
    const err = await t.stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: c.id }).catch((e) => e);
    expect(err).toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    // 0341 attaches fine (charges fail later)
    const ok = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: c.id });
    expect(ok.card?.last4).toBe('0341');
  });

  it('default_payment_method must be attached to the customer', async () => {
    const c = await t.stripe.customers.create({});
    const other = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
    const pm = (await t.stripe.customers.listPaymentMethods(other.id)).data[0]!;
    await expect(t.stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm.id } })).rejects.toMatchObject({
      statusCode: 400,
      param: 'invoice_settings[default_payment_method]',
    });
  });

  t.emulatorOnly('raw card numbers only with a publishable key; validation errors are card errors', async () => {
    const pm = await t.pk.paymentMethods.create({
      type: 'card',
      card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2034, cvc: '123' } as never,
    });
    expect(pm.card).toMatchObject({ last4: '4242', exp_month: 12, exp_year: 2034, brand: 'visa' });
    await expect(
      t.stripe.paymentMethods.create({
        type: 'card',
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' } as never,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'card[number]' });
    await expect(
      t.pk.paymentMethods.create({ type: 'card', card: { number: '4242424242424241', exp_month: 12, exp_year: 2034 } as never }),
    ).rejects.toMatchObject({ type: 'StripeCardError', code: 'incorrect_number' });
    const tok = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard' } });
    expect(tok.card?.brand).toBe('mastercard');
  });
});

describe('payment intents', () => {
  it('create + confirm succeeds, with a charge', async () => {
    const c = await t.stripe.customers.create({});
    const pi = await t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', customer: c.id, metadata: { order: '1' } });
    expect(pi).toMatchObject({ status: 'requires_payment_method', amount: 2000, currency: 'usd', customer: c.id, latest_charge: null });
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    expect(pi.automatic_payment_methods?.enabled).toBe(true);
    const confirmed = await t.stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_visa',
      return_url: 'https://example.com/r',
      expand: ['latest_charge', 'payment_method'],
    });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    const ch = confirmed.latest_charge as Stripe.Charge;
    expect(ch).toMatchObject({ object: 'charge', status: 'succeeded', paid: true, amount: 2000, payment_intent: pi.id });
    expect(ch.payment_method_details?.card).toMatchObject({ last4: '4242', brand: 'visa' });
    expect(ch.outcome?.type).toBe('authorized');
    expect((confirmed.payment_method as Stripe.PaymentMethod).card?.last4).toBe('4242');
    const listed = await t.stripe.paymentIntents.list({ customer: c.id });
    expect(listed.data.map((p) => p.id)).toEqual([pi.id]);
  });

  it('declines: 402 card_error carrying the payment_intent; last_payment_error recorded', async () => {
    const err = await t.stripe.paymentIntents
      .create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', confirm: true })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds' });
    const pi = err.payment_intent as Stripe.PaymentIntent;
    expect(pi.status).toBe('requires_payment_method');
    const again = await t.stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
    expect(again.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' });
    expect((again.latest_charge as Stripe.Charge).status).toBe('failed');
    // retry with a good card
    const ok = await t.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(ok.status).toBe('succeeded');
    expect(ok.last_payment_error).toBeNull();
  });

  it('an attached 0341 card fails when charged', async () => {
    const c = await t.stripe.customers.create({ payment_method: 'pm_card_chargeCustomerFail' });
    const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!;
    await expect(
      t.stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        customer: c.id,
        payment_method: pm.id,
        confirm: true,
        off_session: true,
      }),
    ).rejects.toMatchObject({ code: 'card_declined' });
  });

  it('3DS card on-session → requires_action with a next_action', async () => {
    const pi = await t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://example.com/return',
    });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('redirect_to_url');
    expect(pi.next_action?.redirect_to_url?.url).toBeTruthy();
  });

  t.emulatorOnly('3DS: complete → succeeded, fail → requires_payment_method', async () => {
    const c = await t.stripe.customers.create({});
    const pi = await t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: c.id,
      payment_method: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
      setup_future_usage: 'off_session',
    });
    expect(pi.next_action?.type).toBe('use_stripe_sdk');
    const done = await complete3ds(pi.id, 'complete');
    expect(done.intent.status).toBe('succeeded');
    const ch = await t.stripe.charges.retrieve(done.intent.latest_charge);
    expect(ch.payment_method_details?.card?.three_d_secure?.result).toBe('authenticated');
    // the card was set up: later off-session payments go through (Stripe's 3155 behaviour)
    const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!;
    const off = await t.stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      customer: c.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
    });
    expect(off.status).toBe('succeeded');

    const pi2 = await t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://example.com/r',
    });
    const failed = await complete3ds(pi2.id, 'fail');
    expect(failed.intent).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
    });
    expect(failed.return_url).toContain('redirect_status=failed');
  });

  it('off-session payment with an always-3DS card fails with authentication_required', async () => {
    const c = await t.stripe.customers.create({ payment_method: 'pm_card_authenticationRequired' });
    const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!;
    const err = await t.stripe.paymentIntents
      .create({ amount: 1000, currency: 'usd', customer: c.id, payment_method: pm.id, confirm: true, off_session: true })
      .catch((e) => e);
    expect(err).toMatchObject({ statusCode: 402, code: 'authentication_required' });
    expect(err.payment_intent.status).toBe('requires_payment_method');
  });

  it('cancel, manual capture, state errors', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const canceled = await t.stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    await expect(t.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    const man = await t.stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(man).toMatchObject({ status: 'requires_capture', amount_capturable: 3000 });
    const cap = await t.stripe.paymentIntents.capture(man.id, { amount_to_capture: 2500 });
    expect(cap).toMatchObject({ status: 'succeeded', amount_received: 2500 });
  });

  t.emulatorOnly('publishable key: retrieve/confirm with client_secret only', async () => {
    const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await expect(t.pk.paymentIntents.retrieve(pi.id)).rejects.toMatchObject({ statusCode: 400, param: 'client_secret' });
    const got = await t.pk.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! });
    expect(got.id).toBe(pi.id);
    const pm = await t.pk.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 1, exp_year: 2040, cvc: '314' } as never,
    });
    const done = await t.pk.paymentIntents.confirm(pi.id, { payment_method: pm.id, client_secret: pi.client_secret } as never);
    expect(done.status).toBe('succeeded');
    await expect(t.pk.paymentIntents.update(pi.id, { metadata: { a: 'b' } })).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe('setup intents', () => {
  it('succeeds and attaches the card to the customer', async () => {
    const c = await t.stripe.customers.create({});
    const si = await t.stripe.setupIntents.create({
      customer: c.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://example.com/r',
    });
    expect(si).toMatchObject({ object: 'setup_intent', status: 'succeeded', usage: 'off_session' });
    const pm = await t.stripe.paymentMethods.retrieve(si.payment_method as string);
    expect(pm.customer).toBe(c.id);
  });

  it('declined card check fails with setup_intent in the error', async () => {
    const c = await t.stripe.customers.create({});
    const si = await t.stripe.setupIntents.create({ customer: c.id });
    const err = await t.stripe.setupIntents
      .confirm(si.id, { payment_method: 'pm_card_chargeDeclined', return_url: 'https://example.com/r' })
      .catch((e) => e);
    expect(err).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    const again = await t.stripe.setupIntents.retrieve(si.id);
    expect(again.status).toBe('requires_payment_method');
    expect(again.last_setup_error?.code).toBe('card_declined');
    const canceled = await t.stripe.setupIntents.cancel(si.id);
    expect(canceled.status).toBe('canceled');
  });

  t.emulatorOnly('3DS setup completes via the control API', async () => {
    const c = await t.stripe.customers.create({});
    const si = await t.stripe.setupIntents.create({
      customer: c.id,
      payment_method: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
    });
    expect(si.status).toBe('requires_action');
    const done = await complete3ds(si.id, 'complete');
    expect(done.intent.status).toBe('succeeded');
    const listed = await t.stripe.setupIntents.list({ customer: c.id });
    expect(listed.data[0]!.status).toBe('succeeded');
  });
});
