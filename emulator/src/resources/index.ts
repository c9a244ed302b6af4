import type { EmulatorApp } from '../core';
import { register as balanceTransactions } from './balance-transactions';
import { register as customerBalanceTransactions } from './customer-balance-transactions';
import { register as customers } from './customers';
import { register as customerSessions } from './customer-sessions';
import { register as events } from './events';
import { register as paymentIntents } from './payment-intents';
import { register as paymentMethods } from './payment-methods';
import { register as prices } from './prices';
import { register as products } from './products';
import { register as refunds } from './refunds';
import { register as search } from './search';
import { register as setupIntents } from './setup-intents';
import { register as taxIds } from './tax-ids';
import { register as taxRates } from './tax-rates';
import { register as threeDs } from './three-ds';
import { register as webhookEndpoints } from './webhook-endpoints';

export function registerCoreResources(app: EmulatorApp): void {
  customers(app);
  taxIds(app);
  taxRates(app);
  customerBalanceTransactions(app);
  customerSessions(app);
  paymentMethods(app);
  paymentIntents(app);
  balanceTransactions(app);
  refunds(app);
  setupIntents(app);
  threeDs(app);
  products(app);
  prices(app);
  events(app);
  webhookEndpoints(app);
  search(app);
}
