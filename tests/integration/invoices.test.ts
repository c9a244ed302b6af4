/**
 * The invoices pages against the emulator over HTTP and a real SQLite file: the history pages by
 * keyset (each invoice exactly once while new ones arrive), filters, bad input answered 4xx, the
 * owner check on every invoice route, the PDF streamed through, and paying an open invoice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCatalog, priceByLookupKey } from '~/billing/catalog.server';
import { ensureStripeCustomer } from '~/billing/customers.server';
import { invoiceDetail, invoiceHistory, nextInvoice, parseCursor } from '~/billing/invoices.server';
import { completeSubscription, startSubscription } from '~/billing/subscriptions.server';
import { getUpcomingInvoice } from '~/billing/queries.server';
import { syncCustomer, syncObject } from '~/billing/sync.server';
import { getUserByEmail } from '~/auth/users.server';
import { ownerMetadata } from '~/billing/owner.server';
import { db } from '~/db/client.server';
import { ensureMeteredItems } from '~/usage/metered-items.server';
import { users } from '~/db/schema';
import { and, eq, isNull } from 'drizzle-orm';
import { loader as historyLoader } from '~/routes/billing.invoices._index';
import { action as invoiceAction, loader as invoiceLoader } from '~/routes/billing.invoices.$id';
import { loader as pdfLoader } from '~/routes/billing.invoices.$id.pdf';
import { action as detailsAction, loader as detailsLoader } from '~/routes/billing.details';
import { action as signupAction } from '~/routes/signup';
import { cookieFrom, formRequest, getRequest, settle } from '../helpers/requests';
import { startHarness, type Harness } from '../../scripts/harness/stripe-harness';

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  await ensureCatalog();
});
afterAll(async () => {
  await h?.close();
});

/** A signed-up user (with a session cookie) and their Stripe customer. */
async function signedUp(name: string) {
  const email = `inv-${name.toLowerCase()}-${Date.now()}-${n++}@example.com`;
  const signup = await settle(() =>
    signupAction({ request: formRequest('/signup', { name, email, password: 'invoice-password-1' }), params: {}, context: {} }),
  );
  const cookie = cookieFrom(signup.response!);
  const user = getUserByEmail(email)!;
  const customerId = await ensureStripeCustomer({ userId: user.id });
  return { user, cookie, customerId };
}

/** A one-off invoice of `amount`, finalized; paid out of band unless `open`. Mirrored like a webhook would. */
async function oneOffInvoice(customerId: string, amount: number, opts: { open?: boolean; description?: string } = {}) {
  const s = h.stripe;
  const draft = await s.invoices.create({
    customer: customerId,
    collection_method: 'send_invoice',
    days_until_due: 30,
    auto_advance: false,
    description: opts.description,
  });
  await s.invoiceItems.create({ customer: customerId, invoice: draft.id, amount, currency: 'usd', description: `Consulting ${n++}` });
  const finalized = await s.invoices.finalizeInvoice(draft.id, { auto_advance: false });
  if (!opts.open) await s.invoices.pay(finalized.id, { paid_out_of_band: true });
  await syncObject('invoice', finalized.id);
  return finalized.id;
}

const historyOf = async (cookie: string, query = '') => {
  const out = await settle(() => historyLoader({ request: getRequest(`/billing/invoices${query}`, { cookie }), params: {}, context: {} }));
  return out;
};

