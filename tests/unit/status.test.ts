import { describe, expect, it } from 'vitest';
import { describeStatus, shortDate, daysLeft } from '~/billing/status';
import type { SubscriptionFacts } from '~/billing/entitlements';

const now = new Date('2026-11-28T12:00:00Z');
const d = (iso: string) => new Date(iso);
const base: SubscriptionFacts = {
  status: 'active',
  priceLookupKey: 'pro_monthly',
  cancelAtPeriodEnd: false,
  cancelAt: null,
  pauseBehavior: null,
  pauseResumesAt: null,
  trialEnd: null,
  currentPeriodStart: d('2026-11-03T00:00:00Z'),
  currentPeriodEnd: d('2027-01-03T00:00:00Z'),
};
const next = { amount: 4900, currency: 'usd' };

describe('describeStatus', () => {
  it('active renews with the amount', () => {
    expect(describeStatus(base, now, next)).toEqual({ label: 'Active', tone: 'green', detail: 'Renews 3 Jan 2027 for $49.00.' });
    expect(describeStatus({ ...base, currentPeriodEnd: d('2026-12-03T00:00:00Z') }, now, next).detail).toBe('Renews 3 Dec for $49.00.');
  });
  it('trial counts down', () => {
    const trial = { ...base, status: 'trialing' as const, trialEnd: d('2026-12-12T00:00:00Z') };
    expect(describeStatus(trial, now, next)).toEqual({ label: 'Trial', tone: 'blue', detail: 'Ends 12 Dec (14 days left), then $49.00.' });
    expect(describeStatus({ ...trial, cancelAtPeriodEnd: true }, now, next).detail).toBe('Ends 12 Dec (14 days left); it will not renew.');
  });
  it('cancel pending names the day', () => {
    expect(describeStatus({ ...base, cancelAtPeriodEnd: true, currentPeriodEnd: d('2026-12-03T00:00:00Z') }, now, next)).toEqual({
      label: 'Cancels on 3 Dec',
      tone: 'amber',
      detail: 'You keep full access until 3 Dec. Nothing more will be charged.',
    });
  });
  it('past due asks for a card, with the grace deadline', () => {
    const pd = describeStatus({ ...base, status: 'past_due', currentPeriodStart: d('2026-11-25T00:00:00Z') }, now, next);
    expect(pd).toEqual({
      label: 'Past due',
      tone: 'red',
      detail: 'Your last payment failed: update your card before 2 Dec to keep access.',
    });
  });
  it('paused, incomplete and ended states', () => {
    expect(describeStatus({ ...base, pauseBehavior: 'void', pauseResumesAt: d('2026-12-20T00:00:00Z') }, now, next)).toMatchObject({
      label: 'Paused',
      detail: 'Payments are paused until 20 Dec.',
    });
    expect(describeStatus({ ...base, status: 'incomplete' }, now, next)).toMatchObject({ label: 'Incomplete', tone: 'amber' });
    expect(describeStatus({ ...base, status: 'canceled' }, now, next)).toMatchObject({ label: 'Canceled', tone: 'gray' });
    expect(describeStatus({ ...base, status: 'unpaid' }, now, next)).toMatchObject({ label: 'Unpaid', tone: 'red' });
    expect(describeStatus({ ...base, status: 'incomplete_expired' }, now, next)).toMatchObject({ label: 'Expired' });
  });
  it('helpers', () => {
    expect(shortDate(d('2026-12-12T23:59:59Z'), now)).toBe('12 Dec');
    expect(daysLeft(d('2026-11-29T12:00:00Z'), now)).toBe(1);
    expect(daysLeft(d('2026-11-29T12:00:01Z'), now)).toBe(2);
    expect(daysLeft(d('2026-11-01T00:00:00Z'), now)).toBe(0);
  });
});
