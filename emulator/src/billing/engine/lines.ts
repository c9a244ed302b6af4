/** Subscription items, invoice lines (licensed, metered, prorations, invoice items) and invoice totals. */
import type Stripe from 'stripe';
import { prorationLines, type ProratedItem } from '../proration';
import { applyBalance, computeTotals, tieredAmount, usageQuantity } from '../invoice-math';
import { formatMoney } from '../pdf';
import { apiList, dec, decOrNull, idOf } from '../util';
import { type Billing, type Sub, type Inv, type LineSpec } from './context';
import { clockOfCustomer } from './clock';
import { isMetered, planOf, priceLabel, productName } from './lookups';
import { discountLikes } from './discounts';
import { meterUsage } from './usage';

export function buildItem(
  b: Billing,
  subId: string,
  price: Stripe.Price,
  quantity: number,
  period: { start: number; end: number },
  at: number,
  metadata: Record<string, string> = {},
): Stripe.SubscriptionItem {
  const item: Stripe.SubscriptionItem = {
    id: b.host.newId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created: at,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata,
    plan: planOf(price),
    price,
    subscription: subId,
    tax_rates: [],
  };
  if (!isMetered(price)) item.quantity = quantity;
  return item;
}

export function proratedItem(b: Billing, item: Stripe.SubscriptionItem): ProratedItem | null {
  if (isMetered(item.price)) return null;
  return {
    price: item.price.id,
    label: priceLabel(b, item.price),
    unitAmount: item.price.unit_amount ?? 0,
    quantity: item.quantity ?? 1,
    subscriptionItem: item.id,
  };
}

/** Line for a licensed item for a full period, worded as Stripe does. */
export function itemLine(b: Billing, sub: Sub, item: Stripe.SubscriptionItem, period: { start: number; end: number }): LineSpec {
  const price = item.price;
  const qty = item.quantity ?? 1;
  const unit = price.unit_amount ?? 0;
  let amount = unit * qty;
  if (price.billing_scheme === 'tiered' && price.tiers) {
    amount = tieredAmount(
      price.tiers.map((t) => ({ up_to: t.up_to, unit_amount: t.unit_amount, flat_amount: t.flat_amount })),
      (price.tiers_mode ?? 'graduated') as 'graduated' | 'volume',
      qty,
    );
  }
  const r = price.recurring!;
  const every = r.interval_count > 1 ? `every ${r.interval_count} ${r.interval}s` : r.interval;
  return {
    amount,
    description: `${qty} × ${productName(b, price)} (at ${formatMoney(unit, price.currency)} / ${every})`,
    quantity: qty,
    price,
    unitAmount: unit,
    period,
    proration: false,
    subscription: sub.id,
    subscriptionItem: item.id,
    invoiceItem: null,
    discountable: true,
    metadata: {},
  };
}

/** Usage line for a metered item over [start, end). */
export function usageLine(b: Billing, sub: Sub, item: Stripe.SubscriptionItem, period: { start: number; end: number }): LineSpec {
  const price = item.price;
  const customer = idOf(sub.customer as string)!;
  const meterId = price.recurring?.meter ?? null;
  const value = meterId ? meterUsage(b, meterId, customer, period.start, period.end) : 0;
  const qty = usageQuantity(value);
  const unit = price.unit_amount ?? 0;
  let amount = unit * qty;
  let description = `${qty} × ${productName(b, price)} (at ${formatMoney(unit, price.currency)} / unit)`;
  if (price.billing_scheme === 'tiered' && price.tiers) {
    amount = tieredAmount(
      price.tiers.map((t) => ({ up_to: t.up_to, unit_amount: t.unit_amount, flat_amount: t.flat_amount })),
      (price.tiers_mode ?? 'graduated') as 'graduated' | 'volume',
      qty,
    );
    description = `${productName(b, price)}: ${qty.toLocaleString('en-US')} × tiers`;
  }
  return {
    amount,
    description,
    quantity: qty,
    price,
    unitAmount: unit,
    period,
    proration: false,
    subscription: sub.id,
    subscriptionItem: item.id,
    invoiceItem: null,
    discountable: true,
    metadata: {},
  };
}

