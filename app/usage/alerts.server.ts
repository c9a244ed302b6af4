/**
 * Allowance alerts: when a user's calls this period reach 80% and then 100% of their plan's included
 * calls, one email per threshold per period goes into the outbox (dedupe key
 * `usage-alert:{userId}:{periodStart}:{allowance}:{threshold}`). The banner on the pages is computed from the
 * same numbers (`thresholdOf`). Checked by the reporter's tick for the users the ledger wrote since.
 */
import { db } from '~/db/client.server';
import { PLANS } from '~/billing/plans';
import { clock, machineClock } from '~/lib/clock.server';
import { callsInPeriod, thresholdOf, usagePeriodAt, usagePlanOf } from './summary.server';

/** Queue the alert emails due for these users; returns how many were queued. */
export function checkUsageAlerts(userIds: Iterable<string>, now = clock.now()): number {
  const sqlite = db().$client;
  const insert = sqlite.prepare(
    `INSERT INTO outbox (dedupe_key, template, user_id, to_email, data, status, created_at)
     SELECT ?, 'usage_threshold', u.id, u.email, ?, 'pending', ? FROM users u WHERE u.id = ?
     ON CONFLICT (dedupe_key) DO NOTHING`,
  );
  let queued = 0;
  for (const userId of userIds) {
    const { planKey, anchor } = usagePlanOf(userId);
    if (!planKey) continue;
    const allowance = PLANS[planKey].includedApiCalls;
    const period = usagePeriodAt(anchor, now);
    const total = callsInPeriod(userId, period);
    const threshold = thresholdOf(total, allowance);
    if (!threshold) continue;
    // The highest threshold reached (usage only grows within a period, so a skipped 80% never
    // comes due later; after an upgrade the bigger allowance starts from its own thresholds).
    const data = JSON.stringify({
      threshold,
      calls: total,
      allowance,
      plan: planKey,
      periodStart: period.start.toISOString(),
      periodEnd: period.end.toISOString(),
    });
    queued += insert.run(
      `usage-alert:${userId}:${period.start.toISOString()}:${allowance}:${threshold}`,
      data,
      machineClock.nowMs(),
      userId,
    ).changes;
  }
  return queued;
}
