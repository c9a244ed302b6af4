/**
 * What `/billing/usage`, its CSV and the overview's usage bar show, from the local rollups and the
 * report log only (never a Stripe call):
 *
 *  - the usage period: the subscription's monthly cycle (anchored on its current period's start; the
 *    metered price bills monthly), or the calendar month (UTC) without a subscription;
 *  - days are UTC days (`usage_daily`); a day belongs to the period its date falls in, so the day a
 *    period starts on is counted whole in the new period;
 *  - the projection: calls so far + the recent daily rate × the days left, the rate being the average
 *    of the last 7 full days when the period is a week old, else the calls so far ÷ the days elapsed
 *    since the period started (at least one, so an hour's burst is not taken for a daily rate);
 *  - cost beyond the allowance: the plan's graduated price (first tier free, then METERED's unit),
 *    less what the credit packs pay: Stripe spends their grants on the metered line first, a credit
 *    a call (app/billing/credit-grants.server.ts), so the projection counts the credits left.
 */
import { db } from '~/db/client.server';
import { preparedFor } from '~/db/prepared.server';
import { getBillingState, getCreditBalance, type BillingState } from '~/billing/queries.server';
import { CURRENCY, METERED, ONE_TIME, PLANS, planByLookupKey, type PlanKey } from '~/billing/plans';
import { clock } from '~/lib/clock.server';
import { utcDay } from './ledger.server';

const DAY_MS = 86_400_000;

interface UsagePeriod {
  start: string; // ISO
  end: string; // ISO
  /** UTC days [firstDay, lastDay] that belong to the period. */
  firstDay: string;
  lastDay: string;
}

export interface UsageSummary {
  planKey: PlanKey | null;
  planName: string | null;
  allowance: number | null;
  unitAmount: number;
  currency: string;
  period: UsagePeriod;
  total: number;
  days: { date: string; calls: number; cumulative: number }[];
  byKey: { apiKeyId: string; name: string; prefix: string | null; revoked: boolean; calls: number }[];
  /** `overage` calls beyond the allowance, `fromCredits` of them paid with credits, `cost` the rest. */
  projection: { total: number; dailyRate: number; method: string; overage: number; fromCredits: number; cost: number } | null;
  /** Credit-pack credits left (one pays for one call beyond the allowance). */
  credits: number;
  history: { start: string; end: string; firstDay: string; lastDay: string; calls: number }[];
  reported: { sent: number; pending: number; failed: number };
  threshold: 0 | 80 | 100;
  hasAnyUsage: boolean;
}

