/** The conformance validator itself: it accepts what the emulator sends and catches each kind of violation. */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setupContract, uniq } from '../helpers';
import { loadSchema } from './generate';
import { validateBody, validateEvent } from './validate';

const t = setupContract();

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const kinds = (body: unknown) => validateBody(loadSchema(), body).map((v) => `${v.kind} ${v.path}`);

describe('conformance validator', () => {
  it('derives the schema of the pinned API version from the SDK', () => {
    const schema = loadSchema();
    expect(schema.apiVersion).toBe('2026-10-28.endive');
    expect(schema.objects.subscription).toEqual(['Subscriptions:Subscription']);
    expect(schema.objects['customer:deleted']).toEqual(['Customers:DeletedCustomer']);
    expect(schema.events['customer.subscription.updated']).toBe('Subscriptions:Subscription');
    const details = schema.defs['Subscriptions:Subscription.CancellationDetails']!;
    expect(Object.keys(details.props).sort()).toEqual(['comment', 'feedback', 'feedback_option', 'reason']);
  });

  t.emulatorOnly('flags missing fields, wrong types, unknown enum values, unknown properties and objects', async () => {
    const customer = await t.stripe.customers.create({ email: `${uniq()}@example.com`, metadata: { plan: 'team' } });
    expect(kinds(customer)).toEqual([]);

    const missing = clone(customer) as Partial<Stripe.Customer>;
    delete missing.email;
    expect(kinds(missing)).toEqual(['missing customer.email']);
    expect(kinds({ ...clone(customer), email: 5 })).toEqual(['type customer.email']);
    expect(kinds({ ...clone(customer), tax_exempt: 'sometimes' })).toEqual(['enum customer.tax_exempt']);
    expect(kinds({ ...clone(customer), colour: 'red' })).toEqual(['unknown-property customer.colour']);
    expect(kinds({ ...clone(customer), metadata: { plan: 3 } })).toEqual(['type customer.metadata.plan']);
    expect(kinds({ ...clone(customer), invoice_settings: { ...customer.invoice_settings, footer: ['x'] } })).toEqual([
      'type customer.invoice_settings.footer',
    ]);
    expect(kinds({ ...clone(customer), object: 'custard' })).toEqual(['unknown-object custard']);
  });

  t.emulatorOnly('checks list items, deleted objects, expanded fields and error bodies', async () => {
    const customer = await t.stripe.customers.create({ email: `${uniq()}@example.com` });
    const list = { object: 'list', data: [{ ...clone(customer), colour: 'red' }], has_more: false, url: '/v1/customers' };
    expect(kinds(list)).toEqual(['unknown-property customer.colour']);
    expect(kinds({ ...list, data: [] })).toEqual([]);
    expect(kinds({ id: customer.id, object: 'customer', deleted: true })).toEqual([]);
    expect(kinds({ id: customer.id, object: 'customer', deleted: true, email: null })).toEqual(['unknown-property customer:deleted.email']);

    const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const expanded = clone(pm) as unknown as Record<string, unknown>;
    expanded.customer = { ...clone(customer), balance: '0' };
    expect(kinds(expanded)).toEqual(['type payment_method.customer.balance']);

    expect(
      kinds({ error: { type: 'card_error', message: 'Declined.', request_log_url: 'https://dashboard.stripe.com/test/logs/req_1' } }),
    ).toEqual([]);
    expect(kinds({ error: { type: 'card_error', message: 'Declined.', request_log_url: null } })).toEqual([
      'type response.error.request_log_url',
    ]);
  });

  t.emulatorOnly('checks webhook events: data.object by event type, previous_attributes partially', async () => {
    const customer = await t.stripe.customers.create({ email: `${uniq()}@example.com` });
    await t.stripe.customers.update(customer.id, { metadata: { plan: 'team' } });
    const events = await t.stripe.events.list({ type: 'customer.updated', limit: 1 });
    const event = clone(events.data[0]!);
    const check = (e: unknown) => validateEvent(loadSchema(), e).map((v) => `${v.kind} ${v.path}`);
    expect(check(event)).toEqual([]);
    expect(event.data.previous_attributes).toEqual({ metadata: { plan: null } });
    expect(check({ ...event, data: { ...event.data, previous_attributes: { colour: 'red' } } })).toEqual([
      'unknown-property customer(previous_attributes).colour',
    ]);
    expect(check({ ...event, data: { ...event.data, previous_attributes: { email: 5 } } })).toEqual([
      'type customer(previous_attributes).email',
    ]);
    expect(check({ ...event, type: 'customer.renamed' })).toEqual(['enum event.type']);
    const withoutEmail = clone(event.data.object) as Partial<Stripe.Customer>;
    delete withoutEmail.email;
    expect(check({ ...event, data: { object: withoutEmail } })).toEqual(['missing customer.email']);
  });
});
