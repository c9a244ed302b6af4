/**
 * Billing credits: credit grants and their ledger of credit balance transactions, and how they pay
 * for an invoice's metered lines.
 *
 * - A grant's balance is its ledger: a `credits_granted` credit when it is created, a
 *   `credits_applied` debit for each invoice line it pays, a `credits_application_invoice_voided`
 *   credit when that invoice is voided, and a `credits_expired` or `credits_voided` debit for what
 *   is left when it is expired or voided.
 * - A grant is usable at `t` when `effective_at ≤ t`, it is not voided and `t < expires_at`.
 * - At finalization, each subscription line whose price has a meter (and is in the grant's scope)
 *   is paid from the usable grants of the invoice's currency, after discounts, before the customer
 *   balance: in order of priority (lower first), soonest expiry (never last), promotional before
 *   paid, earliest effective, oldest. The line's `pretax_credit_amounts` and the invoice's
 *   `total_pretax_credit_amounts` name each transaction; `total` and `amount_due` drop by the sum.
 */
import type Stripe from 'stripe';
import { idOf } from '../util';
import type { Billing, Inv } from './context';
import { nowForCustomer } from './clock';

type Grant = Stripe.Billing.CreditGrant;
type Txn = Stripe.Billing.CreditBalanceTransaction;

const money = (currency: string, value: number) => ({ type: 'monetary' as const, monetary: { currency, value } });

function grantCurrency(g: Grant): string {
  return g.amount.monetary?.currency ?? 'usd';
}

function ledger(b: Billing, grantId: string): Txn[] {
  return b.store.all('billing.credit_balance_transaction', { where: { credit_grant: grantId } }) as Txn[];
}

/** What is left on a grant's ledger (expired or voided grants keep 0 after their closing debit). */
function grantBalance(b: Billing, grantId: string): number {
  return ledger(b, grantId).reduce((sum, t) => sum + (t.credit?.amount.monetary?.value ?? 0) - (t.debit?.amount.monetary?.value ?? 0), 0);
}

function usable(g: Grant, t: number): boolean {
  return g.voided_at == null && (g.effective_at ?? g.created) <= t && (g.expires_at == null || t < g.expires_at);
}

/** The customer's grants, in the order Stripe applies them. */
export function grantsInOrder(b: Billing, customer: string): Grant[] {
  const grants = b.store.all('billing.credit_grant', { where: { customer } }) as Grant[];
  const rank = (g: Grant) => [
    g.priority ?? 50,
    g.expires_at ?? Number.MAX_SAFE_INTEGER,
    g.category === 'promotional' ? 0 : 1,
    g.effective_at ?? g.created,
    g.created,
  ];
  return [...grants].sort((a, c) => {
    const [ra, rc] = [rank(a), rank(c)];
    const i = ra.findIndex((v, k) => v !== rc[k]);
    return i === -1 ? a.id.localeCompare(c.id) : ra[i]! - rc[i]!;
  });
}

function inScope(g: Grant, price: string): boolean {
  const prices = g.applicability_config.scope.prices;
  return prices ? prices.some((p) => p.id === price) : true;
}

/** Records one ledger entry and announces it. */
export function recordTransaction(b: Billing, grant: Grant, at: number, entry: { credit: Txn['credit'] } | { debit: Txn['debit'] }): Txn {
  const txn: Txn = {
    id: b.host.newId('credtxn'),
    object: 'billing.credit_balance_transaction',
    created: at,
    credit: 'credit' in entry ? entry.credit : null,
    credit_grant: grant.id,
    debit: 'debit' in entry ? entry.debit : null,
    effective_at: at,
    livemode: false,
    test_clock: grant.test_clock,
    type: 'credit' in entry ? 'credit' : 'debit',
  };
  b.store.put('billing.credit_balance_transaction', txn as never);
  b.host.emit('billing.credit_balance_transaction.created', txn);
  return txn;
}

