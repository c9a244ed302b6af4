/**
 * The plan-change rules (app/billing/plan-change.ts, docs/billing.md "Changing plan") for every pair of
 * (current, wanted) among eight choices, in each state: active, trial, cancel pending, a downgrade
 * pending, past due, and the states that cannot change at all. The expected matrix is written by hand
 * from the prices in plans.ts (amount per month: Starter $12 / $10, Pro $49 / $40.83, Team $15 / $12.50
 * a seat), not computed by the function under test.
 */
import { describe, expect, it } from 'vitest';
import { decidePlanChange, monthlyAmount, type CurrentPlan, type PlanChoice } from '~/billing/plan-change';
import { MAX_SEATS } from '~/billing/plans';

const CHOICES: Record<string, PlanChoice> = {
  Sm: { plan: 'starter', interval: 'month', seats: 1 },
  Sy: { plan: 'starter', interval: 'year', seats: 1 },
  Pm: { plan: 'pro', interval: 'month', seats: 1 },
  Py: { plan: 'pro', interval: 'year', seats: 1 },
  T3m: { plan: 'team', interval: 'month', seats: 3 },
  T3y: { plan: 'team', interval: 'year', seats: 3 },
  T5m: { plan: 'team', interval: 'month', seats: 5 },
  T2m: { plan: 'team', interval: 'month', seats: 2 },
};
const COLUMNS = ['Sm', 'Sy', 'Pm', 'Py', 'T3m', 'T3y', 'T5m', 'T2m'] as const;

// N: applies now and is charged now; E: at the period end; S: the same plan (refused).
const MATRIX: Record<string, string> = {
  Sm: 'S N N N N N N N',
  Sy: 'E S E N E N E E',
  Pm: 'E N S N E N N E',
  Py: 'E E E S E E E E',
  T3m: 'E N N N S N N E',
  T3y: 'E E E N E S E E',
  T5m: 'E N E N E N S E',
  T2m: 'E N N N N N N S',
};

function current(key: string, extra: Partial<CurrentPlan> = {}): CurrentPlan {
  return { ...CHOICES[key]!, status: 'active', collectionPaused: false, cancelPending: false, pending: null, ...extra };
}

const pairs = Object.keys(MATRIX).flatMap((from) => MATRIX[from]!.split(' ').map((cell, i) => ({ from, to: COLUMNS[i]!, cell })));

describe('monthlyAmount', () => {
  it('counts seats and a twelfth of a yearly price', () => {
    expect(monthlyAmount(CHOICES.Sm!)).toBe(1200);
    expect(monthlyAmount(CHOICES.Sy!)).toBe(1000);
    expect(monthlyAmount(CHOICES.Py!)).toBeCloseTo(4083.33, 2);
    expect(monthlyAmount(CHOICES.T3m!)).toBe(4500);
    expect(monthlyAmount(CHOICES.T3y!)).toBe(3750);
    // seats do not count on a plan that is not per seat
    expect(monthlyAmount({ plan: 'pro', interval: 'month', seats: 7 })).toBe(4900);
  });
});

describe('decidePlanChange: active subscription', () => {
  it.each(pairs)('$from → $to is $cell', ({ from, to, cell }) => {
    const decision = decidePlanChange(current(from), CHOICES[to]!);
    if (cell === 'S') expect(decision).toMatchObject({ kind: 'refused', reason: 'same_plan', message: 'That is already your plan.' });
    if (cell === 'N') {
      const resetsPeriod = CHOICES[from]!.interval !== CHOICES[to]!.interval;
      expect(decision).toEqual({ kind: 'now', charge: true, resetsPeriod, clearsCancel: false, dropsPending: false });
    }
    if (cell === 'E') expect(decision).toEqual({ kind: 'period_end', clearsCancel: false, replacesPending: false });
  });
});

describe('decidePlanChange: trial', () => {
  it.each(pairs)('$from → $to applies now, charges nothing, keeps the trial ($cell when active)', ({ from, to, cell }) => {
    const decision = decidePlanChange(current(from, { status: 'trialing' }), CHOICES[to]!);
    if (cell === 'S') expect(decision).toMatchObject({ kind: 'refused', reason: 'same_plan' });
    else expect(decision).toEqual({ kind: 'now', charge: false, resetsPeriod: false, clearsCancel: false, dropsPending: false });
  });
});