export function lineFromSpec(
  b: Billing,
  spec: LineSpec,
  invoiceId: string | null,
  currency: string,
  discountAmounts: Array<{ discount: string; amount: number }>,
): Stripe.InvoiceLineItem {
  const parent: Stripe.InvoiceLineItem.Parent = spec.subscriptionItem
    ? {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: spec.invoiceItem,
          proration: spec.proration,
          proration_details: spec.proration ? { credited_items: null } : null,
          subscription: spec.subscription,
          subscription_item: spec.subscriptionItem,
        },
      }
    : {
        type: 'invoice_item_details',
        subscription_item_details: null,
        invoice_item_details: {
          invoice_item: spec.invoiceItem ?? '',
          proration: spec.proration,
          proration_details: spec.proration ? { credited_items: null } : null,
          subscription: spec.subscription,
        },
      };
  return {
    id: b.host.newId('il'),
    object: 'line_item',
    amount: spec.amount,
    currency,
    description: spec.description,
    discount_amounts: discountAmounts,
    discountable: spec.discountable,
    discounts: discountAmounts.map((d) => d.discount),
    invoice: invoiceId,
    livemode: false,
    metadata: spec.metadata,
    parent,
    period: spec.period,
    pretax_credit_amounts: discountAmounts.map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' })),
    pricing: spec.price
      ? {
          type: 'price_details',
          price_details: { price: spec.price.id, product: idOf(spec.price.product as string)! },
          unit_amount_decimal: decOrNull(spec.unitAmount),
        }
      : spec.unitAmount != null
        ? { type: 'price_details', unit_amount_decimal: dec(spec.unitAmount) }
        : null,
    quantity: spec.quantity,
    quantity_decimal: decOrNull(spec.quantity),
    subscription: spec.subscription,
    subtotal: spec.amount,
    taxes: [],
  };
}

export function specFromInvoiceItem(b: Billing, ii: Stripe.InvoiceItem): LineSpec {
  const priceId = ii.pricing?.price_details?.price ?? null;
  const price = priceId ? b.host.getPrice(idOf(priceId as string)!) : null;
  const subItem = ii.parent?.subscription_details?.subscription_item ?? null;
  return {
    amount: ii.amount,
    description: ii.description ?? '',
    quantity: ii.quantity,
    price,
    unitAmount: ii.pricing?.unit_amount_decimal != null ? Number(String(ii.pricing.unit_amount_decimal)) : null,
    period: ii.period,
    proration: ii.proration,
    subscription: ii.parent?.subscription_details?.subscription ?? null,
    subscriptionItem: subItem,
    invoiceItem: ii.id,
    discountable: ii.discountable,
    metadata: ii.metadata ?? {},
  };
}

/** Credit for the unused part of the current period (cancel with prorate, anchor reset). */
export function unusedCredit(b: Billing, sub: Sub, t: number): LineSpec[] {
  const out: LineSpec[] = [];
  for (const it of sub.items.data) {
    const pi = proratedItem(b, it);
    if (!pi) continue;
    for (const line of prorationLines(pi, null, it.current_period_start, it.current_period_end, t)) {
      if (line.amount === 0) continue;
      out.push({
        amount: line.amount,
        description: line.description,
        quantity: line.quantity,
        price: it.price,
        unitAmount: line.unitAmount,
        period: line.period,
        proration: true,
        subscription: sub.id,
        subscriptionItem: it.id,
        invoiceItem: null,
        discountable: true,
        metadata: {},
      });
    }
  }
  return out;
}

export interface BuildInvoiceOpts {
  id?: string;
  customer: string;
  currency: string;
  subscription: Sub | null;
  billingReason: Stripe.Invoice.BillingReason;
  specs: LineSpec[];
  discounts: string[];
  at: number;
  period?: { start: number; end: number };
  prorationDate?: number;
}

