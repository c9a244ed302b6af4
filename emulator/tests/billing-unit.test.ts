import { describe, expect, it } from 'vitest';
import { PDFDocument } from 'pdf-lib';
import type Stripe from 'stripe';
import { addMonths, boundary, periodContaining, nextBoundaryAfter, formatStripeDate, subscriptionPeriodAt } from '../src/billing/period';
import { prorateAmount, prorationLines, roundDiv } from '../src/billing/proration';
import { applyBalance, computeTotals, discountEnd, percentOf, tieredAmount } from '../src/billing/invoice-math';
import { renderInvoicePdf, formatMoney } from '../src/billing/pdf';

const ts = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const iso = (t: number) => new Date(t * 1000).toISOString();

describe('billing periods', () => {
  it('clamps month-end anchors and comes back to the anchor day', () => {
    const anchor = ts('2026-01-31T10:00:00Z');
    const m = { interval: 'month' as const, interval_count: 1 };
    expect(iso(boundary(anchor, m, 1))).toBe('2026-02-28T10:00:00.000Z');
    expect(iso(boundary(anchor, m, 2))).toBe('2026-03-31T10:00:00.000Z');
    expect(iso(boundary(anchor, m, 3))).toBe('2026-04-30T10:00:00.000Z');
    // leap year
    const a2 = ts('2028-01-31T00:00:00Z');
    expect(iso(boundary(a2, m, 1))).toBe('2028-02-29T00:00:00.000Z');
  });

  it('handles yearly anchors on 29 Feb and interval_count', () => {
    const anchor = ts('2028-02-29T00:00:00Z');
    expect(iso(boundary(anchor, { interval: 'year', interval_count: 1 }, 1))).toBe('2029-02-28T00:00:00.000Z');
    expect(iso(boundary(anchor, { interval: 'year', interval_count: 1 }, 4))).toBe('2032-02-29T00:00:00.000Z');
    const q = { interval: 'month' as const, interval_count: 3 };
    expect(iso(boundary(ts('2026-11-30T00:00:00Z'), q, 1))).toBe('2027-02-28T00:00:00.000Z');
    expect(iso(boundary(ts('2026-11-30T00:00:00Z'), q, 2))).toBe('2027-05-30T00:00:00.000Z');
  });

  it('weekly and daily intervals', () => {
    const a = ts('2026-03-01T12:00:00Z');
    expect(iso(boundary(a, { interval: 'week', interval_count: 2 }, 1))).toBe('2026-03-15T12:00:00.000Z');
    expect(iso(boundary(a, { interval: 'day', interval_count: 1 }, 3))).toBe('2026-03-04T12:00:00.000Z');
  });

  it('finds the period containing a time, also before the anchor', () => {
    const anchor = ts('2026-01-31T00:00:00Z');
    const m = { interval: 'month' as const, interval_count: 1 };
    const p = periodContaining(anchor, m, ts('2026-03-05T00:00:00Z'));
    expect(iso(p.start)).toBe('2026-02-28T00:00:00.000Z');
    expect(iso(p.end)).toBe('2026-03-31T00:00:00.000Z');
    const before = periodContaining(anchor, m, ts('2025-12-15T00:00:00Z'));
    expect(iso(before.start)).toBe('2025-11-30T00:00:00.000Z');
    expect(iso(before.end)).toBe('2025-12-31T00:00:00.000Z');
    expect(iso(nextBoundaryAfter(anchor, m, ts('2026-02-28T00:00:00Z')))).toBe('2026-03-31T00:00:00.000Z');
    // exact boundary belongs to the new period
    expect(periodContaining(anchor, m, ts('2026-02-28T00:00:00Z')).start).toBe(ts('2026-02-28T00:00:00Z'));
  });

  it('stub period before a future anchor', () => {
    const start = ts('2026-01-10T00:00:00Z');
    const anchor = ts('2026-02-01T00:00:00Z');
    const p = subscriptionPeriodAt(start, anchor, { interval: 'month', interval_count: 1 }, start);
    expect(p).toEqual({ start, end: anchor });
  });

  it('addMonths keeps the time of day', () => {
    expect(iso(addMonths(ts('2026-05-31T23:59:59Z'), 1))).toBe('2026-06-30T23:59:59.000Z');
    expect(iso(addMonths(ts('2026-05-15T00:00:00Z'), -5))).toBe('2025-12-15T00:00:00.000Z');
  });

  it('formats dates like Stripe descriptions', () => {
    expect(formatStripeDate(ts('2026-01-05T00:00:00Z'))).toBe('5 Jan 2026');
  });
});

