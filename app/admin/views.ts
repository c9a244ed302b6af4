/**
 * The console's list filters, shared by the server modules and the pages (isomorphic: a route's
 * component must not read values from a `.server` module, which the browser bundle leaves out).
 */
export const INBOX_VIEWS = ['failed', 'pending', 'processed', 'ignored'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

export const OUTBOX_VIEWS = ['all', 'pending', 'sending', 'sent', 'failed'] as const;
export type OutboxView = (typeof OUTBOX_VIEWS)[number];
