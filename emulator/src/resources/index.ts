import type { EmulatorApp } from '../core'
import { register as customers } from './customers'
import { register as paymentMethods } from './payment-methods'
import { register as webhookEndpoints } from './webhook-endpoints'
import { register as events } from './events'

export function registerCoreResources(app: EmulatorApp): void {
  customers(app)
  paymentMethods(app)
  events(app)
  webhookEndpoints(app)
}