/** Spends usable credits on the invoice's metered lines (at finalization) and lowers its total. */
export function applyCredits(b: Billing, inv: Inv, at: number): void {
  const customer = idOf(inv.customer as string)!;
  expireDueGrants(b, customer);
  const grants = grantsInOrder(b, customer).filter((g) => usable(g, at) && grantCurrency(g) === inv.currency);
  if (grants.length === 0) return;
  const left = new Map(grants.map((g) => [g.id, grantBalance(b, g.id)]));
  const applied: Stripe.Invoice.TotalPretaxCreditAmount[] = [];
  inv.lines.data.forEach((line) => {
    const price = idOf(line.pricing?.price_details?.price ?? null);
    const sub = line.parent?.subscription_item_details?.subscription_item;
    const metered = price ? b.host.getPrice(price)?.recurring?.meter : null;
    if (!price || !sub || !metered) return;
    let due = line.amount - (line.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0);
    grants.forEach((g) => {
      const have = left.get(g.id) ?? 0;
      if (due <= 0 || have <= 0 || !inScope(g, price)) return;
      const take = Math.min(due, have);
      const txn = recordTransaction(b, g, at, {
        debit: {
          amount: money(inv.currency, take),
          credits_applied: { invoice: inv.id, invoice_line_item: line.id },
          type: 'credits_applied',
        },
      });
      left.set(g.id, have - take);
      due -= take;
      const entry = { amount: take, credit_balance_transaction: txn.id, type: 'credit_balance_transaction' as const };
      line.pretax_credit_amounts = [...(line.pretax_credit_amounts ?? []), entry];
      applied.push(entry);
    });
  });
  const sum = applied.reduce((s, a) => s + a.amount, 0);
  if (sum === 0) return;
  inv.total_pretax_credit_amounts = [...(inv.total_pretax_credit_amounts ?? []), ...applied];
  inv.total -= sum;
  inv.total_excluding_tax = (inv.total_excluding_tax ?? inv.total + sum) - sum;
}

/** Voiding an invoice gives back what its lines took (and expires it again if its grant has ended). */
export function reinstateCredits(b: Billing, inv: Inv, at: number): void {
  const spent = (b.store.all('billing.credit_balance_transaction', { where: { 'debit.credits_applied.invoice': inv.id } }) as Txn[])
    .filter((t) => t.debit?.type === 'credits_applied')
    .sort((x, y) => x.created - y.created || x.id.localeCompare(y.id));
  spent.forEach((t) => {
    const grant = b.store.get('billing.credit_grant', t.credit_grant as string) as Grant | null;
    const amount = t.debit!.amount;
    if (!grant) return;
    recordTransaction(b, grant, at, {
      credit: {
        amount,
        credits_application_invoice_voided: { invoice: inv.id, invoice_line_item: t.debit!.credits_applied!.invoice_line_item },
        type: 'credits_application_invoice_voided',
      },
    });
    if (!usable(grant, at)) closeGrant(b, grant, at, grant.voided_at != null ? 'credits_voided' : 'credits_expired');
  });
}

/** Debits what is left on a grant that has ended (expired or voided). */
export function closeGrant(b: Billing, grant: Grant, at: number, type: 'credits_expired' | 'credits_voided'): void {
  const rest = grantBalance(b, grant.id);
  if (rest > 0) recordTransaction(b, grant, at, { debit: { amount: money(grantCurrency(grant), rest), credits_applied: null, type } });
}

/** Grants whose `expires_at` has passed get their closing debit (run as time moves, see scheduler). */
export function expireDueGrants(b: Billing, customer: string | null): void {
  const grants = b.store.all('billing.credit_grant', customer ? { where: { customer } } : {}) as Grant[];
  grants.forEach((g) => {
    const now = nowForCustomer(b, idOf(g.customer as string));
    if (g.expires_at != null && g.expires_at <= now && g.voided_at == null) closeGrant(b, g, g.expires_at, 'credits_expired');
  });
}

/** The usable balance per currency of the grants that pass `keep`. */
export function balances(b: Billing, customer: string, at: number, keep: (g: Grant) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  grantsInOrder(b, customer)
    .filter((g) => keep(g) && usable(g, at))
    .forEach((g) => out.set(grantCurrency(g), (out.get(grantCurrency(g)) ?? 0) + grantBalance(b, g.id)));
  return out;
}

export { money as monetary };
