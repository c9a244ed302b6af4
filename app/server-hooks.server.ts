import { closeDb, db } from '~/db/client.server';
import { checkOrigin, csrfRejection } from '~/auth/csrf.server';

/**
 * What the server entry (scripts/server.ts) reaches through the built app's entry module, so that the
 * server, the webhook worker and the routes share one set of module instances (one DB handle, one
 * clock).
 */
export const serverHooks = {
  /** Open and migrate the database; later issues start the webhook worker here. */
  async start() {
    db();
  },
  /** Finish work in hand and close the database. */
  async stop() {
    closeDb();
  },
  /** Runs before Remix for every request; a Response short-circuits. */
  guard(request: Request): Response | null {
    const verdict = checkOrigin(request);
    return verdict.ok ? null : csrfRejection(verdict.reason);
  },
};

export type ServerHooks = typeof serverHooks;
