import { useFetcher } from '@remix-run/react';
import type { FormEvent } from 'react';
import type { BillingActionResult } from './action-result';

/**
 * Pause payments for 1–3 months (the overview's `pause` intent, `pause_collection` with `void`). The
 * rule while paused (docs/billing.md, "Pause"): nothing is charged and the paid features are off until
 * the resume date or an earlier "Resume subscription".
 */
export function PausePayments(props: { busy: boolean; onSubmit: (event: FormEvent<HTMLFormElement>) => void }) {
  const manage = useFetcher<BillingActionResult>({ key: 'manage' });
  return (
    <section aria-labelledby="pause-title" className="card">
      <h2 id="pause-title" className="text-lg font-semibold">
        Take a break
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Pause payments for a few months instead of cancelling. Nothing is charged while paused and the paid features are off until it
        resumes; you can resume earlier at any time.
      </p>
      <manage.Form method="post" onSubmit={props.onSubmit} className="mt-4 flex flex-wrap items-end gap-3">
        <input type="hidden" name="intent" value="pause" />
        <input type="hidden" name="nonce" />
        <div>
          <label htmlFor="pause-months" className="label">
            Pause for
          </label>
          <select id="pause-months" name="months" defaultValue="1" className="input mt-1 w-40">
            <option value="1">1 month</option>
            <option value="2">2 months</option>
            <option value="3">3 months</option>
          </select>
        </div>
        <button type="submit" className="btn-secondary" disabled={props.busy}>
          Pause payments
        </button>
      </manage.Form>
    </section>
  );
}
