/**
 * Plan changes against the emulator over HTTP and a real SQLite file (app/billing/plan-changes.server.ts):
 * the preview is the charge (to the cent, at the previewed second), prorations against hand-computed
 * values on months of 28, 30 and 31 days and on a yearly plan, downgrades scheduled and undone, stale
 * and forged reviews, and a double confirm that changes once.
 *
 * The emulator's clock only moves forward, so the tests run in date order (February, April, May, …).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { ensureCatalog, priceByLookupKey } from '~/billing/catalog.server';
import { confirmPlanChange, previewPlanChange, undoScheduledChange, type PlanChangeReview } from '~/billing/plan-changes.server';
import { getBillingState } from '~/billing/queries.server';
import { syncCustomer } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { stripeEvents } from '~/db/schema';
import { eq } from 'drizzle-orm';
import { cancelAtPeriodEnd, completeSubscription, startSubscription } from '~/billing/subscriptions.server';
import { clock } from '~/lib/clock.server';
import { startHarness, waitFor, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  await ensureCatalog();
});
afterAll(async () => {
  clock.reset();
  await h?.close();
});

const nonce = () => `nonce-${Date.now()}-${n++}`;
const newUser = () => createUser({ name: 'Switcher', email: `plans-${Date.now()}-${n++}@example.com`, password: 'plan-password-1' });
const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Moves the emulator's clock to `iso` and the app's clock with it (as clock-follow does under npm start). */
async function moveTo(iso: string) {
  await h.control('POST', '/clock/advance', { to: at(iso) });
  const { now_ms } = await h.control<{ now_ms: number }>('GET', '/clock');
  clock.setOffset(now_ms - Date.now());
}