describe('decidePlanChange: set to cancel at the period end', () => {
  it.each(pairs)('$from → $to clears the cancellation ($cell)', ({ from, to, cell }) => {
    const decision = decidePlanChange(current(from, { cancelPending: true }), CHOICES[to]!);
    const resetsPeriod = CHOICES[from]!.interval !== CHOICES[to]!.interval;
    if (cell === 'S')
      expect(decision).toEqual({ kind: 'now', charge: false, resetsPeriod: false, clearsCancel: true, dropsPending: false });
    if (cell === 'N') expect(decision).toEqual({ kind: 'now', charge: true, resetsPeriod, clearsCancel: true, dropsPending: false });
    if (cell === 'E') expect(decision).toEqual({ kind: 'period_end', clearsCancel: true, replacesPending: false });
  });
  it('a trial set to cancel keeps its trial and clears the cancellation', () => {
    expect(decidePlanChange(current('Pm', { status: 'trialing', cancelPending: true }), CHOICES.Sm!)).toEqual({
      kind: 'now',
      charge: false,
      resetsPeriod: false,
      clearsCancel: true,
      dropsPending: false,
    });
  });
});

describe('decidePlanChange: a downgrade already scheduled', () => {
  // Pro monthly with a switch to Starter monthly at the period end.
  const pending = current('Pm', { pending: CHOICES.Sm! });
  it.each(COLUMNS.map((to) => ({ to, cell: MATRIX.Pm!.split(' ')[COLUMNS.indexOf(to)]! })))('Pm (→ Sm pending) → $to', ({ to, cell }) => {
    const decision = decidePlanChange(pending, CHOICES[to]!);
    if (to === 'Pm') return expect(decision).toEqual({ kind: 'keep_current' });
    if (to === 'Sm') return expect(decision).toMatchObject({ kind: 'refused', reason: 'already_scheduled' });
    if (cell === 'N')
      expect(decision).toEqual({
        kind: 'now',
        charge: true,
        resetsPeriod: CHOICES[to]!.interval !== 'month',
        clearsCancel: false,
        dropsPending: true,
      });
    if (cell === 'E') expect(decision).toEqual({ kind: 'period_end', clearsCancel: false, replacesPending: true });
  });
  it('in a trial, a change drops the scheduled one', () => {
    expect(decidePlanChange(current('Pm', { status: 'trialing', pending: CHOICES.Sm! }), CHOICES.T5m!)).toEqual({
      kind: 'now',
      charge: false,
      resetsPeriod: false,
      clearsCancel: false,
      dropsPending: true,
    });
  });
  it('Team seats 5 → 2 pending, then 5 → 5 keeps the current seats', () => {
    expect(decidePlanChange(current('T5m', { pending: CHOICES.T2m! }), CHOICES.T5m!)).toEqual({ kind: 'keep_current' });
  });
});

describe('decidePlanChange: states that cannot change plan', () => {
  it.each(pairs)('past due / unpaid: $from → $to is refused until the invoice is paid', ({ from, to }) => {
    for (const status of ['past_due', 'unpaid'] as const) {
      expect(decidePlanChange(current(from, { status }), CHOICES[to]!)).toEqual({
        kind: 'refused',
        reason: 'past_due',
        message: 'Your last payment failed. Pay the open invoice first, then change your plan.',
      });
    }
  });
  it('incomplete, paused collection, paused, canceled and expired are refused with what to do', () => {
    expect(decidePlanChange(current('Sm', { status: 'incomplete' }), CHOICES.Pm!)).toMatchObject({
      kind: 'refused',
      reason: 'not_changeable',
      message: 'Finish paying for your subscription first.',
    });
    expect(decidePlanChange(current('Sm', { collectionPaused: true }), CHOICES.Pm!)).toMatchObject({
      kind: 'refused',
      message: expect.stringContaining('Resume it first'),
    });
    for (const status of ['paused', 'canceled', 'incomplete_expired'] as const) {
      expect(decidePlanChange(current('Sm', { status }), CHOICES.Pm!)).toMatchObject({ kind: 'refused', reason: 'not_changeable' });
    }
  });
  it('seats outside 1…MAX_SEATS are refused for a per-seat plan and ignored for the others', () => {
    for (const seats of [0, MAX_SEATS + 1, 2.5]) {
      expect(decidePlanChange(current('T3m'), { plan: 'team', interval: 'month', seats })).toEqual({
        kind: 'refused',
        reason: 'invalid_seats',
        message: `Choose between 1 and ${MAX_SEATS} seats.`,
      });
    }
    expect(decidePlanChange(current('T3m'), { plan: 'team', interval: 'month', seats: MAX_SEATS })).toMatchObject({
      kind: 'now',
      charge: true,
    });
    expect(decidePlanChange(current('Sm'), { plan: 'pro', interval: 'month', seats: 0 })).toMatchObject({ kind: 'now', charge: true });
  });
});
