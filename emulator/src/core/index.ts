/** The emulator framework: import everything from here (`import { p, errors, ... } from '../core'`). */
export { EmulatorApp, RawResponse, previousAttributes } from './app';
export type { Ctx, KeyKind } from './app';
export { StripeError, errors } from './errors';
export { p, listParams, applyMetadata, canonicalDecimal } from './params';
export type { Infer } from './params';
export { base62, stableToken } from './ids';
export { isServedVersion, unsupportedVersionError } from './versions';