async function subscribe(userId: string, plan: 'starter' | 'pro' | 'team', interval: 'month' | 'year' = 'month', seats?: number) {
  const result = await startSubscription({ userId, planKey: plan, interval, seats, nonce: nonce() });
  if (result.kind !== 'needs_payment') throw new Error('expected a payment step');
  await h.stripe.paymentIntents.confirm(result.step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
  await completeSubscription({ userId });
  return getBillingState({ userId }).subscription!;
}

async function review(userId: string, plan: 'starter' | 'pro' | 'team', interval: 'month' | 'year', seats = 1): Promise<PlanChangeReview> {
  const result = await previewPlanChange({ userId, wanted: { plan, interval, seats } });
  if (result.kind !== 'review') throw new Error(`refused: ${result.message}`);
  return result.review;
}

/** Stripe's proration of one line: round(amount × quantity × remaining / period), halves away from zero. */
const prorate = (amount: number, remaining: number, period: number) => Math.round((amount * remaining) / period);
const periodOf = (sub: { currentPeriodStart: Date | null; currentPeriodEnd: Date | null }) => ({
  start: sub.currentPeriodStart!.getTime() / 1000,
  end: sub.currentPeriodEnd!.getTime() / 1000,
});

async function latestInvoice(userId: string) {
  const sub = await h.stripe.subscriptions.retrieve(getBillingState({ userId }).subscription!.id);
  return h.stripe.invoices.retrieve(sub.latest_invoice as string);
}

describe('upgrades now: the preview is the charge', () => {
  it('February (28 days): Starter → Pro, seconds-exact, the paid invoice equals the review', async () => {
    await moveTo('2027-02-01T00:00:00Z');
    const user = await newUser();
    const sub = await subscribe(user.id, 'starter');
    // The emulator's clock runs on while the test works: the period starts a second or two after midnight.
    const { start, end } = periodOf(sub);
    expect(new Date(end * 1000).toISOString().slice(0, 10)).toBe('2027-03-01');
    const period = end - start;
    expect(period).toBe(28 * 86_400);
    await moveTo('2027-02-10T13:14:15Z');
    const r = await review(user.id, 'pro', 'month');
    const remaining = end - r.prorationDate;
    expect(r.prorationDate).toBeGreaterThanOrEqual(at('2027-02-10T13:14:15Z'));
    const credit = prorate(1200, remaining, period);
    const debit = prorate(4900, remaining, period);
    expect(r.lines.map((l) => l.amount)).toEqual([-credit, debit]);
    expect(r.dueToday).toBe(debit - credit);
    expect(r.lines[0]!.description).toBe('Unused time on Starter from 10 Feb to 1 Mar');
    expect(r.lines[1]!.description).toBe('Remaining time on Pro from 10 Feb to 1 Mar');
    expect(r.card).toEqual({ brand: 'visa', last4: '4242' });
    expect(r.renewal).toEqual({ amount: 4900, date: new Date(end * 1000).toISOString() });

    // Minutes pass between review and confirm: the charge stays at the previewed second.
    await moveTo('2027-02-10T13:24:00Z');
    const done = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(done).toMatchObject({ kind: 'done', message: 'You are now on Pro (monthly).' });
    const invoice = await latestInvoice(user.id);
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_update', total: r.dueToday, amount_paid: r.dueToday });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ priceLookupKey: 'pro_monthly', status: 'active' });

    // A double click (the same token again) changes nothing more.
    const again = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(again.kind).toBe('done');
    const invoices = await h.stripe.invoices.list({ customer: getBillingState({ userId: user.id }).customer!.id });
    expect(invoices.data.filter((i) => i.billing_reason === 'subscription_update')).toHaveLength(1);
  });

  it('April (30 days): Team 3 → 100 seats with minutes between review and confirm, to the cent', async () => {
    await moveTo('2027-04-01T00:00:00Z');
    const user = await newUser();
    const { start, end } = periodOf(await subscribe(user.id, 'team', 'month', 3));
    const period = end - start;
    expect(period).toBe(30 * 86_400);
    await moveTo('2027-04-17T08:00:01Z');
    const r = await review(user.id, 'team', 'month', 100);
    const remaining = end - r.prorationDate;
    expect(r.lines.map((l) => l.amount)).toEqual([-prorate(1500 * 3, remaining, period), prorate(1500 * 100, remaining, period)]);
    expect(r.lines[1]!.description).toBe('Remaining time on Team (100 seats) from 17 Apr to 1 May');
    await moveTo('2027-04-17T08:07:30Z');
    await expect(confirmPlanChange({ userId: user.id, token: r.token })).resolves.toMatchObject({ kind: 'done' });
    const invoice = await latestInvoice(user.id);
    expect(invoice.amount_paid).toBe(r.dueToday);
    // Had the proration been computed at the confirm instead, it would differ: the test can tell.
    const late = end - at('2027-04-17T08:07:30Z');
    expect(prorate(150_000, late, period) - prorate(4500, late, period)).not.toBe(r.dueToday);
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ quantity: 100 });
  });

  it('May (31 days): Starter → Team 2 seats', async () => {
    await moveTo('2027-05-01T00:00:00Z');
    const user = await newUser();
    const { start, end } = periodOf(await subscribe(user.id, 'starter'));
    expect(end - start).toBe(31 * 86_400);
    await moveTo('2027-05-20T23:59:59Z');
    const r = await review(user.id, 'team', 'month', 2);
    const remaining = end - r.prorationDate;
    expect(r.dueToday).toBe(prorate(3000, remaining, 31 * 86_400) - prorate(1200, remaining, 31 * 86_400));
    await confirmPlanChange({ userId: user.id, token: r.token });
    expect((await latestInvoice(user.id)).amount_paid).toBe(r.dueToday);
  });

  it('yearly: Starter yearly → Pro yearly prorates over the whole year (366 days: it holds 29 Feb 2028)', async () => {
    await moveTo('2027-06-01T00:00:00Z');
    const user = await newUser();
    const { start, end } = periodOf(await subscribe(user.id, 'starter', 'year'));
    const period = end - start;
    expect(period).toBe(366 * 86_400); // 2028 is a leap year: the period holds 29 Feb
    await moveTo('2027-09-15T06:30:00Z');
    const r = await review(user.id, 'pro', 'year');
    const remaining = end - r.prorationDate;
    expect(r.lines.map((l) => l.amount)).toEqual([-prorate(12000, remaining, period), prorate(49000, remaining, period)]);
    await confirmPlanChange({ userId: user.id, token: r.token });
    expect((await latestInvoice(user.id)).amount_paid).toBe(r.dueToday);
  });
});

