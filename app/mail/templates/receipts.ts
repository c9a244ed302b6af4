/** Receipts: a paid invoice above $0 and a one-time payment; the customer's first one also says welcome. */
import { PRODUCT_NAME } from '../brand';
import { mailDate, mailMoney, str } from './format';
import type { MailBody } from './layout';

export function invoicePaid(d: Record<string, unknown>): MailBody {
  const amount = mailMoney(d.amountPaid, d.currency) ?? 'your payment';
  const welcome = d.welcome === true;
  const facts: [string, string][] = [['Amount paid', amount]];
  if (str(d.number)) facts.push(['Invoice', str(d.number)!]);
  if (str(d.description)) facts.push(['For', str(d.description)!]);
  const paid = mailDate(d.paidAt as number | null);
  if (paid) facts.push(['Paid on', paid]);
  return {
    subject: welcome ? `Welcome to ${PRODUCT_NAME}: your receipt for ${amount}` : `Your ${PRODUCT_NAME} receipt for ${amount}`,
    heading: welcome ? `Welcome to ${PRODUCT_NAME}` : 'Thanks for your payment',
    paragraphs: [
      ...(welcome ? [`Thank you for choosing ${PRODUCT_NAME}. Your account is ready to use.`] : []),
      `We received your payment of ${amount}. This email is your receipt; the invoice and its PDF are in your account.`,
    ],
    facts,
    action: { label: 'View the invoice', path: `/billing/invoices/${str(d.invoice) ?? ''}` },
  };
}

export function paymentReceipt(d: Record<string, unknown>): MailBody {
  const amount = mailMoney(d.amount, d.currency) ?? 'your payment';
  const welcome = d.welcome === true;
  const facts: [string, string][] = [['Amount paid', amount]];
  if (str(d.description)) facts.push(['For', str(d.description)!]);
  const paid = mailDate(d.paidAt as number | null);
  if (paid) facts.push(['Paid on', paid]);
  return {
    subject: welcome ? `Welcome to ${PRODUCT_NAME}: your receipt for ${amount}` : `Your ${PRODUCT_NAME} receipt for ${amount}`,
    heading: welcome ? `Welcome to ${PRODUCT_NAME}` : 'Thanks for your purchase',
    paragraphs: [
      ...(welcome ? [`Thank you for choosing ${PRODUCT_NAME}.`] : []),
      `We received your one-time payment of ${amount}. This email is your receipt.`,
    ],
    facts,
    action: { label: 'See your purchases', path: '/billing/credits' },
  };
}
