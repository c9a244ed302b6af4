import { describe, expect, it } from 'vitest';
import {
  entitlementFor,
  explainNoAccess,
  hasFeature,
  onGracePeriod,
  onTrial,
  PAST_DUE_GRACE_DAYS,
  TRIAL_SETTLE_MS,
  type SubscriptionFacts,
} from '~/billing/entitlements';

const DAY = 86_400_000;
const t0 = new Date('2026-12-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function sub(over: Partial<SubscriptionFacts> = {}): SubscriptionFacts {
  return {
    status: 'active',
    priceLookupKey: 'pro_monthly',
    cancelAtPeriodEnd: false,
    cancelAt: null,
    pauseBehavior: null,
    pauseResumesAt: null,
    trialEnd: null,
    currentPeriodStart: t0,
    currentPeriodEnd: at(31 * DAY),
    ...over,
  };
}

describe('entitlementFor', () => {
  it('no subscription: no access', () => {
    expect(entitlementFor(null, t0)).toEqual({ access: 'none', plan: null, reason: 'no_subscription', until: null });
  });

  it('active: full access until the period end, with the plan', () => {
    expect(entitlementFor(sub(), at(DAY))).toEqual({ access: 'full', plan: 'pro', reason: 'active', until: at(31 * DAY) });
    expect(entitlementFor(sub({ priceLookupKey: 'team_yearly' }), at(DAY)).plan).toBe('team');
    expect(entitlementFor(sub({ priceLookupKey: 'retired_price' }), at(DAY)).plan).toBeNull();
  });

  describe('trial', () => {
    const trial = sub({ status: 'trialing', trialEnd: at(14 * DAY), currentPeriodEnd: at(14 * DAY) });
    it('full until the last second of the trial', () => {
      expect(entitlementFor(trial, at(14 * DAY - 1))).toEqual({ access: 'full', plan: 'pro', reason: 'trialing', until: at(14 * DAY) });
      expect(onTrial(trial, at(14 * DAY - 1))).toBe(true);
      expect(onTrial(trial, at(14 * DAY))).toBe(false);
    });
    it('grace while Stripe settles the end of the trial, then none', () => {
      expect(entitlementFor(trial, at(14 * DAY))).toEqual({
        access: 'grace',
        plan: 'pro',
        reason: 'trial_ending',
        until: at(14 * DAY + TRIAL_SETTLE_MS),
      });
      expect(entitlementFor(trial, at(14 * DAY + TRIAL_SETTLE_MS - 1)).access).toBe('grace');
      expect(entitlementFor(trial, at(14 * DAY + TRIAL_SETTLE_MS)).access).toBe('none');
    });
    it('a trial cancelled at its end says so', () => {
      const cancelling = { ...trial, cancelAtPeriodEnd: true };
      expect(entitlementFor(cancelling, at(DAY))).toMatchObject({ access: 'full', reason: 'trialing', until: at(14 * DAY) });
      expect(entitlementFor(cancelling, at(14 * DAY))).toMatchObject({ access: 'none', reason: 'ended' });
      const early = { ...trial, cancelAt: at(5 * DAY) };
      expect(entitlementFor(early, at(DAY))).toMatchObject({ access: 'full', reason: 'cancel_pending', until: at(5 * DAY) });
      expect(entitlementFor(early, at(5 * DAY))).toMatchObject({ access: 'none', reason: 'ended' });
    });
  });

  describe('cancel pending', () => {
    it('cancel_at_period_end keeps full access to the second the period ends', () => {
      const s = sub({ cancelAtPeriodEnd: true });
      expect(entitlementFor(s, at(31 * DAY - 1))).toEqual({ access: 'full', plan: 'pro', reason: 'cancel_pending', until: at(31 * DAY) });
      expect(onGracePeriod(s, at(31 * DAY - 1))).toBe(true);
      expect(entitlementFor(s, at(31 * DAY))).toMatchObject({ access: 'none', reason: 'ended' });
      expect(onGracePeriod(s, at(31 * DAY))).toBe(false);
    });
    it('cancel_at wins over the period end', () => {
      const s = sub({ cancelAt: at(10 * DAY) });
      expect(entitlementFor(s, at(10 * DAY - 1))).toMatchObject({ access: 'full', reason: 'cancel_pending', until: at(10 * DAY) });
      expect(entitlementFor(s, at(10 * DAY)).access).toBe('none');
    });
  });

  describe('past due', () => {
    const s = sub({ status: 'past_due' });
    const graceEnd = PAST_DUE_GRACE_DAYS * DAY;
    it(`grace for ${PAST_DUE_GRACE_DAYS} days from the unpaid period's start, not a second more`, () => {
      expect(entitlementFor(s, at(graceEnd - 1))).toEqual({ access: 'grace', plan: 'pro', reason: 'past_due', until: at(graceEnd) });
      expect(entitlementFor(s, at(graceEnd))).toEqual({ access: 'none', plan: 'pro', reason: 'past_due_grace_over', until: null });
    });
    it('grace days are configurable', () => {
      expect(entitlementFor(s, at(2 * DAY), { graceDays: 2 }).access).toBe('none');
      expect(entitlementFor(s, at(2 * DAY - 1), { graceDays: 2 }).access).toBe('grace');
    });
    it('without a period start there is no grace', () => {
      expect(entitlementFor(sub({ status: 'past_due', currentPeriodStart: null }), t0).access).toBe('none');
    });
  });

  it('paused collection or a paused subscription: none, until it resumes', () => {
    expect(entitlementFor(sub({ pauseBehavior: 'void', pauseResumesAt: at(20 * DAY) }), at(DAY))).toEqual({
      access: 'none',
      plan: 'pro',
      reason: 'collection_paused',
      until: at(20 * DAY),
    });
    expect(entitlementFor(sub({ status: 'paused' }), at(DAY))).toMatchObject({ access: 'none', reason: 'paused' });
  });

  it('incomplete, expired, canceled and unpaid: none', () => {
    expect(entitlementFor(sub({ status: 'incomplete' }), t0)).toMatchObject({ access: 'none', reason: 'incomplete' });
    for (const status of ['incomplete_expired', 'canceled', 'unpaid'] as const) {
      expect(entitlementFor(sub({ status }), t0)).toMatchObject({ access: 'none', reason: 'ended' });
    }
  });
});

describe('hasFeature and messages', () => {
  it('follows the plan and the access', () => {
    expect(hasFeature(entitlementFor(sub({ priceLookupKey: 'starter_monthly' }), t0), 'api')).toBe(true);
    expect(hasFeature(entitlementFor(sub({ priceLookupKey: 'starter_monthly' }), t0), 'usage_analytics')).toBe(false);
    expect(hasFeature(entitlementFor(sub({ status: 'past_due' }), at(DAY)), 'usage_analytics')).toBe(true);
    expect(hasFeature(entitlementFor(sub({ status: 'canceled' }), t0), 'api')).toBe(false);
  });
  it('explains every no-access reason in words a person can act on', () => {
    expect(explainNoAccess(entitlementFor(null, t0))).toMatch(/Choose a plan/);
    expect(explainNoAccess(entitlementFor(sub({ status: 'incomplete' }), t0))).toMatch(/Finish paying/);
    expect(explainNoAccess(entitlementFor(sub({ status: 'past_due' }), at(30 * DAY)))).toMatch(/Update your card/);
    expect(explainNoAccess(entitlementFor(sub({ status: 'paused' }), t0))).toMatch(/Resume/);
    expect(explainNoAccess(entitlementFor(sub({ status: 'canceled' }), t0))).toMatch(/ended/);
  });
});