describe('scheduled changes, stale and forged reviews', () => {
  it('Team 5 → 2 seats waits for the period end, shows as pending and Undo releases the schedule', async () => {
    await moveTo('2027-10-01T00:00:00Z');
    const user = await newUser();
    const { end } = periodOf(await subscribe(user.id, 'team', 'month', 5));
    const r = await review(user.id, 'team', 'month', 2);
    expect(r).toMatchObject({
      dueToday: 0,
      effectiveAt: new Date(end * 1000).toISOString(),
      renewal: { amount: 3000 },
      decision: { kind: 'period_end' },
    });
    expect(r.effectiveAt!.slice(0, 10)).toBe('2027-11-01');
    const done = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(done).toMatchObject({
      kind: 'done',
      message: 'Your plan switches to Team with 2 seats on 1 November 2027. Until then you keep Team with 5 seats.',
    });
    const sub = getBillingState({ userId: user.id }).subscription!;
    expect(sub).toMatchObject({ quantity: 5, pendingQuantity: 2, pendingChangeAt: new Date(end * 1000) });
    expect(sub.scheduleId).toMatch(/^sub_sched_/);
    await undoScheduledChange({ userId: user.id, nonce: nonce() });
    const after = getBillingState({ userId: user.id }).subscription!;
    expect(after).toMatchObject({ status: 'active', quantity: 5, pendingPriceId: null, scheduleId: null });
    expect((await h.stripe.subscriptionSchedules.retrieve(sub.scheduleId!)).status).toBe('released');
  });

  it('a review made stale by a change elsewhere is refused with a fresh one', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    const r = await review(user.id, 'pro', 'month');
    // Another tab: the same customer switches to Team meanwhile.
    const other = await review(user.id, 'team', 'month', 3);
    await confirmPlanChange({ userId: user.id, token: other.token });
    const stale = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(stale).toMatchObject({ kind: 'stale', message: 'The price changed since you looked: review the new amount' });
    if (stale.kind !== 'stale' || stale.preview.kind !== 'review') throw new Error('expected a fresh review');
    expect(stale.preview.review.current).toMatchObject({ plan: 'team', seats: 3 });
  });

  it('a review older than ten minutes is refused with a fresh one', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    const r = await review(user.id, 'pro', 'month');
    clock.advance(10 * 60 * 1000 + 1000);
    const stale = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(stale.kind).toBe('stale');
    expect(getBillingState({ userId: user.id }).subscription?.priceLookupKey).toBe('starter_monthly');
  });

  it('a forged or foreign token is refused with words a person can act on', async () => {
    const user = await newUser();
    const other = await newUser();
    await subscribe(user.id, 'starter');
    const r = await review(user.id, 'pro', 'month');
    await expect(confirmPlanChange({ userId: other.id, token: r.token })).rejects.toMatchObject({
      code: 'invalid_review',
      status: 400,
      message: expect.stringContaining('Open “Change plan” again'),
    });
    const [body, mac] = r.token.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), a: 1 })).toString('base64url');
    await expect(confirmPlanChange({ userId: user.id, token: `${tampered}.${mac}` })).rejects.toMatchObject({
      code: 'invalid_review',
      status: 400,
    });
    await expect(
      confirmPlanChange({ userId: user.id, token: r.token, expected: { plan: 'team', interval: 'month', seats: 500 } }),
    ).rejects.toMatchObject({ code: 'invalid_review' });
    expect(getBillingState({ userId: user.id }).subscription?.priceLookupKey).toBe('starter_monthly');
  });
});

