/**
 * The outbox (docs/billing.md, "Emails"): a message is written in the transaction of its cause, once
 * per cause, and the sender delivers it over real SMTP (an smtp-server listener), marks it sent,
 * retries a refusal with backoff and gives up after N attempts.
 */
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '~/auth/users.server';
import { db } from '~/db/client.server';
import { outbox, users, webhookEffects } from '~/db/schema';
import { queueMail } from '~/mail/outbox.server';
import { MailSender } from '~/mail/sender.server';
import { runEffects } from '~/webhooks/handlers.server';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp';

let smtp: SmtpListener;
let userId: string;
const customerId = 'cus_outbox_test';

const rows = () => db().select().from(outbox).orderBy(outbox.id).all();
const effects = () => db().select().from(webhookEffects).all();

function paidInvoice(id: string, amount: number): Stripe.Invoice {
  return {
    id,
    object: 'invoice',
    status: 'paid',
    number: `ACME-${id}`,
    amount_paid: amount,
    amount_due: amount,
    currency: 'usd',
    customer: customerId,
    metadata: {},
    lines: { data: [{ description: '1 × Pro (at $49.00 / month)' }] },
    status_transitions: { paid_at: 1_796_000_000 },
  } as unknown as Stripe.Invoice;
}

/** What the worker does for one event: effects inside one transaction, which may fail afterwards. */
function applyInvoicePaid(invoice: Stripe.Invoice, eventId: string, failAfter = false) {
  db().transaction((tx) => {
    runEffects({
      tx,
      event: { id: eventId, type: 'invoice.paid', created: 1_796_000_000, object: { id: invoice.id } },
      snapshot: { kind: 'invoice', id: invoice.id, object: invoice },
    });
    if (failAfter) throw new Error('the mirror write failed');
  });
}

beforeAll(async () => {
  smtp = await startSmtpListener();
  const user = await createUser({ email: 'outbox-owner@example.com', name: 'Olive Owner', password: 'correct horse battery' });
  userId = user.id;
  db().update(users).set({ stripeCustomerId: customerId }).where(eq(users.id, userId)).run();
});

afterAll(async () => {
  await smtp.close();
});

beforeEach(() => {
  db().delete(outbox).run();
  db().delete(webhookEffects).run();
  smtp.received.length = 0;
  smtp.refuse.clear();
});

describe('outbox rows are atomic with their cause', () => {
  it('a rolled-back transaction leaves no message; a committed one leaves exactly one per cause', () => {
    expect(() =>
      db().transaction((tx) => {
        queueMail(tx, {
          dedupeKey: 'test:cause-1',
          kind: 'usage_threshold',
          userId,
          data: { threshold: 80, calls: 8000, allowance: 10000 },
        });
        throw new Error('the cause failed');
      }),
    ).toThrow('the cause failed');
    expect(rows()).toEqual([]);

    const first = db().transaction((tx) =>
      queueMail(tx, { dedupeKey: 'test:cause-1', kind: 'usage_threshold', userId, data: { threshold: 80, calls: 8000, allowance: 10000 } }),
    );
    const again = db().transaction((tx) =>
      queueMail(tx, { dedupeKey: 'test:cause-1', kind: 'usage_threshold', userId, data: { threshold: 80, calls: 8001, allowance: 10000 } }),
    );
    expect([first, again]).toEqual([true, false]);
    const [row] = rows();
    expect(rows()).toHaveLength(1);
    expect(row).toMatchObject({ status: 'pending', toEmail: 'outbox-owner@example.com', template: 'usage_threshold' });
    expect(row!.subject).toBe('You have used 80% of your included API calls');
    expect(row!.text).toContain('Hi Olive Owner,');
    expect(row!.text).toContain('http://localhost:3999/billing/usage');
    expect(row!.html).toContain('href="http://localhost:3999/billing/usage"');
  });

  it('a webhook effect and its email commit together: a failure after the effect leaves neither, a replay adds nothing', () => {
    const invoice = paidInvoice('in_outbox_1', 4900);
    expect(() => applyInvoicePaid(invoice, 'evt_paid_1', true)).toThrow('the mirror write failed');
    expect(rows()).toEqual([]);
    expect(effects()).toEqual([]);

    applyInvoicePaid(invoice, 'evt_paid_1');
    applyInvoicePaid(invoice, 'evt_paid_1_redelivered');
    expect(effects().map((e) => e.key)).toEqual(['email:invoice-paid:in_outbox_1']);
    expect(rows().map((r) => [r.dedupeKey, r.subject])).toEqual([
      ['email:invoice-paid:in_outbox_1', 'Welcome to Acme Cloud: your receipt for $49.00'],
    ]);

    // The next receipt is a plain one; a $0 invoice gets none.
    applyInvoicePaid(paidInvoice('in_outbox_2', 4900), 'evt_paid_2');
    applyInvoicePaid(paidInvoice('in_outbox_3', 0), 'evt_paid_3');
    expect(rows().map((r) => r.subject)).toEqual(['Welcome to Acme Cloud: your receipt for $49.00', 'Your Acme Cloud receipt for $49.00']);
    expect(rows()[1]!.text).toContain('/billing/invoices/in_outbox_2');
    expect(rows()[1]!.html).not.toMatch(/sk_(test|live)_|whsec_|password/i);
  });
});

