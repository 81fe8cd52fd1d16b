/**
 * Runs one suite against both storage backends: SQLite (a temporary file) and
 * PostgreSQL (one embedded server per test file, started on first use, a fresh
 * database per suite). `backends` names them for `describe`; `openDatabase`
 * opens and migrates a service database the way a service does.
 */
import { after } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDatabaseUrl } from "../../common/database/database-url.js";
import type { Migration } from "../../common/database/migrations.js";
import { createLogger } from "../../common/json-logger.js";
import { openServiceDatabase, type ServiceDatabase } from "../../service-runtime/service-database.js";
import { startTestPostgres, type TestPostgres } from "./postgres.js";

export type Backend = "sqlite" | "postgres";
export const backends: readonly Backend[] = ["sqlite", "postgres"];

let server: Promise<TestPostgres> | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

// Registered when a test file imports this module: closes what was opened, then stops the server if one started.
after(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (server) await (await server).stop();
});

/** The embedded PostgreSQL of this test file (started on first use, stopped when the file's tests end). */
export function testPostgres(): Promise<TestPostgres> {
  server ??= startTestPostgres();
  return server;
}

/** Environment that puts a service on `backend`: DATABASE_URL of a fresh database for PostgreSQL, nothing for SQLite. */
export async function backendEnv(backend: Backend): Promise<Record<string, string>> {
  return backend === "postgres" ? { DATABASE_URL: await (await testPostgres()).createDatabase() } : {};
}

/** A migrated service database on `backend`, fresh, closed when the file's tests end. */
export async function openTestDatabase(backend: Backend, name: string, migrations: readonly Migration[]): Promise<ServiceDatabase> {
  const logger = createLogger({ component: "test", level: "error" });
  let database: ServiceDatabase;
  if (backend === "postgres") {
    const postgres = readDatabaseUrl({ DATABASE_URL: (await backendEnv(backend))["DATABASE_URL"] })!;
    database = await openServiceDatabase({ name, migrations, sqlitePath: "", postgres, logger });
  } else {
    const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-store-"));
    database = await openServiceDatabase({ name, migrations, sqlitePath: join(dir, `${name}.db`), postgres: undefined, logger });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  }
  cleanups.push(() => database.close());
  return database;
}
