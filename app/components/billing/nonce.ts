import type { FormEvent } from 'react';

/** A random idempotency nonce (the action turns it into Stripe idempotency keys). */
export function newNonce(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/**
 * A form's `onSubmit`: fills its hidden `nonce` field with a new nonce, so every attempt carries its
 * own idempotency key. The field is filled only in the browser (the server renders it empty), so
 * server and client markup agree.
 */
export function fillNonce(event: FormEvent<HTMLFormElement>): void {
  const field = event.currentTarget.elements.namedItem('nonce');
  if (field instanceof HTMLInputElement) field.value = newNonce();
}
