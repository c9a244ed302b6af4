/**
 * Stripe's `suppress_response_codes=true` API parameter ("for clients that can't handle non-200
 * responses: every response is HTTP 200, the status is only in the body") for `/v1/*` routes.
 *
 * Why here: the emulator's stripe.js sends it so that a declined card (402) is not logged by the
 * browser as a console error ("Failed to load resource: … 402"). Asked of the core in
 * NOTES-browser.md; until the core's server does it, this installs it from the browser module by
 * wrapping `app.match` / `app.paramSchema` (public methods) — no core file is changed.
 * Transactions keep their semantics: the wrapped handler runs in `app.runInTransaction` itself, so
 * errors roll back (or commit, for card errors) exactly as before; only the status code changes.
 */
import { EmulatorApp, RawResponse, StripeError, p, type RouteDef } from '../core'

const PARAM = 'suppress_response_codes'

export function installSuppressResponseCodes(app: EmulatorApp): void {
  const marker = app as unknown as { __suppressResponseCodes?: boolean }
  if (marker.__suppressResponseCodes) return
  marker.__suppressResponseCodes = true

  const isApi = (def: RouteDef<any>) => /^\/v[12]\//.test(def.path) && def.auth !== 'none'
  const origSchema = app.paramSchema.bind(app)
  const origMatch = app.match.bind(app)
  const wrapped = new WeakMap<RouteDef<any>, RouteDef<any>>()

  app.paramSchema = (def) => {
    const s = origSchema(def)
    if (!s || !isApi(def) || s.shape[PARAM]) return s
    return s.extend({ [PARAM]: p.boolean() })
  }

  const wrap = (def: RouteDef<any>): RouteDef<any> => {
    let w = wrapped.get(def)
    if (w) return w
    const inTx = def.transaction !== false
    w = {
      ...def,
      transaction: false,
      handler: (ctx, params, req) => {
        const all = params as Record<string, unknown>
        const suppress = all[PARAM] === true
        delete all[PARAM]
        const run = () => def.handler(ctx, params, req)
        if (!suppress) return inTx ? app.runInTransaction(ctx as Parameters<EmulatorApp['runInTransaction']>[0], run) : run()
        const asBody = (e: unknown) => {
          if (e instanceof StripeError) return RawResponse.json(e.toJSON(), 200)
          throw e
        }
        try {
          const r = inTx ? app.runInTransaction(ctx as Parameters<EmulatorApp['runInTransaction']>[0], run) : run()
          return r instanceof Promise ? r.catch(asBody) : r
        } catch (e) {
          return asBody(e)
        }
      },
    }
    wrapped.set(def, w)
    return w
  }

  app.match = (method, path) => {
    const m = origMatch(method, path)
    if (!m || !isApi(m.route)) return m
    return { route: wrap(m.route), pathParams: m.pathParams }
  }
}
