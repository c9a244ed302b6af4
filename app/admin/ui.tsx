import { Form, NavLink } from '@remix-run/react';

/** Times in the console are UTC, formatted the same on the server and in the browser (no hydration drift). */
export function utc(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** "3 min" style durations, computed by loaders (the page does not read the clock). */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

const TABS = [
  { to: '/admin', label: 'Health', end: true },
  { to: '/admin/customers', label: 'Customers', end: false },
  { to: '/admin/webhooks', label: 'Webhooks', end: true },
  { to: '/admin/emails', label: 'Emails', end: true },
  { to: '/admin/drift', label: 'Drift', end: true },
  { to: '/admin/catalog', label: 'Catalogue', end: true },
];

export function AdminTabs() {
  return (
    <nav aria-label="Admin" className="-mx-4 overflow-x-auto border-b border-slate-200 px-4 sm:mx-0 sm:px-0">
      <ul className="flex gap-1">
        {TABS.map((tab) => (
          <li key={tab.to}>
            <NavLink
              to={tab.to}
              end={tab.end}
              className={({ isActive }) =>
                `-mb-px inline-block whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500 ${
                  isActive
                    ? 'border-brand-600 text-brand-700'
                    : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900'
                }`
              }
            >
              {tab.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const TONES: Record<string, string> = {
  good: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  warn: 'bg-amber-50 text-amber-900 ring-amber-200',
  bad: 'bg-red-50 text-red-800 ring-red-200',
  neutral: 'bg-slate-100 text-slate-700 ring-slate-200',
};

const STATUS_TONE: Record<string, keyof typeof TONES> = {
  processed: 'good',
  sent: 'good',
  active: 'good',
  paid: 'good',
  trialing: 'good',
  succeeded: 'good',
  done: 'good',
  exists: 'good',
  pending: 'warn',
  processing: 'warn',
  sending: 'warn',
  running: 'warn',
  past_due: 'warn',
  open: 'warn',
  incomplete: 'warn',
  created: 'warn',
  replaced: 'warn',
  updated: 'warn',
  failed: 'bad',
  unpaid: 'bad',
  uncollectible: 'bad',
  canceled: 'neutral',
  ignored: 'neutral',
  void: 'neutral',
};

export function StatusBadge({ status }: { status: string | null }) {
  if (!status) return <span className="text-slate-400">—</span>;
  const tone = TONES[STATUS_TONE[status] ?? 'neutral'];
  return (
    <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tone}`}>
      {status.replace(/_/g, ' ')}
    </span>
  );
}

export function Stat({
  label,
  value,
  hint,
  tone = 'neutral',
}: {
  label: string;
  value: string;
  hint?: string;
  tone?: 'good' | 'warn' | 'bad' | 'neutral';
}) {
  const accent = { good: 'text-emerald-700', warn: 'text-amber-700', bad: 'text-red-700', neutral: 'text-slate-900' }[tone];
  return (
    <div className="card">
      <dt className="text-sm font-medium text-slate-600">{label}</dt>
      <dd className={`mt-1 text-2xl font-semibold tracking-tight ${accent}`}>{value}</dd>
      {hint ? <dd className="mt-1 text-xs text-slate-500">{hint}</dd> : null}
    </div>
  );
}

export function SearchBox({ defaultValue = '' }: { defaultValue?: string }) {
  return (
    <Form method="get" action="/admin/customers" role="search" className="flex flex-wrap items-end gap-2">
      <div className="min-w-[14rem] flex-1">
        <label htmlFor="admin-search" className="label">
          Find a customer
        </label>
        <input
          id="admin-search"
          name="q"
          type="search"
          defaultValue={defaultValue}
          maxLength={200}
          placeholder="Email, name or cus_…"
          className="input mt-1"
        />
      </div>
      <button type="submit" className="btn-primary">
        Search
      </button>
    </Form>
  );
}

export function Section({ title, children, actions }: { title: string; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-semibold text-slate-900">{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export const th = 'px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500';
export const td = 'px-4 py-2 align-top';
