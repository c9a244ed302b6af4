/**
 * When the webhook worker's last read of an object stands in for a new one (app/webhooks/last-reads.server.ts):
 * each rule, and the case beside it that must still be read again. Objects are Stripe-shaped, as
 * the worker's reads and the events' `data.object` carry them.
 */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '~/billing/sync.server';
import type { InboxEvent, SyncTarget } from '~/webhooks/handlers.server';
import { LastReads, readCovers } from '~/webhooks/last-reads.server';

const T = 1_800_000_000; // Stripe's time (unix s) when the read was sent
const FETCHED = 1_700_000_000_000; // the machine's time (ms) when it was sent

const invoiceTarget: SyncTarget = { kind: 'invoice', id: 'in_1' };
const customerTarget: SyncTarget = { kind: 'customer', id: 'cus_1' };

const paidInvoice = {
  id: 'in_1',
  object: 'invoice',
  status: 'paid',
  amount_paid: 1900,
  amount_remaining: 0,
  customer: { id: 'cus_1', object: 'customer', email: 'a@example.com' },
  lines: { object: 'list', data: [{ id: 'il_1', amount: 1900 }], has_more: false },
  payments: {
    object: 'list',
    data: [
      {
        id: 'inpay_1',
        object: 'invoice_payment',
        invoice: 'in_1',
        status: 'paid',
        amount_paid: 1900,
        payment: { type: 'payment_intent', payment_intent: { id: 'pi_1', object: 'payment_intent' } },
      },
    ],
  },
};
const { payments: _payments, ...paidInvoiceInEvent } = { ...paidInvoice, customer: 'cus_1' };

function keptRead(object: Record<string, unknown>, kind: Snapshot['kind'] = 'invoice') {
  const reads = new LastReads(1024 * 1024);
  const snapshot = { kind, id: String(object.id), object } as unknown as Snapshot;
  reads.remember(`${kind}:${String(object.id)}`, { after: T, fetchedAt: new Date(FETCHED), snapshot });
  const read = reads.get(`${kind}:${String(object.id)}`)!;
  return { read, snapshot: () => reads.snapshotOf(read) };
}

/** An event created in the read's second and stored after it was sent: only its content can settle it. */
function late(type: string, object: Record<string, unknown>, created = T): { row: { receivedAt: number }; event: InboxEvent } {
  return { row: { receivedAt: FETCHED + 5 }, event: { id: `evt_${type}`, type, created, object: object as InboxEvent['object'] } };
}