describe('the invoice history', () => {
  it('pages newest first, 25 a page, each invoice exactly once while new invoices arrive', async () => {
    const { user, customerId } = await signedUp('Pager');
    const first: string[] = [];
    for (let i = 0; i < 30; i++) first.push(await oneOffInvoice(customerId, 1000 + i));
    // A draft is never listed.
    const draft = await h.stripe.invoices.create({ customer: customerId, auto_advance: false });
    await syncObject('invoice', draft.id);

    const page1 = invoiceHistory({ userId: user.id, status: null, cursor: null });
    expect(page1.entries).toHaveLength(25);
    expect(page1.prev).toBeNull();
    expect(page1.next).not.toBeNull();
    // Newest first: created never increases down the page.
    const times = page1.entries.map((e) => Date.parse(e.date));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // New invoices arrive between page 1 and page 2 (a minute later): page 2 still holds exactly the rest.
    await h.control('POST', '/clock/advance', { seconds: 60 });
    const arrived = [await oneOffInvoice(customerId, 5000), await oneOffInvoice(customerId, 5001)];
    const page2 = invoiceHistory({ userId: user.id, status: null, cursor: parseCursor(page1.next!) });
    expect(page2.next).toBeNull();
    expect(page2.prev).not.toBeNull();
    const seen = [...page1.entries, ...page2.entries].map((e) => e.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual([...first].sort());
    expect(seen).not.toContain(draft.id);

    // Previous from page 2 is page 1 as it is now: the newest 25 older than page 2's first row.
    const back = invoiceHistory({ userId: user.id, status: null, cursor: parseCursor(page2.prev!) });
    expect(back.entries.map((e) => e.id)).toEqual(page1.entries.map((e) => e.id));
    expect(back.prev).not.toBeNull(); // the new arrivals are above it
    const top = invoiceHistory({ userId: user.id, status: null, cursor: parseCursor(back.prev!) });
    expect(top.entries.map((e) => e.id).sort()).toEqual([...arrived].sort());
    expect(top.prev).toBeNull();
  });

  it('filters by status with links, says so when a filter is empty, and shows the badges', async () => {
    const { user, cookie, customerId } = await signedUp('Filter');
    const paid = await oneOffInvoice(customerId, 1200);
    const open = await oneOffInvoice(customerId, 3400, { open: true });
    const voided = await oneOffInvoice(customerId, 500, { open: true });
    await h.stripe.invoices.voidInvoice(voided);
    await syncObject('invoice', voided);

    const all = invoiceHistory({ userId: user.id, status: null, cursor: null });
    expect(Object.fromEntries(all.entries.map((e) => [e.id, e.badge.label]))).toEqual({ [paid]: 'Paid', [open]: 'Open', [voided]: 'Void' });
    expect(all.entries.find((e) => e.id === paid)).toMatchObject({
      amount: 1200,
      viewHref: `/billing/invoices/${paid}`,
      pdfHref: `/billing/invoices/${paid}/pdf`,
    });

    const onlyPaid = await historyOf(cookie, '?status=paid');
    expect((onlyPaid.data as { history: { entries: { id: string }[] } }).history.entries.map((e) => e.id)).toEqual([paid]);
    const none = await historyOf(cookie, '?status=uncollectible');
    expect((none.data as { history: { entries: unknown[] } }).history.entries).toEqual([]);
  });

  it('tells a plan change’s proration and refunds apart: "Proration for the change to Pro", Partially refunded, Refunded', async () => {
    const { user, customerId } = await signedUp('Changer');
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: `nonce-change-${n++}` });
    if (started.kind !== 'needs_payment') throw new Error('expected a payment step');
    const paymentIntent = started.step.clientSecret.split('_secret_')[0]!;
    await h.stripe.paymentIntents.confirm(paymentIntent, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const first = invoiceHistory({ userId: user.id, status: null, cursor: null }).entries;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ amount: 1200, badge: { label: 'Paid' } });
    expect(first[0]!.description).toMatch(/^Starter \(monthly\) · /);

    // Changed in Stripe (as the customer portal does it: prorations invoiced at once).
    const [sub] = (await h.stripe.subscriptions.list({ customer: customerId })).data;
    await h.stripe.subscriptions.update(sub!.id, {
      items: [{ id: sub!.items.data[0]!.id, price: (await priceByLookupKey('pro_monthly')).id }],
      proration_behavior: 'always_invoice',
    });
    // A refund made in Stripe on the first invoice's payment: a part, then the rest.
    await h.stripe.refunds.create({ payment_intent: paymentIntent, amount: 500 });
    await syncCustomer(customerId);
    const badgeOf = (id: string) =>
      invoiceHistory({ userId: user.id, status: null, cursor: null }).entries.find((e) => e.id === id)?.badge.label;
    const proration = invoiceHistory({ userId: user.id, status: null, cursor: null }).entries.find((e) => e.id !== first[0]!.id);
    expect(proration?.description).toBe('Proration for the change to Pro');
    expect(badgeOf(first[0]!.id)).toBe('Partially refunded');
    await h.stripe.refunds.create({ payment_intent: paymentIntent });
    await syncObject('invoice', first[0]!.id);
    expect(badgeOf(first[0]!.id)).toBe('Refunded');
    // The Paid filter is Stripe's status: a refunded invoice is still a paid one there.
    expect(invoiceHistory({ userId: user.id, status: 'paid', cursor: null }).entries.map((e) => e.id)).toContain(first[0]!.id);
  });

  it('answers a bad status or cursor with 400 and words', async () => {
    const { cookie } = await signedUp('Bad');
    const status = await historyOf(cookie, '?status=refunded');
    expect(status.response?.status).toBe(400);
    expect(await status.response!.text()).toBe('Filter by Paid, Open, Void or Uncollectible, or show all.');
    for (const cursor of ['nonsense', 'a.12.in_x;drop', "b.1.in_1' or 1=1"]) {
      const out = await historyOf(cookie, `?cursor=${encodeURIComponent(cursor)}`);
      expect(out.response?.status).toBe(400);
      expect(await out.response!.text()).toBe('That page link is not valid. Start again from the first page.');
    }
  });
});