/** Months added to a date, clamped to the month's last day (as Stripe moves billing anchors). */
function addMonths(anchor: Date, months: number): Date {
  const d = new Date(anchor);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** The monthly usage period containing `now`, anchored on `anchor` (or the 1st of the month). */
export function usagePeriodAt(anchor: Date | null, now: Date, back = 0): { start: Date; end: Date } {
  const a = anchor ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  let k = (now.getUTCFullYear() - a.getUTCFullYear()) * 12 + (now.getUTCMonth() - a.getUTCMonth()) + 1;
  while (addMonths(a, k) > now) k--;
  while (addMonths(a, k + 1) <= now) k++;
  return { start: addMonths(a, k - back), end: addMonths(a, k + 1 - back) };
}

function period(p: { start: Date; end: Date }): UsagePeriod {
  return {
    start: p.start.toISOString(),
    end: p.end.toISOString(),
    firstDay: utcDay(p.start.getTime()),
    lastDay: utcDay(p.end.getTime() - DAY_MS),
  };
}

/**
 * Cost in minor units of `calls` on a plan: the allowance free, then credits (each pays
 * `creditValue` of a call's price), the rest at METERED's unit amount.
 */
export function overageCost(calls: number, allowance: number, credits = 0): { overage: number; fromCredits: number; cost: number } {
  const overage = Math.max(0, calls - allowance);
  const unit = METERED.price.unitAmount;
  const fromCredits = Math.min(overage, Math.floor((credits * ONE_TIME.credit_pack.creditValue) / unit));
  return { overage, fromCredits, cost: (overage - fromCredits) * unit };
}

/** The usage statements every page with the usage bar runs, compiled once per database handle. */
const statements = preparedFor((d) => ({
  callsInPeriod: d.$client.prepare(
    `SELECT coalesce(sum(calls), 0) AS n FROM usage_daily WHERE user_id = ? AND meter = ? AND day >= ? AND day <= ?`,
  ),
  callsPerKey: d.$client.prepare(
    `SELECT day, api_key_id AS apiKeyId, calls FROM usage_daily WHERE user_id = ? AND meter = ? AND day >= ? AND day <= ? ORDER BY day`,
  ),
  callsPerDay: d.$client.prepare(
    `SELECT day, sum(calls) AS calls FROM usage_daily WHERE user_id = ? AND meter = ? AND day >= ? AND day <= ? GROUP BY day`,
  ),
  unreported: d.$client.prepare(
    'SELECT coalesce(sum(value), 0) AS v FROM usage_events WHERE report_id IS NULL AND user_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?',
  ),
  openReports: d.$client.prepare(
    `SELECT status, coalesce(sum(value), 0) AS v FROM meter_reports WHERE status IN ('pending', 'failed') AND user_id = ? AND meter = ? AND window_start >= ? AND window_start < ? GROUP BY status`,
  ),
}));

/**
 * The user's plan and usage anchor from the mirror. `state`: the request's billing state when the
 * page has read it already (only its subscription is used).
 */
export function usagePlanOf(userId: string, state?: BillingState): { planKey: PlanKey | null; anchor: Date | null } {
  const sub = (state ?? getBillingState({ userId, invoiceLimit: 0 })).subscription;
  const live = sub && ['active', 'trialing', 'past_due', 'unpaid', 'paused'].includes(sub.status);
  const planKey = live && sub.priceLookupKey ? (planByLookupKey(sub.priceLookupKey)?.plan.key ?? null) : null;
  return { planKey, anchor: live ? sub.currentPeriodStart : null };
}

/** Calls in the user's current usage period (rollups). */
export function callsInPeriod(userId: string, p: { start: Date; end: Date }): number {
  const row = statements().callsInPeriod.get(
    userId,
    METERED.meter.eventName,
    utcDay(p.start.getTime()),
    utcDay(p.end.getTime() - DAY_MS),
  ) as {
    n: number;
  };
  return row.n;
}

export function thresholdOf(total: number, allowance: number | null): 0 | 80 | 100 {
  if (!allowance) return 0;
  if (total >= allowance) return 100;
  if (total * 100 >= allowance * 80) return 80;
  return 0;
}

/** The period's days up to today with their calls and the running total (days without calls count 0). */
function dailySeries(perDay: Map<string, number>, p: UsagePeriod, today: string): UsageSummary['days'] {
  const days: UsageSummary['days'] = [];
  let cumulative = 0;
  const last = p.lastDay < today ? p.lastDay : today;
  for (let t = Date.parse(`${p.firstDay}T00:00:00Z`), date = utcDay(t); date <= last; t += DAY_MS, date = utcDay(t)) {
    const calls = perDay.get(date) ?? 0;
    cumulative += calls;
    days.push({ date, calls, cumulative });
  }
  return days;
}

/** The projection from the recent daily rate (null before the first call), as the page and the bar show it. */
function projectionOf(input: {
  days: UsageSummary['days'];
  total: number;
  now: Date;
  current: { start: Date; end: Date };
  today: string;
  allowance: number | null;
  credits: number;
}): UsageSummary['projection'] {
  const { days, total, now, current, today } = input;
  const elapsedDays = Math.max((now.getTime() - current.start.getTime()) / DAY_MS, 1);
  const leftDays = Math.max(0, (current.end.getTime() - now.getTime()) / DAY_MS);
  let dailyRate: number;
  let method: string;
  const fullDays = days.filter((d) => d.date < today);
  if (fullDays.length >= 7) {
    const last7 = fullDays.slice(-7);
    dailyRate = last7.reduce((s, d) => s + d.calls, 0) / 7;
    method = `the average of the last 7 full days (${Math.round(dailyRate).toLocaleString('en-US')} calls a day) × the ${leftDays.toFixed(1)} days left`;
  } else {
    dailyRate = total / elapsedDays;
    method = `the calls so far ÷ the ${elapsedDays.toFixed(1)} days elapsed (counted as at least 1) (${Math.round(dailyRate).toLocaleString('en-US')} calls a day) × the ${leftDays.toFixed(1)} days left`;
  }
  const projectedTotal = Math.round(total + dailyRate * leftDays);
  return total > 0
    ? { total: projectedTotal, dailyRate, method, ...overageCost(projectedTotal, input.allowance ?? 0, input.credits) }
    : null;
}

export function getUsageSummary({ userId, now = clock.now() }: { userId: string; now?: Date }): UsageSummary {
  const sqlite = db().$client;
  const q = statements();
  const meter = METERED.meter.eventName;
  const { planKey, anchor } = usagePlanOf(userId);
  const plan = planKey ? PLANS[planKey] : null;
  const allowance = plan?.includedApiCalls ?? null;
  const current = usagePeriodAt(anchor, now);
  const p = period(current);

  const rows = q.callsPerKey.all(userId, meter, p.firstDay, p.lastDay) as { day: string; apiKeyId: string; calls: number }[];
  const perDay = new Map<string, number>();
  const perKey = new Map<string, number>();
  for (const r of rows) {
    perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.calls);
    perKey.set(r.apiKeyId, (perKey.get(r.apiKeyId) ?? 0) + r.calls);
  }
  const today = utcDay(now.getTime());
  const days = dailySeries(perDay, p, today);
  const total = days.at(-1)?.cumulative ?? 0;

  const keyIds = [...perKey.keys()].filter(Boolean);
  const keyRows = keyIds.length
    ? (sqlite
        .prepare(
          `SELECT id, name, prefix, revoked_at AS revokedAt FROM api_keys WHERE user_id = ? AND id IN (${keyIds.map(() => '?').join(',')})`,
        )
        .all(userId, ...keyIds) as {
        id: string;
        name: string;
        prefix: string;
        revokedAt: number | null;
      }[])
    : [];
  const byKey = [...perKey.entries()]
    .map(([apiKeyId, calls]) => {
      const k = keyRows.find((r) => r.id === apiKeyId);
      return {
        apiKeyId,
        name: k?.name ?? (apiKeyId ? 'Deleted key' : 'Without a key'),
        prefix: k?.prefix ?? null,
        revoked: !!k?.revokedAt,
        calls,
      };
    })
    .sort((a, b) => b.calls - a.calls);

  const credits = getCreditBalance({ userId });
  const projection = projectionOf({ days, total, now, current, today, allowance, credits });

  // The last 6 periods (the current one first).
  const history: UsageSummary['history'] = [];
  const oldest = period(usagePeriodAt(anchor, now, 5));
  const perDayAll = q.callsPerDay.all(userId, meter, oldest.firstDay, p.lastDay) as { day: string; calls: number }[];
  for (let back = 0; back < 6; back++) {
    const q = period(usagePeriodAt(anchor, now, back));
    history.push({
      start: q.start,
      end: q.end,
      firstDay: q.firstDay,
      lastDay: q.lastDay,
      calls: perDayAll.filter((d) => d.day >= q.firstDay && d.day <= q.lastDay).reduce((s, d) => s + d.calls, 0),
    });
  }

  // Reported to Stripe: every ledger row is unreported, in a pending report, in a refused one, or
  // accepted by Stripe; the first three are few (indexed), so "sent" is the rest of this period.
  const fromMs = Date.parse(`${p.firstDay}T00:00:00Z`);
  const toMs = Date.parse(`${p.lastDay}T00:00:00Z`) + DAY_MS;
  const unreported = (q.unreported.get(userId, meter, fromMs, toMs) as { v: number }).v;
  const open = q.openReports.all(userId, meter, fromMs / 1000, toMs / 1000) as { status: string; v: number }[];
  const pending = unreported + (open.find((r) => r.status === 'pending')?.v ?? 0);
  const failed = open.find((r) => r.status === 'failed')?.v ?? 0;
  const sent = Math.max(0, total - pending - failed);
  const hasAnyUsage = total > 0 || history.some((h) => h.calls > 0);

  return {
    planKey,
    planName: plan?.name ?? null,
    allowance,
    unitAmount: METERED.price.unitAmount,
    currency: CURRENCY,
    period: p,
    total,
    days,
    byKey,
    projection,
    credits,
    history,
    reported: { sent, failed, pending },
    threshold: thresholdOf(total, allowance),
    hasAnyUsage,
  };
}