describe('payment problems', () => {
  function openInvoice(id: string, error: { code: string; message: string }): Stripe.Invoice {
    return {
      ...paidInvoice(id, 0),
      status: 'open',
      amount_paid: 0,
      amount_due: 4900,
      billing_reason: 'subscription_cycle',
      attempt_count: 1,
      next_payment_attempt: 1_796_259_200,
      payments: { data: [{ created: 1, payment: { payment_intent: { id: 'pi_x', last_payment_error: error } } }] },
    } as unknown as Stripe.Invoice;
  }
  const apply = (type: string, invoice: Stripe.Invoice, eventId: string) =>
    db().transaction((tx) =>
      runEffects({
        tx,
        event: { id: eventId, type, created: 1_796_000_000, object: { id: invoice.id } },
        snapshot: { kind: 'invoice', id: invoice.id, object: invoice },
      }),
    );

  it('a declined renewal: one "payment failed" email per invoice with the decline in Stripe\'s words, whatever the retries', () => {
    const invoice = openInvoice('in_declined', { code: 'card_declined', message: 'Your card has insufficient funds.' });
    apply('invoice.payment_failed', invoice, 'evt_f1');
    apply('invoice.payment_failed', { ...invoice, attempt_count: 2 } as Stripe.Invoice, 'evt_f2');
    expect(rows().map((r) => [r.template, r.subject])).toEqual([['payment-failed', 'Your payment of $49.00 failed: update your card']]);
    expect(rows()[0]!.text).toContain('Your card has insufficient funds.');
    expect(rows()[0]!.text).toContain('http://localhost:3999/billing/invoices/in_declined');
  });

  it('a renewal that needs 3D Secure: the "confirm your payment" email, not a "failed" one', () => {
    const invoice = openInvoice('in_3ds', {
      code: 'authentication_required',
      message: 'Your card was declined. This transaction requires authentication.',
    });
    apply('invoice.payment_failed', invoice, 'evt_a1');
    apply('invoice.payment_action_required', invoice, 'evt_a2');
    expect(rows().map((r) => [r.template, r.subject])).toEqual([['payment-action-required', 'Confirm your payment of $49.00']]);
  });
});

describe('the sender', () => {
  const queue = (key: string, to?: string) =>
    db().transaction((tx) =>
      queueMail(tx, {
        dedupeKey: key,
        kind: 'card-expiring',
        userId,
        to,
        data: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2026 },
      }),
    );

  it('with no SMTP_URL sends nothing: mail stays pending', async () => {
    queue('test:nosmtp');
    const report = await new MailSender({ smtpUrl: null, cardCheckEveryMs: 0 }).runOnce();
    expect(report.claimed).toBe(0);
    expect(rows().map((r) => r.status)).toEqual(['pending']);
  });

  it('delivers over SMTP, marks each row sent with its Message-ID, and never takes a sent row again', async () => {
    queue('test:a');
    queue('test:b');
    const sender = new MailSender({ smtpUrl: smtp.url, from: 'Acme Cloud <billing@acme.test>', cardCheckEveryMs: 0 });
    try {
      expect(await sender.runOnce()).toEqual({ claimed: 2, sent: 2, retried: 0, failed: 0 });
      expect(await sender.runOnce()).toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });
    } finally {
      await sender.stop();
    }
    const sent = rows();
    expect(sent.map((r) => [r.status, r.attempts, r.lockedUntil])).toEqual([
      ['sent', 1, null],
      ['sent', 1, null],
    ]);
    expect(smtp.received.map((m) => m.to)).toEqual([['outbox-owner@example.com'], ['outbox-owner@example.com']]);
    expect(smtp.received.map((m) => m.messageId)).toEqual(sent.map((r) => r.messageId));
    expect(sent[0]!.messageId).toMatch(/^<outbox-\d+\.[0-9a-f]{16}@acme\.test>$/);
    expect(smtp.received[0]!.raw).toMatch(/^From: Acme Cloud <billing@acme\.test>/m);
    expect(smtp.received[0]!.subject).toBe('Your Visa ending 4242 expires at the end of next month');
  });

  it('retries a refused message with backoff and marks it failed after maxAttempts, keeping the error', async () => {
    smtp.refuse.add('bounce@example.com');
    queue('test:refused', 'bounce@example.com');
    const sender = new MailSender({
      smtpUrl: smtp.url,
      from: 'Acme Cloud <billing@acme.test>',
      maxAttempts: 3,
      backoffMs: () => 0,
      cardCheckEveryMs: 0,
    });
    try {
      const reports = [await sender.runOnce(), await sender.runOnce(), await sender.runOnce(), await sender.runOnce()];
      expect(reports.map((r) => [r.retried, r.failed])).toEqual([
        [1, 0],
        [1, 0],
        [0, 1],
        [0, 0],
      ]);
    } finally {
      await sender.stop();
    }
    const [row] = rows();
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row!.lastError).toMatch(/550/);
    expect(smtp.received).toEqual([]);
  });

  it('waits out the backoff before trying again', async () => {
    smtp.refuse.add('later@example.com');
    queue('test:backoff', 'later@example.com');
    const sender = new MailSender({
      smtpUrl: smtp.url,
      from: 'Acme Cloud <billing@acme.test>',
      backoffMs: () => 60_000,
      cardCheckEveryMs: 0,
    });
    try {
      expect((await sender.runOnce()).retried).toBe(1);
      expect((await sender.runOnce()).claimed).toBe(0);
    } finally {
      await sender.stop();
    }
    expect(rows()[0]!.nextAttemptAt).toBeGreaterThan(Date.now() + 50_000);
  });
});