describe('one invoice', () => {
  it('answers 404 to another user on every invoice route, and never shows the invoice', async () => {
    const alice = await signedUp('Alice');
    const eve = await signedUp('Eve');
    const invoiceId = await oneOffInvoice(alice.customerId, 4200, { open: true });
    expect(invoiceDetail({ userId: alice.user.id, invoiceId })).not.toBeNull();
    expect(invoiceDetail({ userId: eve.user.id, invoiceId })).toBeNull();

    const params = { id: invoiceId };
    const view = await settle(() =>
      invoiceLoader({ request: getRequest(`/billing/invoices/${invoiceId}`, { cookie: eve.cookie }), params, context: {} }),
    );
    expect(view.response?.status).toBe(404);
    expect(await view.response!.text()).toBe('That invoice was not found.');
    const pdf = await settle(() =>
      pdfLoader({ request: getRequest(`/billing/invoices/${invoiceId}/pdf`, { cookie: eve.cookie }), params, context: {} }),
    );
    expect(pdf.response?.status).toBe(404);
    const attempts: Record<string, string>[] = [
      { intent: 'pay_start' },
      { intent: 'pay_complete' },
      { intent: 'pay_saved', paymentMethod: 'pm_card_visa', nonce: 'nonce-eve-12345' },
    ];
    for (const fields of attempts) {
      const out = await settle(() =>
        invoiceAction({ request: formRequest(`/billing/invoices/${invoiceId}`, fields, { cookie: eve.cookie }), params, context: {} }),
      );
      expect(out.response?.status).toBe(404);
    }
    // A malformed id is a 404 too, never a 500.
    const odd = await settle(() =>
      invoiceLoader({
        request: getRequest('/billing/invoices/..%2Fadmin', { cookie: eve.cookie }),
        params: { id: '../admin' },
        context: {},
      }),
    );
    expect(odd.response?.status).toBe(404);
    // Alice's invoice is untouched and still open.
    expect((await h.stripe.invoices.retrieve(invoiceId)).status).toBe('open');
  });

  it('shows lines, sums and billing details, and streams the PDF to its owner', async () => {
    const { user, cookie, customerId } = await signedUp('Owner');
    await h.stripe.customers.update(customerId, {
      name: 'Owner Ltd',
      address: { line1: '1 Market St', city: 'San Francisco', postal_code: '94103', country: 'US' },
    });
    const invoiceId = await oneOffInvoice(customerId, 123456, { description: 'Setup and onboarding' });
    const detail = invoiceDetail({ userId: user.id, invoiceId })!;
    expect(detail).toMatchObject({
      total: 123456,
      amountRemaining: 0,
      badge: { label: 'Paid' },
      description: 'Setup and onboarding',
      canPay: false,
    });
    expect(detail.lines).toHaveLength(1);
    expect(detail.billedTo).toMatchObject({ name: 'Owner Ltd', address: { line1: '1 Market St', city: 'San Francisco' } });

    const pdf = await settle(() =>
      pdfLoader({ request: getRequest(`/billing/invoices/${invoiceId}/pdf`, { cookie }), params: { id: invoiceId }, context: {} }),
    );
    expect(pdf.response?.status).toBe(200);
    expect(pdf.response!.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await pdf.response!.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
  });

  it('pays an open invoice with a saved card in the page', async () => {
    const { user, cookie, customerId } = await signedUp('Payer');
    await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customerId });
    await syncCustomer(customerId);
    const invoiceId = await oneOffInvoice(customerId, 2500, { open: true });
    const loaded = await settle(() =>
      invoiceLoader({ request: getRequest(`/billing/invoices/${invoiceId}`, { cookie }), params: { id: invoiceId }, context: {} }),
    );
    const { cards } = loaded.data as { cards: { id: string }[] };
    expect(cards).toHaveLength(1);
    const out = await settle(() =>
      invoiceAction({
        request: formRequest(
          `/billing/invoices/${invoiceId}`,
          { intent: 'pay_saved', paymentMethod: cards[0]!.id, nonce: 'nonce-pay-123456' },
          { cookie },
        ),
        params: { id: invoiceId },
        context: {},
      }),
    );
    expect(out.data).toMatchObject({ ok: true, message: 'Payment received. Thank you!' });
    expect(invoiceDetail({ userId: user.id, invoiceId })).toMatchObject({ badge: { label: 'Paid' }, amountRemaining: 0, amountPaid: 2500 });
  });

  it('hands the Payment Element the invoice’s client secret, then mirrors the payment', async () => {
    const { user, cookie, customerId } = await signedUp('NewCard');
    const invoiceId = await oneOffInvoice(customerId, 1999, { open: true });
    const started = await settle(() =>
      invoiceAction({
        request: formRequest(`/billing/invoices/${invoiceId}`, { intent: 'pay_start' }, { cookie }),
        params: { id: invoiceId },
        context: {},
      }),
    );
    const step = (started.data as { step: { clientSecret: string; amountDue: number } }).step;
    expect(step.amountDue).toBe(1999);
    // What Stripe.js does in the page with a new card.
    await h.stripe.paymentIntents.confirm(step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    const done = await settle(() =>
      invoiceAction({
        request: formRequest(`/billing/invoices/${invoiceId}`, { intent: 'pay_complete' }, { cookie }),
        params: { id: invoiceId },
        context: {},
      }),
    );
    expect(done.data).toMatchObject({ ok: true, message: 'Payment received. Thank you!' });
    expect(invoiceDetail({ userId: user.id, invoiceId })).toMatchObject({ badge: { label: 'Paid' }, amountRemaining: 0 });
  });
});