/** The CSV of the daily rows of a period (`date,api_key,calls`), keys named by their prefix. */
export function usageCsv({ userId, now = clock.now() }: { userId: string; now?: Date }): string {
  const { anchor } = usagePlanOf(userId);
  const p = period(usagePeriodAt(anchor, now));
  const rows = db()
    .$client.prepare(
      `SELECT d.day, coalesce(k.prefix, d.api_key_id) AS key, d.calls FROM usage_daily d LEFT JOIN api_keys k ON k.id = d.api_key_id
        WHERE d.user_id = ? AND d.meter = ? AND d.day >= ? AND d.day <= ? ORDER BY d.day, key`,
    )
    .all(userId, METERED.meter.eventName, p.firstDay, p.lastDay) as { day: string; key: string; calls: number }[];
  const cell = (v: string) => (/[",\n\r]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return ['date,api_key,calls', ...rows.map((r) => `${r.day},${cell(r.key || 'none')},${r.calls}`)].join('\n') + '\n';
}

/**
 * The overview's compact usage bar (null without a plan that includes calls): the usage page's total,
 * projection and threshold, without the parts only that page shows (per key, history, reporting).
 * `state`: the request's billing state when the page has read it already.
 */
export function getUsageBar({ userId, now = clock.now(), state }: { userId: string; now?: Date; state?: BillingState }) {
  const { planKey, anchor } = usagePlanOf(userId, state);
  const allowance = planKey ? PLANS[planKey].includedApiCalls : null;
  if (allowance === null) return null;
  const current = usagePeriodAt(anchor, now);
  const p = period(current);
  const rows = statements().callsPerDay.all(userId, METERED.meter.eventName, p.firstDay, p.lastDay) as { day: string; calls: number }[];
  const today = utcDay(now.getTime());
  const days = dailySeries(new Map(rows.map((r) => [r.day, r.calls])), p, today);
  const total = days.at(-1)?.cumulative ?? 0;
  const projection = projectionOf({ days, total, now, current, today, allowance, credits: getCreditBalance({ userId }) });
  return {
    total,
    allowance,
    projectedTotal: projection?.total ?? null,
    projectedCost: projection?.cost ?? null,
    currency: CURRENCY,
    threshold: thresholdOf(total, allowance),
  };
}
