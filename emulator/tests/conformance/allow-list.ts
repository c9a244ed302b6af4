/**
 * Where the SDK's declarations are known to be looser or stricter than what Stripe sends, one entry each,
 * with the reason. Keep it tiny: a gap in the emulator is fixed in the emulator, never listed here.
 * `path` matches a violation's path exactly (`*` matches one path segment).
 */
import type { ViolationKind } from './validate';

interface Allowed {
  kind: ViolationKind;
  path: string;
  reason: string;
}

export const ALLOW_LIST: readonly Allowed[] = [];
