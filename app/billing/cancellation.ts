import type { CancellationReason } from '~/db/schema';

/**
 * What the cancel form offers, in order, with the words it shows. Typed against the schema's
 * reasons, so a reason added there fails the typecheck until it has a label here; only the type is
 * imported, so the browser bundle carries no table definitions.
 */
export const CANCELLATION_REASON_LABELS: Record<CancellationReason, string> = {
  too_expensive: 'It is too expensive',
  missing_features: 'It is missing features I need',
  switched_service: 'I switched to another service',
  unused: 'I do not use it enough',
  other: 'Something else',
};

export const CANCELLATION_REASON_OPTIONS = Object.keys(CANCELLATION_REASON_LABELS) as [CancellationReason, ...CancellationReason[]];