describe('a kept read stands in for an event', () => {
  it('created in an earlier second than the read, or stored before it was sent', () => {
    const { read, snapshot } = keptRead({ ...paidInvoice, status: 'open' });
    const newer = { ...paidInvoiceInEvent, amount_paid: 5 };
    expect(readCovers(read, invoiceTarget, [late('invoice.updated', newer, T - 1)], snapshot)).toBe(true);
    expect(readCovers(read, invoiceTarget, [{ ...late('invoice.updated', newer), row: { receivedAt: FETCHED - 1 } }], snapshot)).toBe(true);
    // The same event in the read's second and stored after it: it may be newer.
    expect(readCovers(read, invoiceTarget, [late('invoice.updated', newer)], snapshot)).toBe(false);
  });

  it('that created the object itself, not one that created something else of it', () => {
    const { read, snapshot } = keptRead(paidInvoice);
    expect(readCovers(read, invoiceTarget, [late('invoice.created', { ...paidInvoiceInEvent, status: 'draft' })], snapshot)).toBe(true);
    const item = { id: 'ii_1', object: 'invoiceitem', invoice: 'in_1', amount: 5 };
    expect(readCovers(read, invoiceTarget, [late('invoiceitem.created', item)], snapshot)).toBe(false);
  });

  it('whose object is the state the read holds (an expanded object equal to its id, fields only a read asks for left out)', () => {
    const { read, snapshot } = keptRead(paidInvoice);
    expect(readCovers(read, invoiceTarget, [late('invoice.paid', paidInvoiceInEvent)], snapshot)).toBe(true);
    expect(readCovers(read, invoiceTarget, [late('invoice.updated', { ...paidInvoiceInEvent, metadata: { a: '1' } })], snapshot)).toBe(
      false,
    );
    const otherLines = { ...paidInvoiceInEvent, lines: { object: 'list', data: [{ id: 'il_1', amount: 1800 }], has_more: false } };
    expect(readCovers(read, invoiceTarget, [late('invoice.updated', otherLines)], snapshot)).toBe(false);
    const otherCustomer = { ...paidInvoiceInEvent, customer: 'cus_2' };
    expect(readCovers(read, invoiceTarget, [late('invoice.updated', otherCustomer)], snapshot)).toBe(false);

    const customer = { id: 'cus_1', object: 'customer', name: 'C', tax_ids: { object: 'list', data: [] } };
    const c = keptRead(customer, 'customer');
    expect(readCovers(c.read, customerTarget, [late('customer.updated', { id: 'cus_1', object: 'customer', name: 'C' })], c.snapshot)).toBe(
      true,
    );
    expect(readCovers(c.read, customerTarget, [late('customer.updated', { id: 'cus_1', object: 'customer', name: 'B' })], c.snapshot)).toBe(
      false,
    );
  });

  it('whose object shows a state before the final status the read shows, but not the other way round', () => {
    const { read, snapshot } = keptRead(paidInvoice);
    const open = { ...paidInvoiceInEvent, status: 'open', amount_paid: 0, amount_remaining: 1900 };
    expect(readCovers(read, invoiceTarget, [late('invoice.finalized', open)], snapshot)).toBe(true);
    // The read shows the invoice open (not final): a paid event may be newer.
    const openRead = keptRead({ ...paidInvoice, status: 'open', amount_paid: 0, amount_remaining: 1900 });
    expect(readCovers(openRead.read, invoiceTarget, [late('invoice.paid', paidInvoiceInEvent)], openRead.snapshot)).toBe(false);
  });

  it('about an invoice payment the invoice read holds in the same state', () => {
    const { read, snapshot } = keptRead(paidInvoice);
    const payment = {
      id: 'inpay_1',
      object: 'invoice_payment',
      invoice: 'in_1',
      status: 'paid',
      amount_paid: 1900,
      payment: { type: 'payment_intent', payment_intent: 'pi_1' },
    };
    expect(readCovers(read, invoiceTarget, [late('invoice_payment.paid', payment)], snapshot)).toBe(true);
    expect(readCovers(read, invoiceTarget, [late('invoice_payment.paid', { ...payment, amount_paid: 100 })], snapshot)).toBe(false);
    expect(readCovers(read, invoiceTarget, [late('invoice_payment.paid', { ...payment, id: 'inpay_2' })], snapshot)).toBe(false);
  });

  it('only when every event of the batch is covered', () => {
    const { read, snapshot } = keptRead(paidInvoice);
    const covered = late('invoice.paid', paidInvoiceInEvent);
    const notCovered = late('invoice.updated', { ...paidInvoiceInEvent, metadata: { a: '1' } });
    expect(readCovers(read, invoiceTarget, [covered, notCovered], snapshot)).toBe(false);
  });
});

describe('kept reads', () => {
  it('give back the snapshot they were given, and forget the oldest beyond their memory', () => {
    const snapshot = (id: string): Snapshot => ({
      kind: 'invoice',
      id,
      object: { ...paidInvoice, id, number: Math.random().toString(36) } as never,
    });
    const one = new LastReads(1024 * 1024);
    one.remember('invoice:in_a', { after: T, fetchedAt: new Date(FETCHED), snapshot: snapshot('in_a') });
    const size = one.get('invoice:in_a')!.packed.length;
    expect(size).toBeLessThan(JSON.stringify(snapshot('in_a')).length);

    const reads = new LastReads(2 * size + 10);
    const a = snapshot('in_a');
    reads.remember('invoice:in_a', { after: T, fetchedAt: new Date(FETCHED), snapshot: a });
    expect(reads.snapshotOf(reads.get('invoice:in_a')!)).toEqual(a);
    reads.remember('invoice:in_b', { after: T, fetchedAt: new Date(FETCHED), snapshot: snapshot('in_b') });
    reads.remember('invoice:in_c', { after: T, fetchedAt: new Date(FETCHED), snapshot: snapshot('in_c') });
    expect(reads.get('invoice:in_a')).toBeUndefined();
    expect(reads.get('invoice:in_b')).toBeDefined();
    expect(reads.get('invoice:in_c')).toBeDefined();
  });
});
