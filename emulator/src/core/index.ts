/** The emulator framework: import everything from here (`import { p, errors, ... } from '../core'`). */
export { EmulatorApp, RawResponse, API_VERSION, previousAttributes } from './app';
export type {
  Ctx,
  RouteDef,
  RouteRequest,
  TypeDef,
  Job,
  ScheduleOpts,
  HttpMethod,
  AuthMode,
  KeyKind,
  EventHook,
  JobHandler,
  ListParamsIn,
} from './app';
export { StripeError, errors } from './errors';
export type { StripeErrorInit, StripeErrorType } from './errors';
export { p, listParams, applyMetadata, canonicalDecimal, Param, ObjectParam } from './params';
export type { Infer, ShapeOut, RangeFilter, AnyParam } from './params';
export { Store } from './store';
export type { ObjectTypes, ListQuery, ListResult } from './store';
export { Clock } from './clock';
export { newId, base62, stableToken, idPrefix } from './ids';
export { signPayload, eventMatches } from './webhooks';