describe('declines, trials, cancellations and month → year', () => {
  /** Makes `card` the default of the customer and of the subscription (a card changed in the portal). */
  async function useCard(userId: string, card: string) {
    const state = getBillingState({ userId });
    const pm = await h.stripe.paymentMethods.attach(card, { customer: state.customer!.id });
    await h.stripe.customers.update(state.customer!.id, { invoice_settings: { default_payment_method: pm.id } });
    await h.stripe.subscriptions.update(state.subscription!.id, { default_payment_method: pm.id });
  }

  it('a declined proration charge changes nothing and owes nothing', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    await useCard(user.id, 'pm_card_chargeCustomerFail');
    const r = await review(user.id, 'pro', 'month');
    await expect(confirmPlanChange({ userId: user.id, token: r.token })).rejects.toMatchObject({
      code: 'card_error',
      status: 402,
      message: 'Your card was declined. Your plan has not changed.',
    });
    const sub = await h.stripe.subscriptions.retrieve(getBillingState({ userId: user.id }).subscription!.id, {
      expand: ['latest_invoice'],
    });
    expect(sub).toMatchObject({ status: 'active', pending_update: null });
    expect(sub.items.data[0]!.price.lookup_key).toBe('starter_monthly');
    expect((sub.latest_invoice as { status: string }).status).toBe('void');
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({ status: 'active', priceLookupKey: 'starter_monthly' });
  });

  it('a card that needs 3D Secure leaves the change to the page; finishing without paying voids it', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    await useCard(user.id, 'pm_card_authenticationRequired');
    const r = await review(user.id, 'pro', 'month');
    const answer = await confirmPlanChange({ userId: user.id, token: r.token });
    expect(answer).toMatchObject({ kind: 'needs_action', clientSecret: expect.stringMatching(/^pi_.+_secret_/) });
    const { finishPlanChange } = await import('~/billing/plan-changes.server');
    await expect(finishPlanChange({ userId: user.id, token: r.token })).rejects.toMatchObject({ code: 'card_error' });
    expect(getBillingState({ userId: user.id }).subscription?.priceLookupKey).toBe('starter_monthly');
  });

  it('month → year: credit for the unused month, the year in full, a new period from today', async () => {
    await moveTo('2027-12-01T00:00:00Z');
    const user = await newUser();
    const { end } = periodOf(await subscribe(user.id, 'starter'));
    await moveTo('2027-12-11T00:00:00Z');
    const r = await review(user.id, 'pro', 'year');
    expect(r.decision).toMatchObject({ kind: 'now', charge: true, resetsPeriod: true });
    const remaining = end - r.prorationDate;
    expect(r.lines.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-prorate(1200, remaining, 31 * 86_400), 49000]);
    expect(r.renewal?.date.slice(0, 10)).toBe('2028-12-11');
    await confirmPlanChange({ userId: user.id, token: r.token });
    expect((await latestInvoice(user.id)).amount_paid).toBe(r.dueToday);
    const after = getBillingState({ userId: user.id }).subscription!;
    expect(after.priceLookupKey).toBe('pro_yearly');
    expect(after.currentPeriodEnd!.toISOString().slice(0, 10)).toBe('2028-12-11');
  });

  it('during a trial a change charges nothing and keeps the trial end', async () => {
    const user = await newUser();
    const result = await startSubscription({ userId: user.id, planKey: 'pro', interval: 'month', nonce: nonce() });
    if (result.kind !== 'needs_payment') throw new Error('expected a setup step');
    await h.stripe.setupIntents.confirm(result.step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const before = getBillingState({ userId: user.id }).subscription!;
    expect(before.status).toBe('trialing');
    const r = await review(user.id, 'team', 'month', 4);
    expect(r).toMatchObject({ dueToday: 0, decision: { kind: 'now', charge: false }, trialEnd: before.trialEnd!.toISOString() });
    await confirmPlanChange({ userId: user.id, token: r.token });
    const after = getBillingState({ userId: user.id }).subscription!;
    expect(after).toMatchObject({ status: 'trialing', priceLookupKey: 'team_monthly', quantity: 4, trialEnd: before.trialEnd });
    const invoices = await h.stripe.invoices.list({ customer: after.customerId });
    expect(invoices.data.filter((i) => i.amount_due > 0)).toHaveLength(0);
  });

  it('a subscription set to cancel: the review says the change clears it, and the confirm does', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    await cancelAtPeriodEnd({ userId: user.id, nonce: nonce() });
    const r = await review(user.id, 'pro', 'month');
    expect(r.cancelsAt).toBe(getBillingState({ userId: user.id }).subscription!.currentPeriodEnd!.toISOString());
    await confirmPlanChange({ userId: user.id, token: r.token });
    expect(getBillingState({ userId: user.id }).subscription).toMatchObject({
      priceLookupKey: 'pro_monthly',
      cancelAtPeriodEnd: false,
      cancelAt: null,
    });
  });

  it('past due: refused until the open invoice is paid', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    await useCard(user.id, 'pm_card_chargeCustomerFail');
    await moveTo('2028-01-12T01:00:00Z'); // the renewal on 11 Jan fails
    await completeSubscription({ userId: user.id });
    expect(getBillingState({ userId: user.id }).subscription?.status).toBe('past_due');
    await expect(previewPlanChange({ userId: user.id, wanted: { plan: 'pro', interval: 'month', seats: 1 } })).resolves.toEqual({
      kind: 'refused',
      reason: 'past_due',
      message: 'Your last payment failed. Pay the open invoice first, then change your plan.',
    });
  });
});

