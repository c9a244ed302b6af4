// Over 500 lines: the plan change is one flow (preview, signed review, confirm, 3DS finish, schedule, undo) sharing one token format.
/**
 * Changing plan, seats or interval: preview, confirm, undo (docs/billing.md "Changing plan").
 *
 * The preview is the charge: a change that applies now is previewed with `invoices.createPreview` at a
 * `proration_date` fixed when the review opens, and the confirm sends the same `proration_date` and
 * items. The review carries a signed token (HMAC-SHA256 with SESSION_SECRET) naming what was
 * previewed, the subscription state it was computed from and the amount; a token older than ten
 * minutes on the app's clock, or computed from a state that has since changed, is answered with a
 * fresh preview instead of a change. Every Stripe write carries an idempotency key derived from the
 * token, so a double click or a retry changes once. Owner-scoped: the token names the user, and the
 * subscription is always found from the signed-in user, never from the browser.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type Stripe from 'stripe';
import { eq } from 'drizzle-orm';
import { db } from '~/db/client.server';
import { prices } from '~/db/schema';
import { clock } from '~/lib/clock.server';
import { env } from '~/lib/env.server';
import { stripe } from '~/stripe/client.server';
import { priceByLookupKey } from './catalog.server';
import { cancelsAt } from './entitlements';
import { BillingError, fromStripeError } from './errors';
import { withUserLock } from './locks.server';
import { decidePlanChange, sameChoice, seatsFor, type CurrentPlan, type PlanChangeDecision, type PlanChoice } from './plan-change';
import { meteredPriceOf, planByLookupKey, PLANS, type Interval, type PlanKey } from './plans';
import { amountAfter, codeRefusal, findPromotionCode, shareOfCode, shareOfDiscount, type PromotionCode } from './promotions.server';
import { getBillingState, type BillingState } from './queries.server';
import { syncCustomer } from './sync.server';

/** How long a review may be confirmed, on the app's clock. */
const REVIEW_TTL_MS = 10 * 60 * 1000;

const STALE_MESSAGE = 'The price changed since you looked: review the new amount';
const FORGED_MESSAGE =
  'This review is not valid for your account (it was changed, or it belongs to another sign-in). Open “Change plan” again to get a fresh one.';

type Applying = Exclude<PlanChangeDecision, { kind: 'refused' }>;

interface ReviewLine {
  description: string;
  amount: number;
}

export interface PlanChangeReview {
  token: string;
  decision: Applying;
  current: PlanChoice & { name: string };
  wanted: PlanChoice & { name: string };
  currency: string;
  /** The second the prorations are computed at (Unix seconds); the confirm sends the same one. */
  prorationDate: number;
  /** What is charged when the customer confirms (0 for anything but a change charged now). */
  dueToday: number;
  lines: ReviewLine[];
  discount: number;
  /** What the discount line says: which discounts it sums. */
  discountLabel: string;
  creditApplied: number;
  card: { brand: string; last4: string } | null;
  /** The next regular charge after the change: the wanted plan's amount, and when. */
  renewal: { amount: number; date: string } | null;
  /** When a scheduled change takes effect (the period end), or a trial's end that stays. */
  effectiveAt: string | null;
  trialEnd: string | null;
  /** The cancellation this change clears, when the subscription was set to cancel. */
  cancelsAt: string | null;
  /** The scheduled change this one replaces or undoes. */
  pending: (PlanChoice & { name: string; at: string | null }) | null;
  /** The promotion code: what the customer typed, the code applied (and what it takes off), or Stripe's words for a refusal. */
  code: { typed: string; applied: { code: string; label: string } | null; error: string | null };
}

export type PreviewResult = { kind: 'review'; review: PlanChangeReview } | { kind: 'refused'; reason: string; message: string };

export type ConfirmResult =
  | { kind: 'done'; message: string }
  | { kind: 'stale'; preview: PreviewResult; message: string }
  | { kind: 'needs_action'; clientSecret: string; token: string };