/** Build (not store) an invoice object. */
export function buildInvoice(b: Billing, opts: BuildInvoiceOpts): Inv {
  const id = opts.id ?? b.host.newId('in');
  const dls = discountLikes(b, opts.discounts, opts.at);
  const totals = computeTotals(
    opts.specs.map((s) => ({ amount: s.amount, discountable: s.discountable, product: s.price ? idOf(s.price.product as string) : null })),
    dls,
    opts.currency,
  );
  const lines = opts.specs.map((s, i) => lineFromSpec(b, s, id, opts.currency, totals.lineDiscounts[i]));
  const c = b.host.getCustomer(opts.customer);
  const subPeriod = opts.period ?? { start: opts.at, end: opts.at };
  const clock = clockOfCustomer(b, opts.customer);
  const bal = applyBalance(totals.total, c?.balance ?? 0);
  const inv: Inv = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Stripe emulator',
    account_tax_ids: null,
    amount_due: bal.amount_due,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: bal.amount_due,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    } as unknown as Stripe.Invoice.AutomaticTax,
    automatically_finalizes_at: null,
    billing_reason: opts.billingReason,
    // A subscription's invoices are collected as the subscription is; a sent one is due
    // `days_until_due` days after it is made (Stripe's default is 30).
    collection_method: opts.subscription?.collection_method ?? 'charge_automatically',
    created: opts.at,
    currency: opts.currency,
    custom_fields: null,
    customer: opts.customer,
    customer_account: null,
    customer_address: c?.address ?? null,
    customer_email: c?.email ?? null,
    customer_name: c?.name ?? null,
    customer_phone: c?.phone ?? null,
    customer_shipping: c?.shipping ?? null,
    customer_tax_exempt: c?.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: dls.map((d) => d.id),
    due_date: opts.subscription?.collection_method === 'send_invoice' ? opts.at + (opts.subscription.days_until_due ?? 30) * 86_400 : null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: apiList(lines, `/v1/invoices/${id}/lines`),
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: opts.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: {
            metadata: opts.subscription.metadata,
            subscription: opts.subscription.id,
            ...(opts.prorationDate !== undefined ? { subscription_proration_date: opts.prorationDate } : {}),
          },
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    payments: apiList([], `/v1/invoice_payments?invoice=${id}`),
    period_end: subPeriod.end,
    period_start: subPeriod.start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: totals.subtotal,
    subtotal_excluding_tax: totals.subtotal,
    test_clock: clock,
    total: totals.total,
    total_discount_amounts: totals.totalDiscountAmounts,
    total_excluding_tax: totals.total,
    total_pretax_credit_amounts: totals.totalDiscountAmounts.map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' })),
    total_taxes: [],
    webhooks_delivered_at: opts.at,
  };
  return inv;
}

/** Recompute totals of a draft invoice after its lines changed. */
export function recomputeDraft(b: Billing, inv: Inv): void {
  const specs = inv.lines.data;
  const dls = discountLikes(b, inv.discounts as string[], inv.created);
  const totals = computeTotals(
    specs.map((l) => ({ amount: l.amount, discountable: l.discountable, product: l.pricing?.price_details?.product ?? null })),
    dls,
    inv.currency,
  );
  specs.forEach((l, i) => {
    l.discount_amounts = totals.lineDiscounts[i];
    l.discounts = totals.lineDiscounts[i].map((d) => d.discount);
  });
  const c = b.host.getCustomer(idOf(inv.customer as string)!);
  const bal = applyBalance(totals.total, c?.balance ?? 0);
  inv.subtotal = totals.subtotal;
  inv.subtotal_excluding_tax = totals.subtotal;
  inv.total = totals.total;
  inv.total_excluding_tax = totals.total;
  inv.total_discount_amounts = totals.totalDiscountAmounts;
  inv.amount_due = bal.amount_due;
  inv.amount_remaining = bal.amount_due;
}

export function asPreview(inv: Inv): Inv {
  const id = `upcoming_${inv.id.replace(/^in_/, '')}`;
  inv.id = id;
  inv.lines.url = `/v1/invoices/${id}/lines`;
  for (const l of inv.lines.data) l.invoice = id;
  inv.payments = apiList([], `/v1/invoice_payments?invoice=${id}`);
  return inv;
}
