/**
 * Promotion codes on the subscribe step and in the plan change review (app/billing/promotions.server.ts,
 * app/billing/plan-changes.server.ts), against the emulator over HTTP and a real SQLite file: the review
 * shows Stripe's discounted amounts and the charge equals them; a bad or restricted code gets Stripe's
 * words and changes nothing; a declined change takes its code off again; a scheduled change redeems its
 * code when the new plan starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createUser } from '~/auth/users.server';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { ensureCatalog } from '~/billing/catalog.server';
import { confirmPlanChange, previewPlanChange, type PlanChangeReview } from '~/billing/plan-changes.server';
import { getBillingState } from '~/billing/queries.server';
import { completeSubscription, startSubscription } from '~/billing/subscriptions.server';
import { clock } from '~/lib/clock.server';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;
const suffix = Date.now().toString(36).toUpperCase();
const codes = { percent: `SAVE20${suffix}`, firstTime: `WELCOME${suffix}`, minimum: `BIG${suffix}`, expired: `OLD${suffix}` };

beforeAll(async () => {
  h = await startHarness({ worker: false });
  await ensureCatalog();
  const twenty = await h.stripe.coupons.create({ percent_off: 20, duration: 'forever' });
  await h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: twenty.id }, code: codes.percent });
  const ten = await h.stripe.coupons.create({ amount_off: 1000, currency: 'usd', duration: 'once' });
  await h.stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: ten.id },
    code: codes.firstTime,
    restrictions: { first_time_transaction: true },
  });
  await h.stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: ten.id },
    code: codes.minimum,
    restrictions: { minimum_amount: 100_000, minimum_amount_currency: 'usd' },
  });
  const old = await h.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: ten.id }, code: codes.expired });
  await h.stripe.promotionCodes.update(old.id, { active: false });
});
afterAll(async () => {
  clock.reset();
  await h?.close();
});

const nonce = () => `nonce-${Date.now()}-${n++}`;
/** A customer who has had their trial already, so every plan asks for a payment at once. */
async function newUser() {
  const user = await createUser({ name: 'Saver', email: `promo-${Date.now()}-${n++}@example.com`, password: 'promo-password-1' });
  db().update(users).set({ hasHadTrial: true }).where(eq(users.id, user.id)).run();
  return user;
}

async function subscribe(userId: string, plan: 'starter' | 'pro' | 'team', code?: string, card = 'pm_card_visa') {
  const result = await startSubscription({ userId, planKey: plan, interval: 'month', nonce: nonce(), code });
  if (result.kind !== 'needs_payment') throw new Error('expected a payment step');
  await h.stripe.paymentIntents.confirm(result.step.clientSecret.split('_secret_')[0]!, { payment_method: card });
  await completeSubscription({ userId });
  return getBillingState({ userId }).subscription!;
}

async function review(userId: string, plan: 'starter' | 'pro' | 'team', code: string): Promise<PlanChangeReview> {
  const result = await previewPlanChange({ userId, wanted: { plan, interval: 'month', seats: 1 }, code });
  if (result.kind !== 'review') throw new Error(`refused: ${result.message}`);
  return result.review;
}

async function latestInvoice(userId: string) {
  const sub = await h.stripe.subscriptions.retrieve(getBillingState({ userId }).subscription!.id);
  return h.stripe.invoices.retrieve(sub.latest_invoice as string);
}

describe('the subscribe step', () => {
  it('a code typed in lower case takes 20% off the first invoice', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter', codes.percent.toLowerCase());
    const invoice = await latestInvoice(user.id);
    expect(invoice.subtotal).toBe(1200);
    expect(invoice.total).toBe(960);
    expect(invoice.amount_paid).toBe(960);
  });

  it('an unknown code is refused with words for the field, and no subscription is made', async () => {
    const user = await newUser();
    await expect(
      startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce(), code: 'NOPE' }),
    ).rejects.toMatchObject({
      code: 'invalid_code',
      status: 400,
      message: '“NOPE” is not a valid code. Check the spelling, or ask whoever gave it to you for a new one.',
    });
    await expect(
      startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce(), code: codes.expired }),
    ).rejects.toMatchObject({ code: 'invalid_code' });
    expect(getBillingState({ userId: user.id }).subscriptions).toHaveLength(0);
  });

  it("a code's minimum amount is Stripe's to enforce, and its words reach the field", async () => {
    const user = await newUser();
    const refused = startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: nonce(), code: codes.minimum });
    await expect(refused).rejects.toMatchObject({ code: 'invalid_code', status: 400 });
    await expect(refused).rejects.toThrow(/minimum/);
    const listed = await h.stripe.subscriptions.list({ customer: getBillingState({ userId: user.id }).customer!.id });
    expect(listed.data).toHaveLength(0);
  });
});

