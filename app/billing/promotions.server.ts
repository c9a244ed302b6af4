/**
 * Promotion codes (docs/billing.md "Promotion codes"): the code a customer types is looked up in
 * Stripe (case-insensitively, active codes only) and passed on as `discounts: [{ promotion_code }]`.
 * Whether it may be redeemed (expiry, redemptions left, first-time customers, minimum amount, the
 * customer it is reserved for) is Stripe's decision: its refusal is shown beside the field in
 * Stripe's own words, and nothing changes.
 */
import type Stripe from 'stripe';
import { stripe } from '~/stripe/client.server';
import { formatMoney } from '~/lib/money';
import { BillingError, fromStripeError } from './errors';

export interface PromotionCode {
  id: string;
  code: string;
  /** The discount in words: "20% off for 3 months". */
  label: string;
  percentOff: number | null;
  amountOff: number | null;
  duration: Stripe.Coupon.Duration;
  durationInMonths: number | null;
}

const NOT_FOUND = (code: string) => `“${code}” is not a valid code. Check the spelling, or ask whoever gave it to you for a new one.`;

function describeCoupon(coupon: Stripe.Coupon): string {
  const off = coupon.percent_off
    ? `${coupon.percent_off}% off`
    : coupon.amount_off
      ? `${formatMoney(coupon.amount_off, coupon.currency ?? 'usd')} off`
      : 'Discount';
  if (coupon.duration === 'forever') return `${off}, every payment`;
  if (coupon.duration === 'repeating' && coupon.duration_in_months)
    return `${off} for ${coupon.duration_in_months} month${coupon.duration_in_months === 1 ? '' : 's'}`;
  return `${off} your next payment`;
}

/** The active promotion code the customer typed, or a BillingError('invalid_code') with words to show beside the field. */
export async function findPromotionCode(typed: string): Promise<PromotionCode> {
  const code = typed.trim();
  let found: Stripe.PromotionCode | undefined;
  try {
    const page = await stripe().promotionCodes.list({ code, active: true, limit: 1, expand: ['data.promotion.coupon'] });
    found = page.data[0];
  } catch (error) {
    throw fromStripeError(error);
  }
  const coupon = found?.promotion?.coupon;
  if (!found || !coupon || typeof coupon === 'string' || !coupon.valid) throw new BillingError('invalid_code', NOT_FOUND(code));
  return {
    id: found.id,
    code: found.code,
    label: describeCoupon(coupon),
    percentOff: coupon.percent_off ?? null,
    amountOff: coupon.amount_off ?? null,
    duration: coupon.duration,
    durationInMonths: coupon.duration_in_months ?? null,
  };
}

/** Stripe's refusal of a code (a 400 naming the discounts parameter), as a BillingError for the field; anything else is rethrown. */
export function codeRefusal(error: unknown): BillingError | null {
  const e = error as { type?: string; param?: string; message?: string };
  if (e?.type === 'StripeInvalidRequestError' && (e.param ?? '').includes('discounts') && e.message)
    return new BillingError('invalid_code', e.message, { cause: error });
  return null;
}

/** What a discount takes off a recurring charge: a share, and until when it lasts. */
export interface Share {
  percentOff: number | null;
  amountOff: number | null;
  /** It lasts until this date (null: for good). */
  until: Date | null;
  /** A "once" discount is spent on the first invoice it meets. */
  once: boolean;
}

/** A discount already on the subscription, as a Share (its coupon expanded, else it counts for nothing). */
export function shareOfDiscount(d: Stripe.Discount): Share | null {
  const coupon = d.source?.coupon;
  if (!coupon || typeof coupon === 'string') return null;
  return {
    percentOff: coupon.percent_off ?? null,
    amountOff: coupon.amount_off ?? null,
    until: d.end ? new Date(d.end * 1000) : null,
    once: coupon.duration === 'once',
  };
}

/** A code about to be redeemed (at `from`), as a Share. */
export function shareOfCode(code: PromotionCode, from: Date): Share {
  let until: Date | null = null;
  if (code.duration === 'repeating' && code.durationInMonths) {
    until = new Date(from);
    until.setUTCMonth(until.getUTCMonth() + code.durationInMonths);
  }
  return { percentOff: code.percentOff, amountOff: code.amountOff, until, once: code.duration === 'once' };
}

/**
 * A recurring amount at a date, after the discounts that still apply then, in order: a percentage
 * rounded to the cent, a fixed amount never below zero. `first` says whether this is the first invoice
 * the discounts meet (a "once" discount is spent there).
 */
export function amountAfter(amount: number, shares: Share[], at: Date, first: boolean): number {
  let left = amount;
  for (const share of shares) {
    if (share.once && !first) continue;
    if (share.until && at >= share.until) continue;
    if (share.percentOff) left -= Math.round((left * share.percentOff) / 100);
    else if (share.amountOff) left = Math.max(0, left - share.amountOff);
  }
  return left;
}