// --- the token ---------------------------------------------------------------------------------------

interface TokenBody {
  v: 1;
  u: string;
  s: string;
  f: string;
  p: PlanKey;
  i: Interval;
  q: number;
  k: Applying['kind'];
  d: number;
  a: number;
  /** The promotion code applied (its Stripe id and the code as typed), if any. */
  c?: { id: string; t: string };
  iat: number;
}

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');
const sign = (body: string) => createHmac('sha256', env().SESSION_SECRET).update(`plan-review.${body}`).digest();

function issueToken(body: TokenBody): string {
  const encoded = b64(JSON.stringify(body));
  return `${encoded}.${b64(sign(encoded))}`;
}

function readToken(token: string, userId: string): TokenBody {
  const [encoded, mac, extra] = token.split('.');
  if (!encoded || !mac || extra !== undefined) throw new BillingError('invalid_review', FORGED_MESSAGE);
  const expected = sign(encoded);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BillingError('invalid_review', FORGED_MESSAGE);
  let body: TokenBody;
  try {
    body = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as TokenBody;
  } catch (cause) {
    throw new BillingError('invalid_review', FORGED_MESSAGE, { cause });
  }
  if (body.v !== 1 || body.u !== userId || !(body.p in PLANS)) throw new BillingError('invalid_review', FORGED_MESSAGE);
  return body;
}

/** The idempotency root of one review: every write it makes is keyed from it. */
const tokenId = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 32);

// --- reading the current state -------------------------------------------------------------------------

type Sub = NonNullable<BillingState['subscription']>;

function choiceOfPrice(priceId: string | null, lookupKey: string | null, quantity: number | null): PlanChoice | null {
  const key =
    lookupKey ?? (priceId ? (db().select({ k: prices.lookupKey }).from(prices).where(eq(prices.id, priceId)).get()?.k ?? null) : null);
  const found = key ? planByLookupKey(key) : null;
  return found ? { plan: found.plan.key, interval: found.interval, seats: quantity ?? 1 } : null;
}

function currentOf(sub: Sub): CurrentPlan | null {
  const choice = choiceOfPrice(sub.priceId, sub.priceLookupKey, sub.quantity);
  if (!choice) return null;
  const pending = sub.pendingPriceId ? choiceOfPrice(sub.pendingPriceId, null, sub.pendingQuantity) : null;
  return {
    ...choice,
    status: sub.status,
    collectionPaused: sub.pauseBehavior !== null,
    cancelPending: cancelsAt(sub) !== null,
    pending,
  };
}

