/** The subscription's life: the trial ends soon, it will cancel, it was cancelled. */
import { PRODUCT_NAME } from '../brand';
import { mailDate, mailMoney, str } from './format';
import type { MailBody } from './layout';

export function trialWillEnd(d: Record<string, unknown>): MailBody {
  const end = mailDate(d.trialEnd as number | null) ?? 'in 3 days';
  const amount = mailMoney(d.amount, d.currency);
  const plan = str(d.planName);
  return {
    subject: `Your ${PRODUCT_NAME} trial ends on ${end}`,
    heading: 'Your free trial ends soon',
    paragraphs: [
      `Your free trial${plan ? ` of ${plan}` : ''} ends on ${end}.`,
      d.hasCard === false
        ? 'Add a card before then to keep your access.'
        : `After that your subscription continues${amount ? ` at ${amount}` : ''} with the card on file. You can change plan or cancel any time before.`,
    ],
    action: { label: 'Review your subscription', path: '/billing' },
  };
}

export function subscriptionWillCancel(d: Record<string, unknown>): MailBody {
  const at = mailDate(d.cancelAt as number | null) ?? 'the end of this period';
  return {
    subject: `Your ${PRODUCT_NAME} subscription ends on ${at}`,
    heading: 'Your subscription will end',
    paragraphs: [
      `As requested, your subscription will not renew. You keep full access until ${at}, and nothing more will be charged.`,
      'Changed your mind? You can keep your subscription with one click until then.',
    ],
    action: { label: 'Keep my subscription', path: '/billing' },
  };
}

export function subscriptionCanceled(d: Record<string, unknown>): MailBody {
  const ended = mailDate(d.endedAt as number | null);
  const unpaid = d.reason === 'payment_failed';
  return {
    subject: `Your ${PRODUCT_NAME} subscription has ended`,
    heading: 'Your subscription has ended',
    tone: unpaid ? 'alert' : 'info',
    paragraphs: [
      unpaid
        ? `We could not collect your payment after several tries, so your subscription ended${ended ? ` on ${ended}` : ''} and access to paid features stopped.`
        : `Your subscription ended${ended ? ` on ${ended}` : ''}. Thank you for having been with us.`,
      'You can start again at any time: choose a plan and your account picks up where it left off.',
    ],
    action: { label: 'Choose a plan', path: '/billing' },
  };
}
