/**
 * A real PDF for an invoice (pdf-lib, standard Helvetica fonts).
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type Stripe from 'stripe';
import { formatShortDate } from './period';

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

export function formatMoney(amount: number, currency: string): string {
  const cur = currency.toLowerCase();
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  if (ZERO_DECIMAL.has(cur)) return `${sign}${abs} ${cur.toUpperCase()}`;
  const major = Math.floor(abs / 100);
  const minor = String(abs % 100).padStart(2, '0');
  const symbol = cur === 'usd' ? '$' : cur === 'eur' ? '€' : cur === 'gbp' ? '£' : '';
  const groups = String(major).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return symbol ? `${sign}${symbol}${groups}.${minor}` : `${sign}${groups}.${minor} ${cur.toUpperCase()}`;
}

/** Replace characters WinAnsi (standard fonts) can't encode. */
function safe(font: PDFFont, text: string): string {
  let out = '';
  for (const ch of text) {
    try {
      font.encodeText(ch);
      out += ch;
    } catch {
      out += '?';
    }
  }
  return out;
}

export interface PdfOptions {
  accountName?: string;
  now?: number;
}

export async function renderInvoicePdf(invoice: Stripe.Invoice, opts: PdfOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Invoice ${invoice.number ?? invoice.id}`);
  doc.setAuthor(opts.accountName ?? invoice.account_name ?? 'Stripe emulator');
  doc.setProducer('stripe-emulator billing engine');
  doc.setCreationDate(new Date((opts.now ?? invoice.created) * 1000));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const width = 595.28;
  const height = 841.89;
  const margin = 50;
  let page: PDFPage = doc.addPage([width, height]);
  let y = height - margin;

  const text = (s: string, x: number, size = 10, f: PDFFont = font, color = rgb(0.1, 0.1, 0.1)) => {
    page.drawText(safe(f, s), { x, y, size, font: f, color });
  };
  const right = (s: string, xRight: number, size = 10, f: PDFFont = font) => {
    const str = safe(f, s);
    page.drawText(str, { x: xRight - f.widthOfTextAtSize(str, size), y, size, font: f });
  };
  const newPageIfNeeded = (needed: number) => {
    if (y - needed < margin) {
      page = doc.addPage([width, height]);
      y = height - margin;
    }
  };

  text('Invoice', margin, 24, bold);
  right((invoice.status ?? 'draft').toUpperCase(), width - margin, 14, bold);
  y -= 34;
  const cur = invoice.currency;
  const meta: Array<[string, string]> = [
    ['Invoice number', invoice.number ?? '(draft)'],
    ['Date of issue', formatShortDate(invoice.status_transitions.finalized_at ?? invoice.created)],
  ];
  if (invoice.due_date) meta.push(['Date due', formatShortDate(invoice.due_date)]);
  if (invoice.status_transitions.paid_at) meta.push(['Paid on', formatShortDate(invoice.status_transitions.paid_at)]);
  meta.push(['Billing period', `${formatShortDate(invoice.period_start)} - ${formatShortDate(invoice.period_end)}`]);
  for (const [k, v] of meta) {
    text(k, margin, 10, bold);
    text(v, margin + 120, 10);
    y -= 15;
  }
  y -= 10;
  text(opts.accountName ?? invoice.account_name ?? 'Stripe emulator', margin, 11, bold);
  text('Bill to', width / 2, 11, bold);
  y -= 15;
  const billTo = [invoice.customer_name, invoice.customer_email].filter((s): s is string => !!s);
  if (billTo.length === 0) billTo.push(typeof invoice.customer === 'string' ? invoice.customer : (invoice.customer?.id ?? ''));
  for (const l of billTo) {
    text(l, width / 2, 10);
    y -= 14;
  }
  y -= 20;

  text(`${formatMoney(invoice.amount_due, cur)} due${invoice.due_date ? ` ${formatShortDate(invoice.due_date)}` : ''}`, margin, 16, bold);
  y -= 30;

  // table
  const colQty = width - margin - 220;
  const colUnit = width - margin - 110;
  const colAmt = width - margin;
  text('Description', margin, 9, bold);
  right('Qty', colQty, 9, bold);
  right('Unit price', colUnit, 9, bold);
  right('Amount', colAmt, 9, bold);
  y -= 6;
  page.drawLine({ start: { x: margin, y }, end: { x: width - margin, y }, thickness: 0.7, color: rgb(0.6, 0.6, 0.6) });
  y -= 14;
  for (const line of invoice.lines.data) {
    newPageIfNeeded(30);
    const desc = line.description ?? '';
    const maxChars = 62;
    const chunks: string[] = [];
    for (let i = 0; i < desc.length; i += maxChars) chunks.push(desc.slice(i, i + maxChars));
    if (chunks.length === 0) chunks.push('');
    text(chunks[0], margin, 9);
    right(String(line.quantity ?? ''), colQty, 9);
    const unit = line.pricing?.unit_amount_decimal;
    if (unit != null) right(formatMoney(Math.round(Number(String(unit))), cur), colUnit, 9);
    right(formatMoney(line.amount, cur), colAmt, 9);
    for (const c of chunks.slice(1)) {
      y -= 12;
      text(c, margin, 9);
    }
    y -= 12;
    text(`${formatShortDate(line.period.start)} - ${formatShortDate(line.period.end)}`, margin, 8, font, rgb(0.45, 0.45, 0.45));
    y -= 16;
  }
  page.drawLine({ start: { x: margin, y: y + 6 }, end: { x: width - margin, y: y + 6 }, thickness: 0.7, color: rgb(0.6, 0.6, 0.6) });
  y -= 8;

  const totals: Array<[string, number, boolean]> = [['Subtotal', invoice.subtotal, false]];
  for (const d of invoice.total_discount_amounts ?? []) totals.push(['Discount', -d.amount, false]);
  const credits = (invoice.total_pretax_credit_amounts ?? []).filter((c) => c.type === 'credit_balance_transaction');
  if (credits.length) totals.push(['Credits applied', -credits.reduce((sum, c) => sum + c.amount, 0), false]);
  totals.push(['Total', invoice.total, true]);
  if (invoice.starting_balance !== 0) totals.push(['Applied balance', invoice.amount_due - invoice.total, false]);
  totals.push(['Amount paid', invoice.amount_paid, false]);
  totals.push(['Amount due', invoice.amount_due - invoice.amount_paid > 0 ? invoice.amount_remaining : 0, true]);
  for (const [label, amt, strong] of totals) {
    newPageIfNeeded(20);
    text(label, colQty - 60, 10, strong ? bold : font);
    right(formatMoney(amt, cur), colAmt, 10, strong ? bold : font);
    y -= 16;
  }
  if (invoice.hosted_invoice_url) {
    y -= 14;
    newPageIfNeeded(20);
    text(`Pay online: ${invoice.hosted_invoice_url}`, margin, 9);
  }
  return doc.save();
}

/** A credit note's PDF (`pdf` on the credit note): its number, invoice, lines, total and memo. */
export async function renderCreditNotePdf(note: Stripe.CreditNote, invoiceNumber: string | null): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`Credit note ${note.number}`);
  doc.setProducer('stripe-emulator billing engine');
  doc.setCreationDate(new Date(note.created * 1000));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const [width, height, margin] = [595.28, 841.89, 50];
  const page = doc.addPage([width, height]);
  let y = height - margin;
  const text = (s: string, x: number, size = 10, f: PDFFont = font) => page.drawText(safe(f, s), { x, y, size, font: f });
  const right = (s: string, size = 10, f: PDFFont = font) =>
    page.drawText(safe(f, s), { x: width - margin - f.widthOfTextAtSize(safe(f, s), size), y, size, font: f });
  text('Credit note', margin, 24, bold);
  y -= 34;
  const meta: Array<[string, string]> = [
    ['Credit note number', note.number],
    ['Invoice', invoiceNumber ?? (typeof note.invoice === 'string' ? note.invoice : note.invoice.id)],
    ['Date of issue', formatShortDate(note.created)],
  ];
  if (note.reason) meta.push(['Reason', note.reason.replace(/_/g, ' ')]);
  meta.forEach(([k, v]) => {
    text(k, margin, 10, bold);
    text(v, margin + 130, 10);
    y -= 15;
  });
  y -= 20;
  note.lines.data.slice(0, 40).forEach((line) => {
    text((line.description ?? '').slice(0, 70), margin, 9);
    right(formatMoney(line.amount, note.currency), 9);
    y -= 14;
  });
  y -= 10;
  text('Total credited', margin, 11, bold);
  right(formatMoney(note.total, note.currency), 11, bold);
  if (note.memo) {
    y -= 24;
    text(note.memo.slice(0, 90), margin, 9);
  }
  return doc.save();
}
