import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';
import { env } from '~/lib/env.server';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** The committed migrations (`drizzle/`), found from the project root whatever the cwd. */
function migrationsFolder(): string {
  const candidates = [path.resolve('drizzle'), path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'meta', '_journal.json'))) ?? candidates[0]!;
}

export function openDatabase(file: string, opts: { migrate?: boolean } = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(sqlite, { schema }) as Db;
  // BEGIN IMMEDIATE: a transaction that reads and then writes while another connection (a maintenance
  // command) holds the write lock gets SQLITE_BUSY at once, busy_timeout or not; taking the lock up
  // front makes it wait (tests/security/database.test.ts).
  const begin = db.transaction.bind(db);
  db.transaction = ((fn, config) => begin(fn, { behavior: 'immediate', ...config })) as Db['transaction'];
  if (opts.migrate !== false) migrate(db, { migrationsFolder: migrationsFolder() });
  return db;
}

let current: Db | null = null;

/** The process's database, opened (and migrated) on first use. */
export function db(): Db {
  current ??= openDatabase(env().DATABASE_PATH);
  return current;
}

/** Tests point the app at their own database file. */
export function setDb(next: Db | null) {
  current = next;
}

export function closeDb() {
  current?.$client.close();
  current = null;
}
