import { useFetcher } from '@remix-run/react';
import type { FormEvent, ReactNode } from 'react';
import type { BillingActionResult } from './action-result';

/** A one-button form for a manage action (shares the page's `manage` fetcher by key). */
export function ManageButton(props: {
  intent: string;
  busy: boolean;
  className: string;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
}) {
  const manage = useFetcher<BillingActionResult>({ key: 'manage' });
  return (
    <manage.Form method="post" onSubmit={props.onSubmit}>
      <input type="hidden" name="intent" value={props.intent} />
      <input type="hidden" name="nonce" />
      <button type="submit" className={props.className} disabled={props.busy}>
        {props.children}
      </button>
    </manage.Form>
  );
}