/** What the review was computed from: anything that changes the amount or the outcome. */
function fingerprint(state: BillingState): string {
  const sub = state.subscription!;
  const parts = [
    sub.id,
    sub.status,
    sub.priceId,
    sub.quantity,
    sub.cancelAtPeriodEnd,
    sub.cancelAt?.getTime(),
    sub.scheduleId,
    sub.pendingPriceId,
    sub.pendingQuantity,
    sub.currentPeriodStart?.getTime(),
    sub.currentPeriodEnd?.getTime(),
    sub.trialEnd?.getTime(),
    state.customer?.balance ?? 0,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

const named = (c: PlanChoice) => ({ ...c, seats: seatsFor(c), name: PLANS[c.plan].name });
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function planItem(sub: Sub) {
  const item =
    sub.items.find((i) => i.usageType !== 'metered' && i.priceId === sub.priceId) ?? sub.items.find((i) => i.usageType !== 'metered');
  if (!item) throw new BillingError('not_allowed_in_state', 'Your subscription has no plan to change. Contact support.');
  return item;
}

/**
 * The items of a change: the plan item moves to the wanted price and seats; a metered item (the API
 * calls, monthly only: Stripe bills one interval per subscription) moves to the wanted plan's metered
 * price, or goes when the plan becomes yearly. Nothing else is touched.
 */
async function changeItems(
  sub: Sub,
  wanted: PlanChoice,
  priceId: string,
): Promise<Array<{ id: string; price?: string; quantity?: number; deleted?: boolean }>> {
  const items: Array<{ id: string; price?: string; quantity?: number; deleted?: boolean }> = [
    { id: planItem(sub).id, price: priceId, quantity: wanted.seats },
  ];
  for (const metered of sub.items.filter((i) => i.usageType === 'metered')) {
    if (wanted.interval !== 'month') items.push({ id: metered.id, deleted: true });
    else {
      const meteredPrice = (await priceByLookupKey(meteredPriceOf(PLANS[wanted.plan]).lookupKey)).id;
      if (meteredPrice !== metered.priceId) items.push({ id: metered.id, price: meteredPrice });
    }
  }
  return items;
}

async function fresh(userId: string): Promise<BillingState> {
  const customerId = getBillingState({ userId }).customer?.id;
  if (customerId) await syncCustomer(customerId);
  return getBillingState({ userId });
}

// --- words for the invoice lines ----------------------------------------------------------------------

const dayMonth = (seconds: number) =>
  new Date(seconds * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

function lineWords(line: Stripe.InvoiceLineItem): string {
  const priceId = line.pricing?.price_details?.price;
  const id = typeof priceId === 'string' ? priceId : (priceId?.id ?? null);
  const choice = choiceOfPrice(id, null, line.quantity ?? 1);
  const what = choice
    ? `${PLANS[choice.plan].name}${PLANS[choice.plan].perSeat ? ` (${line.quantity ?? 1} seats)` : ''}`
    : (line.description ?? 'Subscription');
  // A span longer than a month (a yearly period) names the years too.
  const long = line.period ? line.period.end - line.period.start > 32 * 86_400 : false;
  const day = (seconds: number) => (long ? `${dayMonth(seconds)} ${new Date(seconds * 1000).getUTCFullYear()}` : dayMonth(seconds));
  const span = line.period ? ` from ${day(line.period.start)} to ${day(line.period.end)}` : '';
  const proration = line.parent?.subscription_item_details?.proration ?? line.parent?.invoice_item_details?.proration ?? false;
  if (!proration) return `${what}${span}`;
  return `${line.amount < 0 ? 'Unused time' : 'Remaining time'} on ${what}${span}`;
}

// --- preview --------------------------------------------------------------------------------------------

/** The review of a change from the user's current subscription to `wanted` (reads Stripe afresh). */
export async function previewPlanChange({
  userId,
  wanted,
  code = '',
}: {
  userId: string;
  wanted: PlanChoice;
  code?: string;
}): Promise<PreviewResult> {
  try {
    return await reviewFrom(userId, await fresh(userId), wanted, code);
  } catch (error) {
    throw fromStripeError(error);
  }
}

/** The discounts on the subscription now (their coupons expanded): the review's renewal counts them. */
async function ownDiscounts(subscriptionId: string): Promise<Stripe.Discount[]> {
  const sub = await stripe().subscriptions.retrieve(subscriptionId, { expand: ['discounts.source.coupon'] });
  return (sub.discounts ?? []).filter((d): d is Stripe.Discount => typeof d !== 'string');
}

/** The subscription's own discounts kept beside a new code: a code adds to them, never replaces them. */
async function discountsWith(
  subscriptionId: string,
  promotionCodeId: string,
): Promise<Array<{ discount?: string; promotion_code?: string }>> {
  const sub = await stripe().subscriptions.retrieve(subscriptionId);
  const existing = (sub.discounts ?? []).map((d) => ({ discount: typeof d === 'string' ? d : d.id }));
  return [...existing, { promotion_code: promotionCodeId }];
}

async function reviewFrom(userId: string, state: BillingState, wantedIn: PlanChoice, typed = ''): Promise<PreviewResult> {
  const sub = state.subscription;
  const current = sub ? currentOf(sub) : null;
  if (!sub || !current)
    return {
      kind: 'refused',
      reason: 'no_subscription',
      message: 'You have no subscription to change. Choose a plan on the Billing page.',
    };
  const wanted = { ...wantedIn, seats: seatsFor(wantedIn) };
  const decision = decidePlanChange(current, wanted);
  if (decision.kind === 'refused') return { kind: 'refused', reason: decision.reason, message: decision.message };
  const prorationDate = clock.nowSeconds();
  const wantedPrice = PLANS[wanted.plan].prices[wanted.interval];
  const code: PlanChangeReview['code'] = { typed: typed.trim(), applied: null, error: null };
  let promo: PromotionCode | null = null;
  if (code.typed && decision.kind !== 'keep_current') {
    try {
      promo = await findPromotionCode(code.typed);
    } catch (error) {
      if (!(error instanceof BillingError) || error.code !== 'invalid_code') throw error;
      code.error = error.message;
    }
  } else if (code.typed) {
    code.error = 'Nothing changes here, so there is nothing for a code to take off.';
  }
  const card = state.defaultPaymentMethod
    ? { brand: state.defaultPaymentMethod.brand ?? state.defaultPaymentMethod.type, last4: state.defaultPaymentMethod.last4 ?? '····' }
    : null;
  const review: Omit<PlanChangeReview, 'token'> = {
    decision,
    prorationDate,
    current: named(current),
    wanted: named(wanted),
    currency: sub.currency,
    dueToday: 0,
    lines: [],
    discount: 0,
    discountLabel: 'Discount',
    creditApplied: 0,
    card,
    renewal: null,
    effectiveAt: null,
    trialEnd: sub.status === 'trialing' ? iso(sub.trialEnd) : null,
    cancelsAt: decision.kind !== 'keep_current' && decision.clearsCancel ? iso(cancelsAt(sub)) : null,
    pending: current.pending ? { ...named(current.pending), at: iso(sub.pendingChangeAt) } : null,
    code,
  };
  const priceId = decision.kind === 'keep_current' ? null : (await priceByLookupKey(wantedPrice.lookupKey)).id;
  // A code is checked by Stripe the way the change will use it; a refusal is shown beside the field
  // and the review goes on without it.
  const withCode = async <T>(run: (discounts: Stripe.InvoiceCreatePreviewParams['discounts']) => Promise<T>): Promise<T> => {
    if (!promo) return run(undefined);
    try {
      return await run(await discountsWith(sub.id, promo.id));
    } catch (error) {
      const refused = codeRefusal(error);
      if (!refused) throw error;
      code.error = refused.message;
      promo = null;
      return run(undefined);
    }
  };
  if (promo && !(decision.kind === 'now' && decision.charge) && priceId) {
    // Nothing is invoiced today: the code is checked on the invoice the change leads to.
    const items = await changeItems(sub, wanted, priceId);
    await withCode((discounts) =>
      stripe().invoices.createPreview({
        customer: sub.customerId,
        subscription: sub.id,
        subscription_details: { items, proration_behavior: 'none' },
        ...(discounts ? { discounts } : {}),
      }),
    );
  }
  if (decision.kind === 'now' && decision.charge && priceId) {
    const items = await changeItems(sub, wanted, priceId);
    const preview = await withCode((discounts) =>
      stripe().invoices.createPreview({
        customer: sub.customerId,
        subscription: sub.id,
        subscription_details: { items, proration_date: prorationDate, proration_behavior: 'always_invoice' },
        ...(discounts ? { discounts } : {}),
      }),
    );
    const lines = preview.lines?.data ?? [];
    review.dueToday = preview.amount_due;
    review.lines = lines.map((line) => ({ description: lineWords(line), amount: line.amount }));
    review.discount = (preview.total_discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0);
    review.creditApplied = Math.max(0, preview.total - preview.amount_due);
    const fullPeriod = lines.find((l) => !(l.parent?.subscription_item_details?.proration ?? false) && l.amount > 0);
    const renewalAt = decision.resetsPeriod && fullPeriod?.period ? new Date(fullPeriod.period.end * 1000) : sub.currentPeriodEnd;
    review.renewal = renewalAt ? { amount: wantedPrice.unitAmount * wanted.seats, date: renewalAt.toISOString() } : null;
  } else if (decision.kind === 'now') {
    const next = sub.status === 'trialing' ? (sub.trialEnd ?? sub.currentPeriodEnd) : sub.currentPeriodEnd;
    review.renewal = next ? { amount: wantedPrice.unitAmount * wanted.seats, date: next.toISOString() } : null;
  } else if (decision.kind === 'period_end') {
    review.effectiveAt = iso(sub.currentPeriodEnd);
    review.renewal = sub.currentPeriodEnd
      ? { amount: wantedPrice.unitAmount * wanted.seats, date: sub.currentPeriodEnd.toISOString() }
      : null;
  } else {
    const price = PLANS[current.plan].prices[current.interval];
    review.renewal = sub.currentPeriodEnd
      ? { amount: price.unitAmount * seatsFor(current), date: sub.currentPeriodEnd.toISOString() }
      : null;
  }
  const applied = promo as PromotionCode | null;
  if (applied) code.applied = { code: applied.code, label: applied.label };
  // The next regular charge after the change, less the discounts that still apply then: the
  // subscription's own and the code's (today's charge, if any, was the first one they met).
  const own = decision.kind === 'keep_current' && !review.renewal ? [] : await ownDiscounts(sub.id);
  if (review.renewal && (own.length || applied)) {
    const shares = own.map(shareOfDiscount).filter((x) => x !== null);
    if (applied) shares.push(shareOfCode(applied, clock.now()));
    review.renewal.amount = amountAfter(
      review.renewal.amount,
      shares,
      new Date(review.renewal.date),
      !(decision.kind === 'now' && decision.charge),
    );
  }
  review.discountLabel = applied
    ? own.length
      ? `Discounts (${applied.code} and your current one)`
      : `Discount (${applied.code})`
    : 'Discount';
  const token = issueToken({
    v: 1,
    u: userId,
    s: sub.id,
    f: fingerprint(state),
    p: wanted.plan,
    i: wanted.interval,
    q: wanted.seats,
    k: decision.kind,
    d: prorationDate,
    a: review.dueToday,
    ...(applied ? { c: { id: applied.id, t: applied.code } } : {}),
    iat: clock.nowMs(),
  });
  return { kind: 'review', review: { ...review, token } };
}

// --- confirm ----------------------------------------------------------------------------------------------

/** Whether the subscription already is what this token asked for (a double click, a retry). */
function alreadyDone(state: BillingState, body: TokenBody): boolean {
  const sub = state.subscription;
  const current = sub && sub.id === body.s ? currentOf(sub) : null;
  if (!current) return false;
  const wanted = { plan: body.p, interval: body.i, seats: body.q };
  if (body.k === 'now') return sameChoice(current, wanted) && !current.pending && !current.cancelPending;
  if (body.k === 'period_end') return current.pending !== null && sameChoice(current.pending, wanted) && !current.cancelPending;
  return current.pending === null && sameChoice(current, wanted);
}

function doneMessage(state: BillingState): string {
  const sub = state.subscription!;
  const current = currentOf(sub)!;
  const seatsOf = (c: PlanChoice) => (PLANS[c.plan].perSeat ? ` with ${c.seats} seat${c.seats === 1 ? '' : 's'}` : '');
  if (current.pending && sub.pendingChangeAt) {
    const on = sub.pendingChangeAt.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    return `Your plan switches to ${PLANS[current.pending.plan].name}${seatsOf(current.pending)} on ${on}. Until then you keep ${PLANS[current.plan].name}${seatsOf(current)}.`;
  }
  const seats = seatsOf(current);
  const interval = current.interval === 'year' ? 'yearly' : 'monthly';
  return `You are now on ${PLANS[current.plan].name} (${interval})${seats}.`;
}

/**
 * Confirms a review. Answers `stale` (with a fresh review) when the token is too old or the
 * subscription changed since it was computed; `needs_action` when the bank asks for 3D Secure on the
 * proration charge (the page completes it, then calls `finishPlanChange`).
 */
export async function confirmPlanChange({
  userId,
  token,
  expected,
}: {
  userId: string;
  token: string;
  expected?: PlanChoice;
}): Promise<ConfirmResult> {
  const body = readToken(token, userId);
  // The form repeats the choice beside the token: both must name the same change.
  if (expected && !sameChoice(expected, { plan: body.p, interval: body.i, seats: body.q }))
    throw new BillingError('invalid_review', FORGED_MESSAGE);
  const key = tokenId(token);
  return withUserLock(userId, async () => {
    try {
      const state = await fresh(userId);
      const sub = state.subscription;
      if (alreadyDone(state, body)) return { kind: 'done', message: doneMessage(state) };
      if (!sub || sub.id !== body.s) throw new BillingError('invalid_review', FORGED_MESSAGE);
      const wanted: PlanChoice = { plan: body.p, interval: body.i, seats: body.q };
      if (clock.nowMs() - body.iat > REVIEW_TTL_MS || fingerprint(state) !== body.f) {
        return { kind: 'stale', preview: await reviewFrom(userId, state, wanted, body.c?.t ?? ''), message: STALE_MESSAGE };
      }
      const current = currentOf(sub)!;
      const decision = decidePlanChange(current, wanted);
      if (decision.kind === 'refused') throw new BillingError('not_allowed_in_state', decision.message);
      const s = stripe();
      const priceId = (await priceByLookupKey(PLANS[wanted.plan].prices[wanted.interval].lookupKey)).id;
      if (decision.kind === 'keep_current') {
        if (sub.scheduleId) await s.subscriptionSchedules.release(sub.scheduleId, {}, { idempotencyKey: `plan-keep:${key}` });
      } else if (decision.kind === 'now') {
        if (decision.charge && !state.defaultPaymentMethod)
          throw new BillingError(
            'not_allowed_in_state',
            'This change is charged today, and there is no card on file. Add a card on the Billing page first.',
          );
        // Stripe refuses item changes on a subscription a schedule manages: the scheduled change goes first.
        if (sub.scheduleId) await s.subscriptionSchedules.release(sub.scheduleId, {}, { idempotencyKey: `plan-release:${key}` });
        if (decision.charge) {
          // Stripe takes no `discounts` beside `pending_if_incomplete`: the code goes on first, and comes
          // off again if the payment fails (docs/billing.md "Promotion codes").
          if (body.c) await applyCode(sub.id, body.c.id, key);
          const updated = await s.subscriptions.update(
            sub.id,
            {
              items: await changeItems(sub, wanted, priceId),
              proration_behavior: 'always_invoice',
              proration_date: body.d,
              payment_behavior: 'pending_if_incomplete',
              expand: ['latest_invoice.confirmation_secret', 'latest_invoice.payments'],
            },
            { idempotencyKey: `plan-change:${key}` },
          );
          if (updated.pending_update) {
            const outcome = await unpaidOutcome(updated, key, token, body.c?.id ?? null);
            if (outcome) return outcome;
          }
        } else if (!sameChoice(current, wanted)) {
          const discounts = body.c ? await discountsWith(sub.id, body.c.id) : undefined;
          await s.subscriptions.update(
            sub.id,
            { items: await changeItems(sub, wanted, priceId), proration_behavior: 'none', ...(discounts ? { discounts } : {}) },
            { idempotencyKey: `plan-change:${key}` },
          );
        }
        if (decision.clearsCancel) await clearCancellation(sub.id, key);
      } else {
        if (decision.clearsCancel) await clearCancellation(sub.id, key);
        await scheduleAtPeriodEnd(sub, priceId, wanted.seats, key, body.c?.id ?? null);
      }
      await syncCustomer(sub.customerId);
      return { kind: 'done', message: doneMessage(getBillingState({ userId })) };
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}

/** Puts a promotion code on the subscription beside its own discounts, before a change charged now. */
async function applyCode(subscriptionId: string, promotionCodeId: string, key: string): Promise<void> {
  await stripe().subscriptions.update(
    subscriptionId,
    { discounts: await discountsWith(subscriptionId, promotionCodeId), proration_behavior: 'none' },
    { idempotencyKey: `plan-code:${key}` },
  );
}

/** Takes the code off again when the change it came with was not paid: the subscription keeps its other discounts. */
async function removeCode(subscriptionId: string, promotionCodeId: string, key: string): Promise<void> {
  const sub = await stripe().subscriptions.retrieve(subscriptionId, { expand: ['discounts'] });
  const all = (sub.discounts ?? []).filter((d): d is Stripe.Discount => typeof d !== 'string');
  const kept = all.filter(
    (d) => d.promotion_code !== promotionCodeId && (d.promotion_code as { id?: string } | null)?.id !== promotionCodeId,
  );
  if (kept.length === all.length) return;
  await stripe().subscriptions.update(
    subscriptionId,
    { discounts: kept.length ? kept.map((d) => ({ discount: d.id })) : ('' as unknown as undefined), proration_behavior: 'none' },
    { idempotencyKey: `plan-code-undo:${key}` },
  );
}

async function clearCancellation(subscriptionId: string, key: string) {
  await stripe().subscriptions.update(
    subscriptionId,
    { cancel_at_period_end: false, cancel_at: null as unknown as undefined },
    { idempotencyKey: `plan-uncancel:${key}` },
  );
}

/**
 * The proration charge did not go through at once. 3D Secure: the page completes it. A decline: the
 * invoice is voided (which discards the pending update), so nothing changes and nothing is owed.
 */
async function unpaidOutcome(
  sub: Stripe.Subscription,
  key: string,
  token: string,
  promotionCodeId: string | null,
): Promise<ConfirmResult | null> {
  const invoice = typeof sub.latest_invoice === 'object' ? sub.latest_invoice : null;
  if (!invoice || invoice.status !== 'open') return null;
  const piRef = invoice.payments?.data?.map((p) => p.payment?.payment_intent).find(Boolean) ?? null;
  const pi = piRef ? (typeof piRef === 'string' ? await stripe().paymentIntents.retrieve(piRef) : piRef) : null;
  if (pi?.status === 'requires_action' && invoice.confirmation_secret?.client_secret) {
    return { kind: 'needs_action', clientSecret: invoice.confirmation_secret.client_secret, token };
  }
  const message = pi?.last_payment_error?.message ?? 'Your card was declined.';
  await stripe().invoices.voidInvoice(invoice.id, {}, { idempotencyKey: `plan-void:${key}` });
  if (promotionCodeId) await removeCode(sub.id, promotionCodeId, key);
  await syncCustomer(typeof sub.customer === 'string' ? sub.customer : sub.customer.id);
  throw new BillingError('card_error', `${message} Your plan has not changed.`);
}

/**
 * After the page completed (or gave up on) 3D Secure for the proration charge: the change applied
 * when the invoice was paid; otherwise the invoice is voided and nothing changes.
 */
export async function finishPlanChange({ userId, token }: { userId: string; token: string }): Promise<ConfirmResult> {
  const body = readToken(token, userId);
  const key = tokenId(token);
  return withUserLock(userId, async () => {
    try {
      const sub = await stripe().subscriptions.retrieve(body.s, { expand: ['latest_invoice'] });
      const state0 = getBillingState({ userId });
      if (state0.subscription?.id !== sub.id) throw new BillingError('invalid_review', FORGED_MESSAGE);
      if (sub.pending_update) {
        const invoice = typeof sub.latest_invoice === 'object' ? sub.latest_invoice : null;
        if (invoice?.status === 'open') await stripe().invoices.voidInvoice(invoice.id, {}, { idempotencyKey: `plan-void:${key}` });
        if (body.c) await removeCode(sub.id, body.c.id, key);
        await syncCustomer(state0.subscription.customerId);
        throw new BillingError('card_error', 'The payment was not completed, so your plan has not changed.');
      }
      const state = await fresh(userId);
      const current = currentOf(state.subscription!);
      if (current?.cancelPending && sameChoice(current, { plan: body.p, interval: body.i, seats: body.q })) {
        await clearCancellation(sub.id, key);
        await syncCustomer(state.subscription!.customerId);
      }
      return { kind: 'done', message: doneMessage(getBillingState({ userId })) };
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}

/**
 * A change at the period end: the subscription's schedule (created from it when there is none) gets
 * two phases, the current items until the period end, then the wanted ones; `end_behavior: release`
 * hands the subscription back afterwards, so it simply continues on the new price.
 */
async function scheduleAtPeriodEnd(sub: Sub, priceId: string, quantity: number, key: string, promotionCodeId: string | null) {
  const s = stripe();
  const schedule = sub.scheduleId
    ? await s.subscriptionSchedules.retrieve(sub.scheduleId)
    : await s.subscriptionSchedules.create({ from_subscription: sub.id }, { idempotencyKey: `plan-schedule:${key}` });
  const phase = schedule.current_phase;
  const start = phase?.start_date ?? Math.floor((sub.currentPeriodStart ?? clock.now()).getTime() / 1000);
  const end = Math.floor(sub.currentPeriodEnd!.getTime() / 1000);
  const wanted = choiceOfPrice(priceId, null, quantity)!;
  // The current phase keeps every item as it is (a metered one without a quantity); the next one has
  // the wanted plan, and its metered price when the subscription carries one and stays monthly.
  const current = sub.items.map((i) =>
    i.usageType === 'metered' ? { price: i.priceId } : { price: i.priceId, quantity: i.quantity ?? 1 },
  );
  const next: Array<{ price: string; quantity?: number }> = [{ price: priceId, quantity }];
  if (wanted.interval === 'month' && sub.items.some((i) => i.usageType === 'metered'))
    next.push({ price: (await priceByLookupKey(meteredPriceOf(PLANS[wanted.plan]).lookupKey)).id });
  // A code redeems when the new plan starts, beside the discounts the subscription already has.
  const discounts = promotionCodeId ? await discountsWith(sub.id, promotionCodeId) : undefined;
  await s.subscriptionSchedules.update(
    schedule.id,
    {
      end_behavior: 'release',
      phases: [
        { items: current, start_date: start, end_date: end, proration_behavior: 'none' },
        {
          items: next,
          duration: { interval: wanted.interval, interval_count: 1 },
          proration_behavior: 'none',
          ...(discounts ? { discounts } : {}),
        },
      ],
    },
    { idempotencyKey: `plan-schedule-update:${key}` },
  );
}

/** Undo a scheduled change: release the schedule (never cancel it: the subscription stays as it is). */
export async function undoScheduledChange({ userId, nonce }: { userId: string; nonce: string }): Promise<string> {
  return withUserLock(userId, async () => {
    try {
      const state = await fresh(userId);
      const sub = state.subscription;
      if (!sub?.scheduleId || !sub.pendingPriceId)
        throw new BillingError('not_allowed_in_state', 'There is no scheduled plan change to undo.');
      await stripe().subscriptionSchedules.release(sub.scheduleId, {}, { idempotencyKey: `plan-undo:${sub.scheduleId}:${nonce}` });
      await syncCustomer(sub.customerId);
      const current = currentOf(getBillingState({ userId }).subscription!);
      return `The scheduled change is undone: you stay on ${current ? PLANS[current.plan].name : 'your plan'}.`;
    } catch (error) {
      throw fromStripeError(error);
    }
  });
}
