/**
 * Dates as the billing page writes them (UTC, British order: "30 December 2026", "30 Dec 2026").
 * Each format is made once, on first use: `toLocaleDateString` with options makes a new
 * `Intl.DateTimeFormat` on every call, which cost the billing page tens of milliseconds of main
 * thread while it hydrates (docs/performance.md, "Pages").
 */
const formats = new Map<'long' | 'short', Intl.DateTimeFormat>();

function dateFormat(month: 'long' | 'short'): Intl.DateTimeFormat {
  let format = formats.get(month);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month, year: 'numeric', timeZone: 'UTC' });
    formats.set(month, format);
  }
  return format;
}

/**
 * What each date was written as: the same few dates (the invoices', the period's) come back on every
 * render of the page, and a lookup costs far less than `format` (bounded: cleared past 1,000).
 */
const written = new Map<string, string>();

/** As `toLocaleDateString` does, an unreadable date reads "Invalid Date" (`format` would throw). */
function write(iso: string, month: 'long' | 'short'): string {
  const key = `${month} ${iso}`;
  let words = written.get(key);
  if (words === undefined) {
    const date = new Date(iso);
    words = Number.isNaN(date.getTime()) ? 'Invalid Date' : dateFormat(month).format(date);
    if (written.size >= 1000) written.clear();
    written.set(key, words);
  }
  return words;
}

export const longDate = (iso: string) => write(iso, 'long');

export const mediumDate = (iso: string) => write(iso, 'short');
