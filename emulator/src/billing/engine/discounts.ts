/** Discounts: coupons and promotion codes redeemed into Discount objects, and which of them apply when. */
import type Stripe from 'stripe';
import type { Infer } from '../../core';
import { errors } from '../../core/errors';
import type { discountsParam } from '../params';
import { discountActiveAt, discountEnd, type DiscountLike } from '../invoice-math';
import { idOf } from '../util';
import { type Billing, type Sub } from './context';

function requireCoupon(b: Billing, id: string, param = 'coupon'): Stripe.Coupon {
  const c = b.store.get('coupon', id) as Stripe.Coupon | null;
  if (!c) throw errors.noSuch('coupon', id, param);
  return c;
}

/**
 * Resolve `discounts: [{ coupon | promotion_code | discount }]` into stored Discount objects
 * attached to a subscription (or a customer when sub is null).
 */
export function createDiscounts(
  b: Billing,
  specs: Infer<typeof discountsParam> | undefined,
  owner: { customer: string; subscription: string | null; checkout_session?: string | null },
  at: number,
  param = 'discounts',
  opts: { preview?: boolean } = {},
): string[] {
  const out: string[] = [];
  for (const [i, s] of (specs ?? []).entries()) {
    if (s.discount) {
      out.push(s.discount);
      continue;
    }
    let coupon: Stripe.Coupon;
    let promo: Stripe.PromotionCode | null = null;
    if (s.promotion_code) {
      promo = b.store.get('promotion_code', s.promotion_code) as Stripe.PromotionCode | null;
      if (!promo) throw errors.noSuch('promotion code', s.promotion_code, `${param}[${i}][promotion_code]`);
      if (
        !promo.active ||
        (promo.expires_at && promo.expires_at <= at) ||
        (promo.max_redemptions != null && promo.times_redeemed >= promo.max_redemptions)
      ) {
        throw errors.invalid(
          `This promotion code cannot be redeemed because the associated coupon is no longer valid.`,
          `${param}[${i}][promotion_code]`,
        );
      }
      if (promo.customer && idOf(promo.customer as string) !== owner.customer) {
        throw errors.invalid(`This promotion code cannot be redeemed by this customer.`, `${param}[${i}][promotion_code]`);
      }
      if (promo.restrictions?.first_time_transaction && hasPriorTransactions(b, owner.customer)) {
        throw errors.invalid(
          'This promotion code cannot be redeemed because the associated customer has prior transactions.',
          `${param}[${i}][promotion_code]`,
        );
      }
      coupon = requireCoupon(b, idOf(promo.promotion.coupon as string)!, `${param}[${i}][promotion_code]`);
    } else if (s.coupon) {
      coupon = requireCoupon(b, s.coupon, `${param}[${i}][coupon]`);
    } else {
      throw errors.invalid('You must specify either `coupon`, `promotion_code` or `discount`.', `${param}[${i}]`);
    }
    if (!coupon.valid) throw errors.invalid(`Coupon expired: ${coupon.id}`, `${param}[${i}][coupon]`, 'coupon_expired');
    const d: Stripe.Discount = {
      id: b.host.newId('di'),
      object: 'discount',
      checkout_session: owner.checkout_session ?? null,
      customer: owner.customer,
      customer_account: null,
      end: discountEnd(coupon as never, at),
      invoice: null,
      invoice_item: null,
      promotion_code: promo?.id ?? null,
      source: { coupon: coupon.id, type: 'coupon' },
      start: at,
      subscription: owner.subscription,
      subscription_item: null,
    };
    b.store.put('discount', d as never);
    out.push(d.id);
    // A preview redeems nothing: its discounts are dropped once the preview is computed (previewDiscounts).
    if (opts.preview) continue;
    coupon.times_redeemed += 1;
    if (coupon.max_redemptions != null && coupon.times_redeemed >= coupon.max_redemptions) coupon.valid = false;
    b.store.put('coupon', coupon as never);
    if (promo) {
      promo.times_redeemed += 1;
      b.store.put('promotion_code', promo as never);
    }
  }
  return out;
}