describe('usage lines', () => {
  it('words a metered line from its price’s tiers (the calls beyond the included ones at the paid tier’s price, or "within") and shows the credits that paid it', async () => {
    const email = `inv-usage-${Date.now()}-${n++}@example.com`;
    await settle(() =>
      signupAction({ request: formRequest('/signup', { name: 'Usage', email, password: 'invoice-password-1' }), params: {}, context: {} }),
    );
    const user = getUserByEmail(email)!;
    // The customer lives on its own test clock, so its renewals do not move this file's other customers. The
    // user row is linked to it the way a backfill links an existing customer; the app subscribes it as usual.
    const { now } = (await h.control('GET', '/clock')) as { now: number };
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: now, name: 'usage words' });
    const customer = await h.stripe.customers.create({ email, name: 'Usage', metadata: ownerMetadata(user.id), test_clock: clock.id });
    db()
      .update(users)
      .set({ stripeCustomerId: customer.id })
      .where(and(eq(users.id, user.id), isNull(users.stripeCustomerId)))
      .run();
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: `nonce-usage-${n++}` });
    if (started.kind !== 'needs_payment') throw new Error('expected a payment step');
    await h.stripe.paymentIntents.confirm(started.step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    // The usage reporter's round that gives a monthly subscription its plan's metered price.
    const [sub] = (await h.stripe.subscriptions.list({ customer: customer.id })).data;
    expect(await ensureMeteredItems({ subscriptionIds: [sub!.id] })).toEqual([
      { subscriptionId: sub!.id, action: 'added', lookupKey: 'api_calls_starter_monthly' },
    ]);
    // $50.00 of billing credits (as a credit pack becomes in Stripe) pay part of the overage.
    await h.stripe.billing.creditGrants.create({
      customer: customer.id,
      amount: { type: 'monetary', monetary: { currency: 'usd', value: 5000 } },
      applicability_config: { scope: { price_type: 'metered' } },
      category: 'paid',
      name: 'Credit pack',
    });
    // 22,345 calls in the first month (Starter includes 10,000), none in the second.
    await h.stripe.billing.meterEvents.create({ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '22345' } });
    // The next invoice (Stripe's preview, mirrored) has the usage so far in the same words.
    await syncCustomer(customer.id);
    expect(nextInvoice({ userId: user.id })!.lines).toContainEqual(
      expect.objectContaining({
        description: 'API calls so far',
        quantityWords: '12,345 calls × $0.01 beyond 10,000 included',
        amount: 12_345,
      }),
    );
    // Two renewals: each time to just past the period's end (months differ in length).
    for (let month = 1; month <= 2; month++) {
      const periodEnd = (await h.stripe.subscriptions.retrieve(sub!.id)).items.data[0]!.current_period_end;
      await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: periodEnd + 7200 });
      await expect.poll(async () => (await h.stripe.testHelpers.testClocks.retrieve(clock.id)).status).toBe('ready');
    }
    await syncCustomer(customer.id);

    const renewals = (await h.stripe.invoices.list({ customer: customer.id })).data
      .filter((i) => i.billing_reason === 'subscription_cycle')
      .sort((a, b) => a.created - b.created);
    expect(renewals).toHaveLength(2);
    const usageLine = (invoiceId: string) => invoiceDetail({ userId: user.id, invoiceId })!.lines.find((l) => l.usage)!;
    expect(usageLine(renewals[0]!.id)).toMatchObject({
      description: 'API calls',
      quantityWords: '12,345 calls × $0.01 beyond 10,000 included',
      amount: 12_345,
    });
    expect(usageLine(renewals[1]!.id)).toMatchObject({ quantityWords: '0 calls, within 10,000 included', amount: 0 });
    // The credits paid $50.00 of it: the sums say so, and the rest was charged.
    expect(invoiceDetail({ userId: user.id, invoiceId: renewals[0]!.id })).toMatchObject({
      subtotal: 13_545,
      billingCredits: 5000,
      total: 8545,
      amountPaid: 8545,
    });
    // A price read again from Stripe (as after a price.* webhook) keeps its tiers in the mirror, and so the words.
    await syncObject('price', (await priceByLookupKey('api_calls_starter_monthly')).id);
    expect(usageLine(renewals[0]!.id).quantityWords).toBe('12,345 calls × $0.01 beyond 10,000 included');
    // The plan's line keeps Stripe's words.
    expect(invoiceDetail({ userId: user.id, invoiceId: renewals[0]!.id })!.lines.find((l) => !l.usage)).toMatchObject({ amount: 1200 });
  });
});

