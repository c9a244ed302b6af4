/**
 * Every kind of email the app sends, by the `template` name stored in the outbox. `renderMail` turns
 * the facts in a row's `data` into the message (subject, plain text, HTML).
 */
import { passwordReset } from './account';
import { cardExpiring, paymentActionRequired, paymentFailed } from './dunning';
import { renderLayout, type MailBody, type MailContext, type RenderedMail } from './layout';
import { invoicePaid, paymentReceipt } from './receipts';
import { subscriptionCanceled, subscriptionWillCancel, trialWillEnd } from './subscription';
import { usageThreshold } from './usage';

const TEMPLATES = {
  'invoice-paid': (d) => invoicePaid(d),
  'payment-receipt': (d) => paymentReceipt(d),
  'payment-failed': (d) => paymentFailed(d),
  'payment-action-required': (d) => paymentActionRequired(d),
  'card-expiring': (d) => cardExpiring(d),
  'trial-will-end': (d) => trialWillEnd(d),
  'subscription-will-cancel': (d) => subscriptionWillCancel(d),
  'subscription-canceled': (d) => subscriptionCanceled(d),
  usage_threshold: (d) => usageThreshold(d),
  password_reset: (d, appUrl) => passwordReset(d, appUrl),
} satisfies Record<string, (data: Record<string, unknown>, appUrl: string) => MailBody>;

export type MailKind = keyof typeof TEMPLATES;

export function isMailKind(kind: string): kind is MailKind {
  return Object.hasOwn(TEMPLATES, kind);
}

export function renderMail(kind: MailKind, data: Record<string, unknown>, ctx: MailContext): RenderedMail {
  return renderLayout(TEMPLATES[kind](data, ctx.appUrl), ctx);
}

export type { RenderedMail };