describe('prorations', () => {
  it('rounds halves away from zero with exact integers', () => {
    expect(roundDiv(5n, 2n)).toBe(3);
    expect(roundDiv(-5n, 2n)).toBe(-3);
    expect(roundDiv(4n, 3n)).toBe(1);
    expect(roundDiv(5n, 3n)).toBe(2);
  });

  it('prorates to the second', () => {
    // 30-day period, 10 days left, $30 -> $10
    const start = ts('2026-04-01T00:00:00Z');
    const end = ts('2026-05-01T00:00:00Z');
    const t = ts('2026-04-21T00:00:00Z');
    expect(prorateAmount(3000, 1, start, end, t)).toBe(1000);
    // one second in: 999 * 2591999 / 2592000 = 998.9996 -> 999
    expect(prorateAmount(999, 1, start, end, start + 1)).toBe(999);
    // half way with an odd amount: 1001 * 0.5 = 500.5 -> 501
    expect(prorateAmount(1001, 1, start, end, start + 1296000)).toBe(501);
  });

  it('builds credit and debit lines for an upgrade', () => {
    const start = ts('2026-04-01T00:00:00Z');
    const end = ts('2026-05-01T00:00:00Z');
    const t = start + 12 * 86400 + 3600; // 12 days 1 hour in
    const lines = prorationLines(
      { price: 'price_basic', label: 'Basic', unitAmount: 1000, quantity: 1, subscriptionItem: 'si_1' },
      { price: 'price_pro', label: 'Pro', unitAmount: 2500, quantity: 2, subscriptionItem: 'si_1' },
      start,
      end,
      t,
    );
    const remaining = end - t; // 1551600
    const length = end - start; // 2592000
    expect(lines).toHaveLength(2);
    expect(lines[0].amount).toBe(-Math.round((1000 * remaining) / length)); // -599 (598.6)
    expect(lines[0].amount).toBe(-599);
    expect(lines[1].amount).toBe(Math.round((5000 * remaining) / length)); // 2993.05 -> 2993
    expect(lines[1].amount).toBe(2993);
    expect(lines[0].description).toBe('Unused time on Basic after 13 Apr 2026');
    expect(lines[1].description).toBe('Remaining time on 2 × Pro after 13 Apr 2026');
    expect(lines[1].period).toEqual({ start: t, end });
  });

  it('no lines when nothing changes; only credit when removed', () => {
    const item = { price: 'p', label: 'P', unitAmount: 1000, quantity: 1, subscriptionItem: 'si' };
    expect(prorationLines(item, { ...item }, 0, 100, 50)).toEqual([]);
    const removed = prorationLines(item, null, 0, 100, 50);
    expect(removed).toHaveLength(1);
    expect(removed[0].amount).toBe(-500);
  });

  it('refuses non-integer money', () => {
    expect(() => prorateAmount(10.5, 1, 0, 10, 5)).toThrow();
  });
});

