/** Payment problems: a failed payment, a payment waiting for the customer (3D Secure), a card about to expire. */
import { mailDate, mailMoney, num, str } from './format';
import type { MailBody } from './layout';

export function paymentFailed(d: Record<string, unknown>): MailBody {
  const amount = mailMoney(d.amountDue, d.currency) ?? 'your payment';
  const failed = mailDate(d.failedAt as number | null);
  const next = mailDate(d.nextPaymentAttempt as number | null);
  const reason = str(d.reason);
  const facts: [string, string][] = [['Amount', amount]];
  if (failed) facts.push(['Failed on', failed]);
  if (reason) facts.push(['Reason given by the bank', reason]);
  if (next) facts.push(['Next automatic try', next]);
  return {
    subject: `Your payment of ${amount} failed: update your card`,
    heading: 'Your payment failed',
    tone: 'alert',
    paragraphs: [
      `We could not charge ${amount} for your subscription${failed ? ` on ${failed}` : ''}${reason ? `: “${reason}”` : '.'}`,
      next
        ? `We will try again on ${next}. To keep your access, pay now with another card or update the one on file.`
        : 'To keep your access, pay the invoice now with another card or update the one on file.',
    ],
    facts,
    action: { label: 'Update your card and pay', path: `/billing/invoices/${str(d.invoice) ?? ''}` },
  };
}

export function paymentActionRequired(d: Record<string, unknown>): MailBody {
  const amount = mailMoney(d.amountDue, d.currency) ?? 'your renewal';
  return {
    subject: `Confirm your payment of ${amount}`,
    heading: 'Your bank asks you to confirm a payment',
    tone: 'alert',
    paragraphs: [
      `Your bank needs you to confirm the payment of ${amount} for your subscription (3D Secure). Nothing has been charged yet.`,
      'Open the invoice and confirm the payment; it takes a minute.',
    ],
    facts: [['Amount', amount]],
    action: { label: 'Confirm the payment', path: `/billing/invoices/${str(d.invoice) ?? ''}` },
  };
}

export function cardExpiring(d: Record<string, unknown>): MailBody {
  const brand = str(d.brand) ?? 'card';
  const label = `${brand[0]!.toUpperCase()}${brand.slice(1)} ending ${str(d.last4) ?? '····'}`;
  const month = num(d.expMonth);
  const year = num(d.expYear);
  const expires = month && year ? `${String(month).padStart(2, '0')}/${year}` : 'soon';
  return {
    subject: `Your ${label} expires at the end of next month`,
    heading: 'Your card is about to expire',
    paragraphs: [
      `The card your subscription is charged to, ${label}, expires ${expires}. Add a new card so your next renewal goes through.`,
    ],
    facts: [
      ['Card', label],
      ['Expires', expires],
    ],
    action: { label: 'Update your card', path: '/billing/payment-methods' },
  };
}
