/**
 * Opens a service's SQLite database: WAL with synchronous=FULL, so an
 * acknowledged write survives a crash or power loss; the file is readable by
 * its owner only. `:memory:` gives a private in-memory database.
 */
import Database from "better-sqlite3";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type SqliteDatabase = Database.Database;

/** Opens (creating if needed) the database and applies the schema statements (idempotent DDL). */
export function openSqliteDatabase(path: string, schema: readonly string[]): SqliteDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  if (path !== ":memory:") chmodSync(path, 0o600);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  db.transaction(() => {
    for (const statement of schema) db.exec(statement);
  })();
  return db;
}