describe('a subscription that carries the metered API-calls item', () => {
  async function withMeteredItem(userId: string) {
    const sub = getBillingState({ userId }).subscription!;
    const price = await priceByLookupKey('api_calls_starter_monthly');
    await h.stripe.subscriptionItems.create({ subscription: sub.id, price: price.id, proration_behavior: 'none' });
    await syncCustomer(sub.customerId);
  }
  const meteredKeys = async (userId: string) => {
    const sub = await h.stripe.subscriptions.retrieve(getBillingState({ userId }).subscription!.id);
    return sub.items.data.filter((i) => i.price.recurring?.usage_type === 'metered').map((i) => i.price.lookup_key);
  };

  it('moves it to the new plan now, keeps it through a scheduled change and its Undo, and drops it for a yearly plan', async () => {
    const user = await newUser();
    await subscribe(user.id, 'starter');
    await withMeteredItem(user.id);
    const up = await review(user.id, 'pro', 'month');
    expect(up.lines).toHaveLength(2); // metered items are billed in arrears: no proration
    await confirmPlanChange({ userId: user.id, token: up.token });
    expect(await meteredKeys(user.id)).toEqual(['api_calls_pro_monthly']);

    const down = await review(user.id, 'starter', 'month');
    await confirmPlanChange({ userId: user.id, token: down.token });
    expect(await meteredKeys(user.id)).toEqual(['api_calls_pro_monthly']);
    const sub = getBillingState({ userId: user.id }).subscription!;
    expect(sub).toMatchObject({ priceLookupKey: 'pro_monthly', pendingPriceId: (await priceByLookupKey('starter_monthly')).id });
    const schedule = await h.stripe.subscriptionSchedules.retrieve(sub.scheduleId!);
    expect(schedule.phases[1]!.items.map((i) => i.price)).toEqual([
      (await priceByLookupKey('starter_monthly')).id,
      (await priceByLookupKey('api_calls_starter_monthly')).id,
    ]);
    await undoScheduledChange({ userId: user.id, nonce: nonce() });
    expect(await meteredKeys(user.id)).toEqual(['api_calls_pro_monthly']);

    const yearly = await review(user.id, 'pro', 'year');
    await confirmPlanChange({ userId: user.id, token: yearly.token });
    expect(await meteredKeys(user.id)).toEqual([]);
    expect(getBillingState({ userId: user.id }).subscription?.priceLookupKey).toBe('pro_yearly');
    expect((await latestInvoice(user.id)).amount_paid).toBe(yearly.dueToday);
  });
});

describe('changes made elsewhere (the portal, the dashboard) reach the mirror by webhook', () => {
  it('a schedule made in Stripe shows as the pending change; its release and an upgrade converge too', async () => {
    const user = await newUser();
    const sub = await subscribe(user.id, 'team', 'month', 2);
    // Only this test's events: the file ran without a worker so far.
    db().update(stripeEvents).set({ status: 'ignored' }).where(eq(stripeEvents.status, 'pending')).run();
    const worker = h.newWorker();
    worker.start();
    try {
      const starter = (await priceByLookupKey('starter_monthly')).id;
      const schedule = await h.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
      const start = schedule.current_phase!.start_date;
      const end = schedule.current_phase!.end_date;
      await h.stripe.subscriptionSchedules.update(schedule.id, {
        end_behavior: 'release',
        phases: [
          { items: [{ price: sub.priceId!, quantity: 2 }], start_date: start, end_date: end },
          { items: [{ price: starter, quantity: 1 }], duration: { interval: 'month', interval_count: 1 } },
        ],
      });
      await waitFor(() => getBillingState({ userId: user.id }).subscription?.pendingPriceId === starter, {
        what: 'pending change mirrored by webhook',
      });
      expect(getBillingState({ userId: user.id }).subscription).toMatchObject({
        scheduleId: schedule.id,
        pendingChangeAt: new Date(end * 1000),
      });
      await h.stripe.subscriptionSchedules.release(schedule.id);
      await waitFor(() => getBillingState({ userId: user.id }).subscription?.scheduleId === null, { what: 'release mirrored by webhook' });
      expect(getBillingState({ userId: user.id }).subscription?.pendingPriceId).toBeNull();
      // An upgrade in the dashboard: the seats and the paid proration invoice arrive by webhook.
      const item = getBillingState({ userId: user.id }).subscription!.items.find((i) => i.usageType !== 'metered')!;
      await h.stripe.subscriptions.update(sub.id, { items: [{ id: item.id, quantity: 4 }], proration_behavior: 'always_invoice' });
      await waitFor(() => getBillingState({ userId: user.id }).subscription?.quantity === 4, { what: 'upgrade mirrored by webhook' });
      await waitFor(
        () => getBillingState({ userId: user.id }).invoices.some((i) => i.billingReason === 'subscription_update' && i.status === 'paid'),
        { what: 'proration invoice mirrored' },
      );
    } finally {
      await worker.stop();
    }
  });
});