describe('invoice totals', () => {
  it('percent_off per line, credits discounted too', () => {
    const t = computeTotals(
      [
        { amount: 2000, discountable: true },
        { amount: -500, discountable: true },
        { amount: 333, discountable: false },
      ],
      [
        {
          id: 'di_1',
          coupon: { id: 'c', percent_off: 25, amount_off: null, currency: null, duration: 'forever', duration_in_months: null },
          start: 0,
          end: null,
        },
      ],
      'usd',
    );
    expect(t.subtotal).toBe(1833);
    expect(t.lineDiscounts[0]).toEqual([{ discount: 'di_1', amount: 500 }]);
    expect(t.lineDiscounts[1]).toEqual([{ discount: 'di_1', amount: -125 }]);
    expect(t.lineDiscounts[2]).toEqual([]);
    expect(t.totalDiscountAmounts).toEqual([{ discount: 'di_1', amount: 375 }]);
    expect(t.total).toBe(1458);
  });

  it('amount_off split proportionally and capped', () => {
    const c = { id: 'c', percent_off: null, amount_off: 1000, currency: 'usd', duration: 'once', duration_in_months: null };
    const t = computeTotals(
      [
        { amount: 2000, discountable: true },
        { amount: 1000, discountable: true },
      ],
      [{ id: 'di', coupon: c, start: 0, end: null }],
      'usd',
    );
    expect(t.lineDiscounts.map((l) => l[0].amount)).toEqual([667, 333]);
    expect(t.total).toBe(2000);
    const capped = computeTotals([{ amount: 400, discountable: true }], [{ id: 'di', coupon: c, start: 0, end: null }], 'usd');
    expect(capped.total).toBe(0);
    expect(capped.totalDiscountAmounts[0].amount).toBe(400);
    const otherCurrency = computeTotals([{ amount: 400, discountable: true }], [{ id: 'di', coupon: c, start: 0, end: null }], 'eur');
    expect(otherCurrency.total).toBe(400);
  });

  it('percent with decimals', () => {
    expect(percentOf(999, 12.5)).toBe(125); // 124.875
  });

  it('repeating discount end', () => {
    const start = ts('2026-01-31T00:00:00Z');
    expect(
      iso(
        discountEnd({ id: 'c', percent_off: 10, amount_off: null, currency: null, duration: 'repeating', duration_in_months: 1 }, start)!,
      ),
    ).toBe('2026-02-28T00:00:00.000Z');
    expect(
      discountEnd({ id: 'c', percent_off: 10, amount_off: null, currency: null, duration: 'forever', duration_in_months: null }, start),
    ).toBeNull();
  });

  it('customer balance', () => {
    expect(applyBalance(1000, -300)).toEqual({ starting_balance: -300, ending_balance: 0, amount_due: 700 });
    expect(applyBalance(1000, -3000)).toEqual({ starting_balance: -3000, ending_balance: -2000, amount_due: 0 });
    expect(applyBalance(-500, 0)).toEqual({ starting_balance: 0, ending_balance: -500, amount_due: 0 });
    expect(applyBalance(1000, 200)).toEqual({ starting_balance: 200, ending_balance: 0, amount_due: 1200 });
  });

  it('tiers', () => {
    const tiers = [
      { up_to: 10, unit_amount: 100, flat_amount: null },
      { up_to: null, unit_amount: 50, flat_amount: null },
    ];
    expect(tieredAmount(tiers, 'graduated', 15)).toBe(1250);
    expect(tieredAmount(tiers, 'volume', 15)).toBe(750);
    expect(tieredAmount(tiers, 'volume', 5)).toBe(500);
  });
});

describe('invoice pdf', () => {
  it('is a real PDF pdf-lib can load', async () => {
    const inv = {
      id: 'in_123',
      object: 'invoice',
      number: 'ABC-0001',
      status: 'paid',
      currency: 'usd',
      created: ts('2026-04-01T00:00:00Z'),
      period_start: ts('2026-04-01T00:00:00Z'),
      period_end: ts('2026-05-01T00:00:00Z'),
      due_date: null,
      customer: 'cus_1',
      customer_name: 'Ada Lovelace',
      customer_email: 'ada@example.com',
      account_name: 'Billing Portal',
      subtotal: 2394,
      total: 2394,
      amount_due: 2394,
      amount_paid: 2394,
      amount_remaining: 0,
      starting_balance: 0,
      total_discount_amounts: [],
      hosted_invoice_url: 'http://x/invoices/in_123',
      status_transitions: {
        finalized_at: ts('2026-04-01T00:00:00Z'),
        paid_at: ts('2026-04-01T00:00:00Z'),
        voided_at: null,
        marked_uncollectible_at: null,
      },
      lines: {
        object: 'list',
        data: [
          {
            description: 'Unused time on Basic after 13 Apr 2026 — with a long description that must wrap around the page nicely',
            amount: -599,
            quantity: 1,
            period: { start: 1, end: 2 },
            pricing: { unit_amount_decimal: '1000' },
          },
          {
            description: 'Remaining time on 2 × Pro after 13 Apr 2026',
            amount: 2993,
            quantity: 2,
            period: { start: 1, end: 2 },
            pricing: null,
          },
        ],
        has_more: false,
        url: '',
      },
    } as unknown as Stripe.Invoice;
    const bytes = await renderInvoicePdf(inv);
    expect(Buffer.from(bytes.slice(0, 5)).toString()).toBe('%PDF-');
    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toBe('Invoice ABC-0001');
  });

  it('formats money', () => {
    expect(formatMoney(123456, 'usd')).toBe('$1,234.56');
    expect(formatMoney(-5, 'eur')).toBe('-€0.05');
    expect(formatMoney(500, 'jpy')).toBe('500 JPY');
  });
});
