import { useFetcher, useSearchParams } from '@remix-run/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Interval, PlanKey } from '~/billing/plans';
import { outcomeOf, type BillingActionResult } from './action-result';
import { fillNonce, newNonce } from './nonce';

type Channel = 'subscribe' | 'confirm' | 'manage';
export type DialogKind = 'cancel' | 'cancel_now';

/**
 * The billing page's actions, on three keyed fetchers: `subscribe` (start a plan), `confirm` (after
 * Stripe.js confirmed the payment) and `manage` (every other button). Everything shown is derived
 * from the fetchers' answers during render; the only state is what the user did (which fetcher they
 * used last, which payment form they closed, which dialog they opened), set by the handlers below.
 */
export function useBillingActions() {
  const subscribe = useFetcher<BillingActionResult>({ key: 'subscribe' });
  const confirm = useFetcher<BillingActionResult>({ key: 'confirm' });
  const manage = useFetcher<BillingActionResult>({ key: 'manage' });
  const [latest, setLatest] = useState<Channel | null>(null);
  // Payment forms by client secret: the one the user closed, the one whose confirmation was sent.
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  // An open dialog closes once the manage action it sent has finished.
  const [dialog, setDialog] = useState<{ kind: DialogKind; sent: boolean } | null>(null);

  const offered = subscribe.data?.ok && subscribe.data.intent === 'subscribe' ? subscribe.data.step : null;
  const confirmed = confirm.state === 'idle' && confirm.data?.ok === true;
  const step = offered && offered.clientSecret !== dismissed && !(confirmed && offered.clientSecret === confirming) ? offered : null;
  // The banner shows the answer of the action the user took last, whichever fetcher ran it.
  const answer =
    latest === 'subscribe' ? subscribe.data : latest === 'confirm' ? confirm.data : latest === 'manage' ? manage.data : undefined;

  const confirmPayment = (clientSecret: string | null) => {
    setLatest('confirm');
    setConfirming(clientSecret);
    confirm.submit({ intent: 'confirm' }, { method: 'post' });
  };

  return {
    busy: subscribe.state !== 'idle' || confirm.state !== 'idle' || manage.state !== 'idle',
    step,
    outcome: outcomeOf(answer),
    dialog: dialog && !(dialog.sent && manage.state === 'idle') ? dialog.kind : null,
    /** Stripe's refusal of the promotion code typed on the subscribe step, for the field itself. */
    codeError: subscribe.data && !subscribe.data.ok && subscribe.data.field === 'code' ? subscribe.data.error : null,
    startPlan(plan: PlanKey, interval: Interval, seats?: number, code?: string) {
      setLatest('subscribe');
      setDismissed(null);
      setConfirming(null);
      subscribe.submit(
        { intent: 'subscribe', plan, interval, nonce: newNonce(), ...(seats ? { seats: String(seats) } : {}), ...(code ? { code } : {}) },
        { method: 'post' },
      );
    },
    confirmPayment,
    /** Back to the plans from the card form: the unpaid attempt is cancelled in Stripe. */
    abandonAttempt() {
      if (offered) setDismissed(offered.clientSecret);
      setLatest('manage');
      manage.submit({ intent: 'abandon' }, { method: 'post' });
    },
    /** `onSubmit` of every manage form (they post through the `manage` fetcher themselves). */
    manageSubmitted(event: FormEvent<HTMLFormElement>) {
      setLatest('manage');
      fillNonce(event);
      setDialog((open) => (open ? { ...open, sent: true } : null));
    },
    openDialog(kind: DialogKind) {
      setDialog({ kind, sent: false });
    },
    closeDialog() {
      setDialog(null);
    },
  };
}

/** Back from a redirect-based confirmation (Stripe appends `redirect_status`): finish once. */
export function useConfirmAfterRedirect(confirmPayment: (clientSecret: string | null) => void) {
  const [params, setParams] = useSearchParams();
  const done = useRef(false);
  useEffect(() => {
    const status = params.get('redirect_status');
    if (status && !done.current) {
      done.current = true;
      if (status === 'succeeded') confirmPayment(null);
      setParams({}, { replace: true });
    }
  }, [params, setParams, confirmPayment]);
}
