/**
 * The auth provider's SQLite database, $DATA_DIR/auth.db: created with mode
 * 0600 (SQLite gives its -wal and -shm files the same mode), write-ahead
 * logging, and a full sync on commit so an acknowledged write survives a crash.
 * Opening it applies the auth provider's migrations (auth-migrations.ts).
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { ensurePrivateDir, touchPrivateFile } from "../../common/private-files.js";
import { migrateSqlite } from "../../common/database/migrations.js";
import { authComponent, authMigrations } from "./auth-migrations.js";

/** Name of the database file inside the data directory. */
export const authDatabaseFileName = "auth.db";

/** A better-sqlite3 database handle. */
export type AuthDatabase = Database.Database;

/**
 * Opens (creating if needed) $dataDir/auth.db with journal_mode=WAL, synchronous=FULL and foreign keys on, and
 * brings its schema up to date. The caller closes it. Throws the SQLite or file system error when the file cannot be
 * opened, SchemaTooNewError when a newer release migrated it.
 */
export function openAuthDatabase(dataDir: string): AuthDatabase {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, authDatabaseFileName);
  touchPrivateFile(file); // create it 0600 before SQLite would create it with the umask's mode
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrateSqlite(db, authComponent, authMigrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
