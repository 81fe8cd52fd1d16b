/**
 * A service's database, whichever backend DATABASE_URL chooses: SQLite (unset:
 * one file under DATA_DIR, exactly as before) or PostgreSQL (a pool, plus one
 * connection that listens for changes made by other replicas). Opening applies
 * the service's migrations (on PostgreSQL under an advisory lock, so replicas
 * may start together). The health probe and shutdown live here too.
 */
import type { PostgresLocation } from "../common/database/database-url.js";
import { migratePostgres, migrateSqlite, type Migration } from "../common/database/migrations.js";
import { createPostgresPool, type PostgresPool } from "../common/database/postgres-pool.js";
import type { Logger } from "../common/json-logger.js";
import { createChangeListener, type ChangeListener } from "./resources/postgres-change-listener.js";
import { openSqliteDatabase, type SqliteDatabase } from "./sqlite-database.js";

export type ServiceDatabase =
  | { readonly kind: "sqlite"; readonly db: SqliteDatabase; probe(): Promise<boolean>; close(): Promise<void> }
  | { readonly kind: "postgres"; readonly pool: PostgresPool; readonly listener: ChangeListener; probe(): Promise<boolean>; close(): Promise<void> };

export interface OpenServiceDatabaseOptions {
  /** The service's name: its migrations' component, its SQLite file's name, its connections' application name. */
  name: string;
  migrations: readonly Migration[];
  /** The SQLite file, used when `postgres` is undefined. */
  sqlitePath: string;
  postgres: PostgresLocation | undefined;
  logger: Logger;
}

/** How long a health probe waits for PostgreSQL. */
const probeTimeoutMs = 2_000;

/**
 * Opens and migrates the database.
 * @throws SchemaTooNewError when the database is ahead of the code; the driver's error when it cannot be opened.
 */
export async function openServiceDatabase(options: OpenServiceDatabaseOptions): Promise<ServiceDatabase> {
  if (options.postgres === undefined) {
    const db = openSqliteDatabase(options.sqlitePath, []);
    try {
      migrateSqlite(db, options.name, options.migrations);
    } catch (err) {
      db.close();
      throw err;
    }
    const ping = db.prepare("SELECT 1");
    return {
      kind: "sqlite",
      db,
      probe: async () => ping.get() !== undefined,
      close: async () => void db.close(),
    };
  }
  const applicationName = `m2m-grpc ${options.name}`;
  const pool = createPostgresPool(options.postgres, { applicationName, logger: options.logger });
  try {
    await migratePostgres(pool, options.name, options.migrations);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const listener = createChangeListener({ location: options.postgres, applicationName, logger: options.logger });
  return {
    kind: "postgres",
    pool,
    listener,
    async probe() {
      if (listener.unavailable()) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), probeTimeoutMs)));
      const query = pool.query("SELECT 1").then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await listener.close();
      await pool.end().catch(() => {});
    },
  };
}
