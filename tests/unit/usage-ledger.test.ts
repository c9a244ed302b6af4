import { beforeAll, describe, expect, it } from 'vitest';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { UsageLedger, utcDay } from '~/usage/ledger.server';
import { clock } from '~/lib/clock.server';

const rows = (userId: string) =>
  db().$client.prepare('SELECT api_key_id, meter, value, occurred_at FROM usage_events WHERE user_id = ? ORDER BY id').all(userId) as {
    api_key_id: string | null;
    value: number;
    occurred_at: number;
  }[];
const daily = (userId: string) =>
  db().$client.prepare('SELECT day, api_key_id, calls FROM usage_daily WHERE user_id = ? ORDER BY day, api_key_id').all(userId) as {
    day: string;
    api_key_id: string;
    calls: number;
  }[];

beforeAll(() => {
  for (const id of ['u_ledger_1', 'u_ledger_2', 'u_ledger_3']) {
    db()
      .insert(users)
      .values({ id, email: `${id}@example.com`, name: id, passwordHash: 'x' })
      .run();
  }
});

describe('usage ledger', () => {
  it('writes a burst of calls in one transaction, with the daily rollups, before any call resolves', async () => {
    const ledger = new UsageLedger();
    let resolved = 0;
    const calls = Array.from({ length: 250 }, (_, i) =>
      ledger.record({ userId: 'u_ledger_1', apiKeyId: i % 5 === 0 ? 'key_b' : 'key_a', meter: 'api_call' }).then(() => {
        resolved++;
        // Durable when it resolves: the row is already visible to another read.
        expect(rows('u_ledger_1').length).toBe(250);
      }),
    );
    expect(rows('u_ledger_1')).toHaveLength(0);
    await Promise.all(calls);
    expect(resolved).toBe(250);
    expect(ledger.stats).toEqual({ transactions: 1, rows: 250 });
    const today = utcDay(clock.nowMs());
    expect(daily('u_ledger_1')).toEqual([
      { day: today, api_key_id: 'key_a', calls: 200 },
      { day: today, api_key_id: 'key_b', calls: 50 },
    ]);
  });

  it('rolls up per UTC day and adds to an existing day', async () => {
    const ledger = new UsageLedger();
    try {
      clock.freeze(Date.parse('2027-03-01T23:59:59.900Z'));
      await Promise.all([1, 2, 3].map(() => ledger.record({ userId: 'u_ledger_2', apiKeyId: 'k', meter: 'api_call' })));
      clock.freeze(Date.parse('2027-03-02T00:00:00.100Z'));
      await ledger.record({ userId: 'u_ledger_2', apiKeyId: 'k', meter: 'api_call' });
      await ledger.record({ userId: 'u_ledger_2', apiKeyId: 'k', meter: 'api_call', value: 4 });
    } finally {
      clock.reset();
    }
    expect(daily('u_ledger_2')).toEqual([
      { day: '2027-03-01', api_key_id: 'k', calls: 3 },
      { day: '2027-03-02', api_key_id: 'k', calls: 5 },
    ]);
    expect(rows('u_ledger_2').map((r) => r.value)).toEqual([1, 1, 1, 1, 4]);
  });

  it('counts a call retried with the same Idempotency-Key once', async () => {
    const ledger = new UsageLedger();
    await Promise.all([
      ledger.record({ userId: 'u_ledger_3', apiKeyId: 'k', meter: 'api_call', idempotencyKey: 'retry-1' }),
      ledger.record({ userId: 'u_ledger_3', apiKeyId: 'k', meter: 'api_call', idempotencyKey: 'retry-1' }),
    ]);
    await ledger.record({ userId: 'u_ledger_3', apiKeyId: 'k', meter: 'api_call', idempotencyKey: 'retry-1' });
    await ledger.record({ userId: 'u_ledger_3', apiKeyId: 'k', meter: 'api_call', idempotencyKey: 'other' });
    await ledger.record({ userId: 'u_ledger_3', apiKeyId: 'k', meter: 'api_call' });
    expect(rows('u_ledger_3')).toHaveLength(3);
    expect(daily('u_ledger_3')[0]!.calls).toBe(3);
  });

  it('rejects every waiting call when the transaction fails, and counts none of them', async () => {
    const ledger = new UsageLedger();
    const bad = ledger.record({ userId: 'u_ledger_1', apiKeyId: 'k', meter: null as unknown as string });
    const good = ledger.record({ userId: 'u_ledger_1', apiKeyId: 'k', meter: 'api_call' });
    await expect(bad).rejects.toThrow(/NOT NULL/);
    await expect(good).rejects.toThrow(/NOT NULL/);
    expect(rows('u_ledger_1')).toHaveLength(250);
  });
});
