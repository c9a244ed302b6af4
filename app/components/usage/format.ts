/**
 * Number and date words of the usage page (isomorphic). Each format is made once: `toLocaleString`
 * and `toLocaleDateString` with a locale or options make a new `Intl` formatter on every call.
 */
const count = new Intl.NumberFormat('en-US');
const dayFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

/** As `toLocaleDateString` does, an unreadable date reads "Invalid Date" (`format` would throw). */
const write = (format: Intl.DateTimeFormat, date: Date) => (Number.isNaN(date.getTime()) ? 'Invalid Date' : format.format(date));

export const n = (v: number) => count.format(Math.round(v));

/** `2026-11-03` → `Nov 3`. */
export function shortDay(day: string): string {
  return write(dayFormat, new Date(`${day}T00:00:00Z`));
}

/** An ISO time → `Nov 3, 2026` (UTC). */
export function longDate(iso: string): string {
  return write(dateFormat, new Date(iso));
}
