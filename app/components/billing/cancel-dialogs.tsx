import { useFetcher } from '@remix-run/react';
import type { FormEvent } from 'react';
import { CANCELLATION_REASON_LABELS, CANCELLATION_REASON_OPTIONS } from '~/billing/cancellation';
import type { BillingOverview } from '~/billing/overview.server';
import { Dialog } from '~/components/billing-ui';
import { formatMoney } from '~/lib/money';
import type { BillingActionResult } from './action-result';
import { longDate } from './format';

interface DialogProps {
  open: boolean;
  busy: boolean;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  onClose: () => void;
}

/** Cancel at period end, with an optional reason. Posts through the page's `manage` fetcher. */
export function CancelDialog(props: DialogProps & { sub: BillingOverview['subscription'] }) {
  const manage = useFetcher<BillingActionResult>({ key: 'manage' });
  const { sub } = props;
  return (
    <Dialog open={props.open} title="Cancel your subscription?" onClose={props.onClose}>
      <manage.Form method="post" className="space-y-4" onSubmit={props.onSubmit}>
        <input type="hidden" name="intent" value="cancel" />
        <input type="hidden" name="nonce" />
        <p className="text-sm text-slate-700">
          You keep full access until{' '}
          <strong>
            {sub?.currentPeriodEnd
              ? longDate(sub.trialEnd && sub.status === 'trialing' ? sub.trialEnd : sub.currentPeriodEnd)
              : 'the end of the period'}
          </strong>
          . Nothing more will be charged, and you can change your mind until then.
        </p>
        <div>
          <label htmlFor="cancel-reason" className="label">
            Why are you leaving? <span className="font-normal text-slate-500">(optional)</span>
          </label>
          <select id="cancel-reason" name="reason" className="input mt-1" defaultValue="">
            <option value="">Prefer not to say</option>
            {CANCELLATION_REASON_OPTIONS.map((r) => (
              <option key={r} value={r}>
                {CANCELLATION_REASON_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <div className="flex justify-end gap-3">
          <button type="button" className="btn-secondary" onClick={props.onClose}>
            Keep subscription
          </button>
          <button type="submit" className="btn-danger" disabled={props.busy}>
            Cancel at period end
          </button>
        </div>
      </manage.Form>
    </Dialog>
  );
}

/** Cancel immediately, saying what credit the unused time gives. */
export function CancelNowDialog(props: DialogProps & { preview: { credit: number; currency: string } | null }) {
  const manage = useFetcher<BillingActionResult>({ key: 'manage' });
  const { preview } = props;
  return (
    <Dialog open={props.open} title="Cancel immediately?" onClose={props.onClose}>
      <manage.Form method="post" className="space-y-4" onSubmit={props.onSubmit}>
        <input type="hidden" name="intent" value="cancel_now" />
        <input type="hidden" name="nonce" />
        <p className="text-sm text-slate-700">
          Access ends right away.{' '}
          {preview && preview.credit > 0
            ? `You get a credit of about ${formatMoney(preview.credit, preview.currency)} for the unused time, added to your account balance for future invoices.`
            : 'There is no unused paid time to credit.'}
        </p>
        <div className="flex justify-end gap-3">
          <button type="button" className="btn-secondary" onClick={props.onClose}>
            Go back
          </button>
          <button type="submit" className="btn-danger" disabled={props.busy}>
            Cancel now
          </button>
        </div>
      </manage.Form>
    </Dialog>
  );
}