describe('billing details', () => {
  it('saves name, email, address and a tax ID, says Stripe’s words for a bad one, and prints them on the next invoice', async () => {
    const { user, cookie, customerId } = await signedUp('Details');
    const post = (fields: Record<string, string>) =>
      settle(() => detailsAction({ request: formRequest('/billing/details', fields, { cookie }), params: {}, context: {} }));
    const saved = await post({
      intent: 'details',
      name: 'Details GmbH',
      email: 'billing@details.example',
      line1: 'Hauptstraße 1',
      line2: '',
      city: 'Berlin',
      state: '',
      postal_code: '10115',
      country: 'de',
      nonce: 'nonce-details-1',
    });
    expect(saved.data).toMatchObject({ ok: true, message: 'Saved. Your next invoices show these details.' });
    const bad = await post({ intent: 'add_tax_id', type: 'eu_vat', value: 'DE12', nonce: 'nonce-details-2' });
    expect(bad.response?.status).toBe(400);
    expect(bad.data).toMatchObject({ ok: false, error: 'Invalid value for eu_vat.' });
    const good = await post({ intent: 'add_tax_id', type: 'eu_vat', value: 'DE123456789', nonce: 'nonce-details-3' });
    expect(good.data).toMatchObject({ ok: true });
    const badEmail = await post({
      intent: 'details',
      name: 'X',
      email: 'not-an-email',
      line1: '',
      line2: '',
      city: '',
      state: '',
      postal_code: '',
      country: '',
      nonce: 'nonce-details-4',
    });
    expect(badEmail.data).toMatchObject({ ok: false, error: 'Enter a billing email like name@example.com.', field: 'email' });

    const loaded = await settle(() => detailsLoader({ request: getRequest('/billing/details', { cookie }), params: {}, context: {} }));
    expect((loaded.data as { details: unknown }).details).toMatchObject({
      name: 'Details GmbH',
      email: 'billing@details.example',
      address: { line1: 'Hauptstraße 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
      taxIds: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    const stripeCustomer = await h.stripe.customers.retrieve(customerId, { expand: ['tax_ids'] });
    expect(stripeCustomer).toMatchObject({ name: 'Details GmbH', address: { country: 'DE' } });

    const invoiceId = await oneOffInvoice(customerId, 990);
    expect(invoiceDetail({ userId: user.id, invoiceId })!.billedTo).toMatchObject({
      name: 'Details GmbH',
      email: 'billing@details.example',
      address: { line1: 'Hauptstraße 1', city: 'Berlin', country: 'DE' },
      taxIds: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
  });
});

describe('the next invoice', () => {
  it('is kept in the mirror from Stripe’s preview after an action, with its lines, and goes when the subscription is set to end', async () => {
    const { user } = await signedUp('Next');
    const started = await startSubscription({ userId: user.id, planKey: 'starter', interval: 'month', nonce: `nonce-next-${n++}` });
    if (started.kind !== 'needs_payment') throw new Error('expected a payment step');
    await h.stripe.paymentIntents.confirm(started.step.clientSecret.split('_secret_')[0]!, { payment_method: 'pm_card_visa' });
    await completeSubscription({ userId: user.id });
    const stored = getUpcomingInvoice({ userId: user.id });
    expect(stored).toMatchObject({ currency: 'usd', amountDue: 1200 });
    const next = nextInvoice({ userId: user.id })!;
    expect(next.amount).toBe(1200);
    expect(next.lines.some((l) => l.amount === 1200)).toBe(true);
    expect(Date.parse(next.date)).toBeGreaterThan(Date.now()); // the renewal, in the future
    const { cancelAtPeriodEnd } = await import('~/billing/subscriptions.server');
    await cancelAtPeriodEnd({ userId: user.id, nonce: `nonce-next-${n++}` });
    expect(getUpcomingInvoice({ userId: user.id })).toBeNull();
    expect(nextInvoice({ userId: user.id })).toBeNull();
  });
});