/** Stripe's "first-time customer" rule: no paid invoice and no successful charge yet. */
function hasPriorTransactions(b: Billing, customer: string): boolean {
  const paid = (b.store.all('invoice', { where: { customer, status: 'paid' } }) as Stripe.Invoice[]).some((i) => i.amount_paid > 0);
  return paid || (b.store.all('charge', { where: { customer, status: 'succeeded' } }) as Stripe.Charge[]).length > 0;
}

/**
 * The discounts an invoice preview uses: `discounts` absent inherits the subscription's; an empty
 * value previews none; codes and coupons are checked as a redemption would be, without redeeming:
 * call `drop` once the preview is computed.
 */
export function previewDiscounts(
  b: Billing,
  specs: Infer<typeof discountsParam> | null | undefined,
  inherited: string[],
  owner: { customer: string; subscription: string | null },
  at: number,
): { ids: string[]; drop: () => void } {
  if (specs === undefined) return { ids: inherited, drop: () => {} };
  const ids = createDiscounts(b, specs ?? [], owner, at, 'discounts', { preview: true });
  const made = ids.filter((id, i) => !specs?.[i]?.discount);
  return { ids, drop: () => made.forEach((id) => b.store.delete('discount', id)) };
}

/**
 * A promotion code's `minimum_amount` restriction, checked against the first invoice it discounts
 * (the subtotal before discounts, in the code's currency).
 */
export function checkMinimumAmounts(b: Billing, discountIds: string[], subtotal: number, currency: string): void {
  for (const id of discountIds) {
    const d = b.store.get('discount', id) as Stripe.Discount | null;
    const promoId = idOf(d?.promotion_code as string | null);
    const promo = promoId ? (b.store.get('promotion_code', promoId) as Stripe.PromotionCode | null) : null;
    const min = promo?.restrictions?.minimum_amount;
    const minCurrency = promo?.restrictions?.minimum_amount_currency ?? currency;
    if (min && minCurrency === currency && subtotal < min) {
      throw errors.invalid(
        `This promotion code cannot be redeemed because the order total is below its minimum of ${(min / 100).toFixed(2)} ${currency.toUpperCase()}.`,
        'discounts[0][promotion_code]',
      );
    }
  }
}

export function discountLikes(b: Billing, ids: Array<string | { id: string }>, at: number): DiscountLike[] {
  const out: DiscountLike[] = [];
  for (const ref of ids) {
    const d = b.store.get('discount', idOf(ref)!) as Stripe.Discount | null;
    if (!d) continue;
    const couponId = idOf(d.source.coupon as string | null);
    const c = couponId ? (b.store.get('coupon', couponId, { includeDeleted: true }) as Stripe.Coupon | null) : null;
    if (!c || (c as { deleted?: boolean }).deleted) continue;
    const like: DiscountLike = {
      id: d.id,
      coupon: {
        id: c.id,
        percent_off: c.percent_off,
        amount_off: c.amount_off,
        currency: c.currency,
        duration: c.duration,
        duration_in_months: c.duration_in_months,
        applies_to: c.applies_to,
      },
      start: d.start,
      end: d.end,
    };
    if (discountActiveAt(like, at)) out.push(like);
  }
  return out;
}

/** After an invoice used the subscription's discounts, drop `once` ones. */
export function consumeOnceDiscounts(b: Billing, sub: Sub, used: string[]): void {
  const keep = sub.discounts.filter((ref) => {
    const id = idOf(ref as string)!;
    if (!used.includes(id)) return true;
    const d = b.store.get('discount', id) as Stripe.Discount | null;
    const c = d ? (b.store.get('coupon', idOf(d.source.coupon as string)!) as Stripe.Coupon | null) : null;
    return c?.duration !== 'once';
  });
  if (keep.length !== sub.discounts.length) sub.discounts = keep;
}