describe('the plan change review', () => {
  it('Starter → Pro with a code: the review shows the discount and the charge equals it', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    const without = await review(user.id, 'pro', '');
    const r = await review(user.id, 'pro', codes.percent);
    expect(r.code).toMatchObject({ applied: { code: codes.percent, label: '20% off, every payment' }, error: null });
    expect(r.discount).toBe(Math.round(without.dueToday * 0.2));
    expect(r.dueToday).toBe(without.dueToday - r.discount);
    // The next regular charge carries the code too (it is "forever").
    expect(r.renewal?.amount).toBe(4900 - Math.round(4900 * 0.2));
    const done = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(done.kind).toBe('done');
    const invoice = await latestInvoice(user.id);
    expect(invoice.amount_paid).toBe(r.dueToday);
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ priceLookupKey: 'pro_monthly' });
    const sub = await h.stripe.subscriptions.retrieve(getBillingState({ userId: user.id }).subscription!.id, { expand: ['discounts'] });
    expect(sub.discounts).toHaveLength(1);
  });

  it('a first-time code is refused for a customer who has paid before, in Stripe words, and the review goes on without it', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    const r = await review(user.id, 'pro', codes.firstTime);
    expect(r.code.applied).toBeNull();
    expect(r.code.error).toMatch(/prior transactions/);
    expect(r.discount).toBe(0);
    expect(r.dueToday).toBeGreaterThan(0);
  });

  it('an unknown code is answered beside the field; confirming that review changes the plan without a discount', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    const r = await review(user.id, 'pro', 'NOPE');
    expect(r.code).toMatchObject({ typed: 'NOPE', applied: null });
    expect(r.code.error).toMatch(/not a valid code/);
    await confirmPlanChange({ userId: user.id, token: r.token });
    expect((await latestInvoice(user.id)).total_discount_amounts).toEqual([]);
  });

  it('a declined change takes its code off again: nothing changes, nothing is owed', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    const state = getBillingState({ userId: user.id });
    const pm = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: state.customer!.id });
    await h.stripe.customers.update(state.customer!.id, { invoice_settings: { default_payment_method: pm.id } });
    await h.stripe.subscriptions.update(state.subscription!.id, { default_payment_method: pm.id });
    const r = await review(user.id, 'pro', codes.percent);
    expect(r.code.applied).not.toBeNull();
    await expect(confirmPlanChange({ userId: user.id, token: r.token })).rejects.toMatchObject({ code: 'card_error' });
    const sub = await h.stripe.subscriptions.retrieve(state.subscription!.id);
    expect(sub.items.data[0]!.price.lookup_key).toBe('starter_monthly');
    expect(sub.discounts).toEqual([]);
  });

  it('Pro → Starter with a code: scheduled, the review shows the discounted renewal, and that renewal is what is invoiced', async () => {
    const user = await newUser();
    const sub = await subscribe(user.id, 'pro');
    const r = await review(user.id, 'starter', codes.percent);
    expect(r.decision.kind).toBe('period_end');
    expect(r.dueToday).toBe(0);
    expect(r.renewal?.amount).toBe(960);
    await confirmPlanChange({ userId: user.id, token: r.token });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ priceLookupKey: 'pro_monthly' });
    // Nothing is redeemed until the new plan starts.
    expect((await h.stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([]);
    const customer = getBillingState({ userId: user.id }).customer!.id;
    await h.control('POST', '/clock/advance', { to: Math.floor(sub.currentPeriodEnd!.getTime() / 1000) + 3600, customer });
    const after = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    const renewal = after.latest_invoice as { total: number; subtotal: number; billing_reason: string };
    expect(after.items.data[0]!.price.lookup_key).toBe('starter_monthly');
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 1200, total: r.renewal!.amount });
  });
});
