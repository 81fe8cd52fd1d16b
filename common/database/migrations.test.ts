/**
 * Migrations on both backends: applied in order once, recorded per part,
 * refused when the database is ahead of the code, and on PostgreSQL safe when
 * several replicas migrate at the same moment.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { startTestPostgres, type TestPostgres } from "../../test/support/postgres.js";
import { createLogger } from "../json-logger.js";
import { readDatabaseUrl } from "./database-url.js";
import { migratePostgres, migrateSqlite, SchemaTooNewError, type Migration } from "./migrations.js";
import { createPostgresPool } from "./postgres-pool.js";

const v1: Migration = { version: 1, name: "things", sqlite: ["CREATE TABLE things (id TEXT PRIMARY KEY) STRICT"], postgres: ["CREATE TABLE things (id TEXT PRIMARY KEY)"] };
const v2: Migration = { version: 2, name: "things.size", sqlite: ["ALTER TABLE things ADD COLUMN size INTEGER NOT NULL DEFAULT 0"], postgres: ["ALTER TABLE things ADD COLUMN size INTEGER NOT NULL DEFAULT 0"] };

describe("SQLite migrations", () => {
  it("apply in order once, then refuse a database ahead of the code", () => {
    const db = new Database(":memory:");
    assert.deepEqual(migrateSqlite(db, "things", [v1]), { applied: [1], version: 1 });
    assert.deepEqual(migrateSqlite(db, "things", [v1, v2]), { applied: [2], version: 2 });
    assert.deepEqual(migrateSqlite(db, "things", [v1, v2]), { applied: [], version: 2 });
    assert.deepEqual(migrateSqlite(db, "other", [v1].map((m) => ({ ...m, sqlite: ["CREATE TABLE others (id TEXT) STRICT"] }))), { applied: [1], version: 1 }, "per part");
    assert.throws(() => migrateSqlite(db, "things", [v1]), (err: unknown) => err instanceof SchemaTooNewError && /things is at version 2, newer than this build knows \(1\)/.test(err.message));
  });
});

describe("PostgreSQL migrations", () => {
  let server: TestPostgres;
  before(async () => (server = await startTestPostgres()));
  after(() => server.stop());

  it("five replicas migrating at once apply each version exactly once", async () => {
    const location = readDatabaseUrl({ DATABASE_URL: await server.createDatabase() })!;
    const logger = createLogger({ component: "test", level: "error" });
    const pools = Array.from({ length: 5 }, () => createPostgresPool(location, { applicationName: "test", logger }));
    try {
      const outcomes = await Promise.all(pools.map((pool) => migratePostgres(pool, "things", [v1, v2])));
      assert.deepEqual(outcomes.map((o) => o.applied.length).sort(), [0, 0, 0, 0, 2]);
      const { rows } = await pools[0]!.query("SELECT version FROM schema_migrations WHERE component = 'things' ORDER BY version");
      assert.deepEqual(rows.map((r) => r.version), [1, 2]);
      await assert.rejects(migratePostgres(pools[0]!, "things", [v1]), SchemaTooNewError);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it("a failing migration leaves nothing behind", async () => {
    const location = readDatabaseUrl({ DATABASE_URL: await server.createDatabase() })!;
    const pool = createPostgresPool(location, { applicationName: "test", logger: createLogger({ component: "test", level: "error" }) });
    try {
      const broken: Migration = { ...v2, postgres: ["ALTER TABLE things ADD COLUMN size INTEGER", "NOT SQL"] };
      await assert.rejects(migratePostgres(pool, "things", [v1, broken]), /syntax error/);
      const { rows } = await pool.query("SELECT to_regclass('things') AS t, to_regclass('schema_migrations') AS m");
      assert.deepEqual(rows[0], { t: null, m: null });
    } finally {
      await pool.end();
    }
  });
});
