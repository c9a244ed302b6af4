/**
 * Statements compiled once per database handle, for the queries every page request runs (the session,
 * the billing state, the usage bar). Without `.prepare()` Drizzle builds the SQL text and
 * better-sqlite3 compiles it on every call, which was most of the billing page loader's time
 * (docs/performance.md, "The billing page").
 *
 * A prepared statement belongs to the connection that compiled it, so the statements are kept per
 * `Db` instance: after `closeDb()` / `setDb()` (tests, the bench, maintenance commands) the next call
 * compiles them again on the handle `db()` returns, and the closed handle's statements go with it.
 */
import { db, type Db } from './client.server';

/** A getter of `build`'s statements on the process's current database, compiled on first use per handle. */
export function preparedFor<T>(build: (d: Db) => T): () => T {
  const perDb = new WeakMap<Db, T>();
  return () => {
    const d = db();
    let statements = perDb.get(d);
    if (statements === undefined) {
      statements = build(d);
      perDb.set(d, statements);
    }
    return statements;
  };
}
