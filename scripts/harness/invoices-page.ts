/**
 * `npm run bench`'s invoices-page figure: a user with N invoices (two lines each, written through the
 * mirror's own writer as if read from Stripe), then the `/billing/invoices` loader (session, query
 * parsing, the keyset page, lines, prices, the next invoice) timed in-process, beside a bare SQLite
 * query of the same 25 rows and their lines on the same connection.
 */
import type Stripe from 'stripe';
import { sql } from 'drizzle-orm';
import { createUser } from '~/auth/users.server';
import { createUserSession } from '~/auth/session.server';
import { writeSnapshot } from '~/billing/sync.server';
import { db } from '~/db/client.server';
import { users } from '~/db/schema';
import { loader as historyLoader } from '~/routes/billing.invoices._index';
import { eq } from 'drizzle-orm';

export interface InvoicesPageResult {
  invoices: number;
  runs: number;
  loaderMedianMs: number;
  loaderP95Ms: number;
  bareMedianMs: number;
  rowsOnPage: number;
}

function fakeInvoice(customer: string, i: number, created: number): Stripe.Invoice {
  const id = `in_bench${String(i).padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
  const line = (n: number, amount: number) => ({
    id: `il_${id}_${n}`,
    amount,
    currency: 'usd',
    description: n === 0 ? '1 × Starter (at $12.00 / month)' : 'API calls',
    quantity: n === 0 ? 1 : 1234,
    period: { start: created, end: created + 30 * 86_400 },
    pricing: {
      price_details: { price: `price_bench_${n}`, product: 'prod_bench' },
      type: 'price_details',
      unit_amount_decimal: n === 0 ? '1200' : '1',
    },
    parent: {
      type: 'subscription_item_details',
      subscription_item_details: { subscription_item: 'si_bench', proration: false },
      invoice_item_details: null,
    },
  });
  return {
    id,
    object: 'invoice',
    customer,
    status: i % 10 === 0 ? 'open' : 'paid',
    number: `BENCH-${String(i).padStart(4, '0')}`,
    currency: 'usd',
    amount_due: 2434,
    amount_paid: i % 10 === 0 ? 0 : 2434,
    amount_remaining: i % 10 === 0 ? 2434 : 0,
    subtotal: 2434,
    total: 2434,
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    attempt_count: 1,
    created,
    period_start: created,
    period_end: created + 30 * 86_400,
    hosted_invoice_url: `https://invoice.example/${id}`,
    invoice_pdf: `https://invoice.example/${id}/pdf`,
    status_transitions: { finalized_at: created, paid_at: created, marked_uncollectible_at: null, voided_at: null },
    metadata: {},
    starting_balance: 0,
    ending_balance: 0,
    total_discount_amounts: [],
    total_taxes: [],
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    customer_name: 'Bench',
    customer_email: 'bench@example.com',
    customer_address: null,
    customer_tax_ids: [],
    lines: { object: 'list', data: [line(0, 1200), line(1, 1234)], has_more: false, url: '' },
  } as unknown as Stripe.Invoice;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

export async function benchInvoicesPage(n = 500, runs = 200): Promise<InvoicesPageResult> {
  const user = await createUser({ name: 'Bench', email: `bench-invoices-${Date.now()}@example.com`, password: 'bench-password-1' });
  const customer = `cus_bench${Date.now()}`;
  db().update(users).set({ stripeCustomerId: customer }).where(eq(users.id, user.id)).run();
  const start = Math.floor(Date.now() / 1000) - n * 30 * 86_400;
  const fetchedAt = new Date();
  db().transaction((tx) => {
    for (let i = 0; i < n; i++)
      writeSnapshot(tx, { kind: 'invoice', id: `x${i}`, object: fakeInvoice(customer, i, start + i * 30 * 86_400) }, fetchedAt);
  });
  const cookie = (await createUserSession(user.id, '/billing/invoices')).headers.get('set-cookie')!.split(';')[0]!;
  const request = () => new Request('http://localhost/billing/invoices', { headers: { Cookie: cookie } });

  const loaderTimes: number[] = [];
  let rowsOnPage = 0;
  for (let r = 0; r < runs + 20; r++) {
    const t0 = performance.now();
    const data = (await historyLoader({ request: request(), params: {}, context: {} })) as { history: { entries: unknown[] } };
    const ms = performance.now() - t0;
    if (r >= 20) loaderTimes.push(ms); // the first runs warm the statement cache and the JIT
    rowsOnPage = data.history.entries.length;
  }
  const client = db().$client;
  const page = client.prepare(
    'select * from invoices where customer_id = ? and deleted = 0 and status <> ? order by stripe_created desc, id desc limit 25',
  );
  const lines = client.prepare(
    'select * from invoice_lines where invoice_id in (select value from json_each(?)) order by invoice_id, position',
  );
  const bareTimes: number[] = [];
  for (let r = 0; r < runs + 20; r++) {
    const t0 = performance.now();
    const rows = page.all(customer, 'draft') as { id: string }[];
    lines.all(JSON.stringify(rows.map((x) => x.id)));
    const ms = performance.now() - t0;
    if (r >= 20) bareTimes.push(ms);
  }
  db().run(sql`select 1`);
  return {
    invoices: n,
    runs,
    loaderMedianMs: median(loaderTimes),
    loaderP95Ms: p95(loaderTimes),
    bareMedianMs: median(bareTimes),
    rowsOnPage,
  };
}
