/**
 * Allowance alerts: when a user's calls this period reach 80% and then 100% of their plan's included
 * calls, one email per threshold per period goes into the outbox (dedupe key
 * `usage-alert:{userId}:{periodStart}:{allowance}:{threshold}`). The banner on the pages is computed from the
 * same numbers (`thresholdOf`). Checked by the reporter's tick for the users the ledger wrote since.
 */
import { db } from '~/db/client.server';
import { PLANS } from '~/billing/plans';
import { clock } from '~/lib/clock.server';
import { queueMail } from '~/mail/outbox.server';
import { callsInPeriod, thresholdOf, usagePeriodAt, usagePlanOf } from './summary.server';

/** Queue the alert emails due for these users; returns how many were queued. */
export function checkUsageAlerts(userIds: Iterable<string>, now = clock.now()): number {
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
    const wrote = db().transaction((tx) =>
      queueMail(tx, {
        dedupeKey: `usage-alert:${userId}:${period.start.toISOString()}:${allowance}:${threshold}`,
        kind: 'usage_threshold',
        userId,
        data: {
          threshold,
          calls: total,
          allowance,
          plan: planKey,
          periodStart: period.start.toISOString(),
          periodEnd: period.end.toISOString(),
        },
      }),
    );
    if (wrote) queued++;
  }
  return queued;
}
