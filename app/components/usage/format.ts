/** Number and date words of the usage page (isomorphic). */
export const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** `2026-11-03` → `Nov 3`. */
export function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** An ISO time → `Nov 3, 2026` (UTC). */
export function longDate(iso: string): string {
  return new Date(iso).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
}
