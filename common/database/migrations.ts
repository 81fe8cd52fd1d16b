/**
 * Schema migrations, versioned in the repository and applied at start-up, on
 * SQLite and on PostgreSQL alike. Each part (auth, calendar, notes) lists its
 * migrations in order; the table `schema_migrations` records which versions of
 * which part a database holds, so one PostgreSQL database can hold all three.
 *
 * - Safe when several replicas start at once: on PostgreSQL the whole run holds
 *   one transaction-scoped advisory lock, so one replica migrates and the
 *   others then find nothing to do. DDL is transactional there: a migration
 *   that fails leaves nothing behind.
 * - A database whose schema is newer than the code (a newer build migrated it)
 *   stops start-up with {@link SchemaTooNewError}, rather than letting old code
 *   write to tables it does not understand.
 * - A migration, once released, is never edited: a change is a new version.
 */
import type Database from "better-sqlite3";
import type { PostgresPool } from "./postgres-pool.js";
import { inTransaction } from "./postgres-pool.js";

/** One step of a part's schema, with its statements for each backend. */
export interface Migration {
  /** 1, 2, 3, … in order; never reused. */
  readonly version: number;
  /** What it does, recorded with it. */
  readonly name: string;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

/** What a migration run did. */
export interface MigrationOutcome {
  /** Versions applied by this run (empty when the schema was current). */
  readonly applied: number[];
  /** The schema version now. */
  readonly version: number;
}

/** The database holds a schema version this build does not know. */
export class SchemaTooNewError extends Error {
  override name = "SchemaTooNewError";
  constructor(
    readonly component: string,
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      `the database schema of ${component} is at version ${databaseVersion}, newer than this build knows (${codeVersion}): ` +
        "a newer release migrated it; run that release (or newer), or point this one at another database",
    );
  }
}

// One lock for every part's migrations: the parts share schema_migrations, and start-up is rare.
const migrationLockKey = 4_207_049;

const sqliteTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (component, version)
) STRICT`;

const postgresTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
)`;

/** Checks that versions run 1, 2, 3, … (a programming error otherwise). */
function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new TypeError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

/**
 * Brings a SQLite database up to the last of `migrations` in one transaction.
 * @throws SchemaTooNewError when the database is ahead of the code; the SQLite error when a statement fails.
 */
export function migrateSqlite(db: Database.Database, component: string, migrations: readonly Migration[]): MigrationOutcome {
  checkOrder(migrations);
  return db.transaction(() => {
    db.exec(sqliteTable);
    const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations WHERE component = ?").get(component) as { version: number };
    const pending = pendingAfter(component, row.version, migrations);
    const record = db.prepare("INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)");
    for (const migration of pending) {
      for (const statement of migration.sqlite) db.exec(statement);
      record.run(component, migration.version, migration.name, new Date().toISOString());
    }
    return { applied: pending.map((m) => m.version), version: Math.max(row.version, migrations.length) };
  })();
}

/**
 * Brings a PostgreSQL database up to the last of `migrations`, in one transaction under an advisory lock.
 * @throws SchemaTooNewError when the database is ahead of the code; the PostgreSQL error when a statement fails.
 */
export async function migratePostgres(pool: PostgresPool, component: string, migrations: readonly Migration[]): Promise<MigrationOutcome> {
  checkOrder(migrations);
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [migrationLockKey]);
    await client.query(postgresTable);
    const { rows } = await client.query<{ version: number }>(
      "SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations WHERE component = $1",
      [component],
    );
    const current = rows[0]!.version;
    const pending = pendingAfter(component, current, migrations);
    for (const migration of pending) {
      for (const statement of migration.postgres) await client.query(statement);
      await client.query("INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)", [component, migration.version, migration.name]);
    }
    return { applied: pending.map((m) => m.version), version: Math.max(current, migrations.length) };
  });
}

function pendingAfter(component: string, current: number, migrations: readonly Migration[]): readonly Migration[] {
  if (current > migrations.length) throw new SchemaTooNewError(component, current, migrations.length);
  return migrations.slice(current);
}
