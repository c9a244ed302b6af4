import type { PaymentStep } from '~/billing/subscriptions.server';

/** What the billing page's action answers (`useFetcher().data`); the page's banner shows its outcome. */
export type BillingActionResult =
  | { ok: true; intent: 'subscribe'; step: PaymentStep | null; message: string | null }
  | { ok: true; intent: string; step?: undefined; message: string | null }
  | { ok: false; intent: string; error: string; step?: undefined; field?: 'code' };

export interface Outcome {
  kind: 'success' | 'error';
  text: string;
}

/** The banner for an answer: its error, or its success message when it has one. */
export function outcomeOf(answer: BillingActionResult | undefined): Outcome | null {
  if (!answer) return null;
  if (!answer.ok) return { kind: 'error', text: answer.error };
  return answer.message ? { kind: 'success', text: answer.message } : null;
}
