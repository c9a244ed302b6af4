/**
 * Tiny HTML helpers and the shared look of the emulator's hosted pages (Checkout, portal, invoice,
 * 3DS). Server-rendered, no framework; every interpolation goes through `esc` (or `raw` on purpose).
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return esc(v);
}

export function raw(s: string): Html {
  return new Html(s);
}

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

export function money(amount: number, currency: string): string {
  const cur = currency.toUpperCase();
  const minor = ZERO_DECIMAL.has(currency.toLowerCase()) ? 1 : 100;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: cur }).format(amount / minor);
  } catch {
    return `${(amount / minor).toFixed(minor === 1 ? 0 : 2)} ${cur}`;
  }
}

export function date(unix: number | null | undefined): string {
  if (!unix) return '—';
  return new Date(unix * 1000).toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
}

export function interval(recurring: { interval: string; interval_count: number } | null | undefined): string {
  if (!recurring) return '';
  return recurring.interval_count === 1 ? `per ${recurring.interval}` : `every ${recurring.interval_count} ${recurring.interval}s`;
}

const STYLES = `
:root { --primary: #635bff; --link: #4f46e5; --text: #1a1f36; --muted: #697386; --border: #e3e8ee; --bg: #f6f9fc; --danger: #df1b41; --ok: #0e6245; --radius: 6px; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; }
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Ubuntu, sans-serif; color: var(--text);
  background: #fff; font-size: 15px; line-height: 1.45; -webkit-font-smoothing: antialiased; }
a { color: var(--link); text-decoration: none; }
a:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 2px solid var(--link); outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; } a:hover { text-decoration: underline; }
.testbadge { display: inline-block; font-size: 11px; font-weight: 700; letter-spacing: .04em; text-transform: uppercase; color: #a04100;
  background: #ffde92; border-radius: 4px; padding: 2px 6px; vertical-align: middle; margin-left: 8px; }
.split { display: grid; grid-template-columns: 1fr 1fr; min-height: 100vh; }
.split > .left { background: var(--bg); border-right: 1px solid var(--border); display: flex; justify-content: flex-end; padding: 64px 56px; }
.split > .right { display: flex; justify-content: flex-start; padding: 64px 56px; }
.col { width: 100%; max-width: 400px; }
.merchant { display: flex; align-items: center; gap: 10px; font-weight: 600; margin-bottom: 28px; }
.merchant .back { color: var(--muted); font-weight: 500; display: inline-flex; align-items: center; gap: 6px; font-size: 14px; }
.logo { width: 28px; height: 28px; border-radius: 50%; background: var(--primary); color: #fff; display: inline-flex; align-items: center;
  justify-content: center; font-size: 13px; font-weight: 700; }
.muted { color: var(--muted); }
.big { font-size: 36px; font-weight: 600; letter-spacing: -.02em; margin: 4px 0 2px; }
.big small { font-size: 15px; color: var(--muted); font-weight: 500; letter-spacing: 0; }
.lines { margin-top: 28px; }
.line { display: flex; justify-content: space-between; gap: 16px; padding: 12px 0; }
.line .name { font-weight: 500; }
.line .sub { color: var(--muted); font-size: 13px; }
.total { border-top: 1px solid var(--border); display: flex; justify-content: space-between; padding: 14px 0 0; margin-top: 6px; font-weight: 600; }
.subtotal { border-top: 1px solid var(--border); display: flex; justify-content: space-between; padding: 12px 0; margin-top: 6px; }
h1 { font-size: 22px; margin: 0 0 4px; font-weight: 600; }
h2 { font-size: 18px; margin: 0 0 14px; font-weight: 600; }
h3 { font-size: 13px; margin: 0 0 10px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
label.lbl { display: block; font-size: 14px; margin: 0 0 6px; }
input.txt { width: 100%; font: inherit; border: 1px solid var(--border); border-radius: var(--radius); padding: 10px 12px; outline: none;
  box-shadow: 0 1px 1px rgba(0,0,0,.03), 0 3px 6px rgba(0,0,0,.02); }
input.txt:focus { border-color: var(--primary); box-shadow: 0 0 0 3px rgba(99,91,255,.25); }
.field { margin-bottom: 18px; }
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 8px; font: inherit; font-weight: 600; border-radius: var(--radius);
  border: 1px solid transparent; padding: 10px 16px; cursor: pointer; background: var(--primary); color: #fff; text-decoration: none; }
.btn:hover { filter: brightness(.95); text-decoration: none; }
.btn:focus-visible { outline: none; box-shadow: 0 0 0 3px rgba(99,91,255,.35); }
.btn[disabled] { opacity: .6; cursor: default; }
.btn.block { width: 100%; padding: 13px 16px; font-size: 16px; }
.btn.secondary { background: #fff; color: var(--text); border-color: var(--border); box-shadow: 0 1px 1px rgba(0,0,0,.04); }
.btn.danger { background: var(--danger); }
.btn.small { padding: 6px 12px; font-size: 14px; }
.msg { border-radius: var(--radius); padding: 10px 12px; font-size: 14px; margin: 0 0 16px; }
.msg.error { background: #fff0f1; color: var(--danger); border: 1px solid #fbd0d7; }
.msg.ok { background: #effaf5; color: var(--ok); border: 1px solid #c6ecd9; }
.msg:empty { display: none; }
.note { font-size: 13px; color: var(--muted); margin-top: 14px; text-align: center; }
.pill { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 10px; padding: 1px 8px; background: #e3e8ee; color: #3c4257; }
.pill.green { background: #d7f7c2; color: #05690d; }
.pill.orange { background: #fcedb9; color: #a82c00; }
.pill.red { background: #ffe7f2; color: #b3093c; }
.card { border: 1px solid var(--border); border-radius: 8px; padding: 20px; margin-bottom: 20px; background: #fff; }
.row { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 12px; }
.row > * { min-width: 0; overflow-wrap: anywhere; }
.scroll-x { overflow-x: auto; }
.stack > * + * { margin-top: 10px; }
table.tbl { width: 100%; border-collapse: collapse; font-size: 14px; }
table.tbl th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; padding: 8px 0; border-bottom: 1px solid var(--border); }
table.tbl td { padding: 10px 0; border-bottom: 1px solid var(--border); }
table.tbl td.r, table.tbl th.r { text-align: right; }
.promo { display: flex; gap: 8px; margin-top: 16px; }
.promo input { flex: 1; }
.footer { margin-top: 36px; font-size: 12px; color: var(--muted); display: flex; gap: 14px; }
.center { max-width: 560px; margin: 0 auto; padding: 48px 20px; }
.portal { display: grid; grid-template-columns: 320px 1fr; min-height: 100vh; }
.portal > .left { background: var(--bg); border-right: 1px solid var(--border); padding: 56px 40px; }
.portal > .right { padding: 56px 48px; max-width: 760px; }
.plan { display: flex; justify-content: space-between; align-items: center; gap: 12px; border: 1px solid var(--border); border-radius: 8px; padding: 14px 16px; }
.plan + .plan { margin-top: 10px; }
.plan.current { border-color: var(--primary); box-shadow: 0 0 0 1px var(--primary); }
.pm { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }
.brand { display: inline-flex; align-items: center; justify-content: center; min-width: 40px; height: 24px; border-radius: 4px; background: #1434cb;
  color: #fff; font-size: 10px; font-weight: 700; text-transform: uppercase; padding: 0 6px; }
.brand.mastercard { background: #252525; } .brand.amex { background: #2e77bc; } .brand.discover { background: #f48120; }
details > summary { cursor: pointer; list-style: none; } details > summary::-webkit-details-marker { display: none; }
.spinner { width: 16px; height: 16px; border: 2px solid rgba(255,255,255,.5); border-top-color: #fff; border-radius: 50%; animation: spin .8s linear infinite; display: none; }
.busy .spinner { display: inline-block; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (max-width: 860px) {
  .split, .portal { grid-template-columns: 1fr; }
  .split > .left, .split > .right, .portal > .left, .portal > .right { justify-content: center; padding: 28px 20px; border-right: 0; }
}
`;

export function page(title: string, body: Html, opts: { head?: Html } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="icon" href="data:,"><style>${STYLES}</style>${opts.head?.value ?? ''}</head>
<body>${body.value}</body></html>`;
}

/** JSON for embedding in a <script> block. */
export function jsonScript(v: unknown): Html {
  return raw(
    JSON.stringify(v)
      .replace(/</g, '\\u003c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}
