/**
 * The notes table's migrations on a SQLite file written by the release before
 * them (the old DDL, no schema_migrations): the notes are kept and served,
 * with an etag, and their changes logged from then on.
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createLogger } from "../common/json-logger.js";
import { openResource } from "../service-runtime/resources/open-resource.js";
import { resourceMigrations } from "../service-runtime/resources/resource-table.js";
import { openServiceDatabase } from "../service-runtime/service-database.js";
import { noteTable } from "./notes-service.js";

test("an existing SQLite file from before the migrations is migrated in place, its notes kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-notes-"));
  const path = join(dir, "notes.db");
  try {
    const old = new Database(path);
    old.exec(`CREATE TABLE IF NOT EXISTS notes (
      id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, create_time_ms INTEGER NOT NULL,
      update_time_ms INTEGER NOT NULL, created_by TEXT NOT NULL, updated_by TEXT NOT NULL) STRICT`);
    old.exec("CREATE INDEX IF NOT EXISTS notes_by_creation ON notes (create_time_ms, id)");
    old.prepare("INSERT INTO notes VALUES ('n1', 'kept', 'from before', 1000, 2000, 'assistant', 'assistant')").run();
    old.close();

    const logger = createLogger({ component: "test", level: "error" });
    const database = await openServiceDatabase({ name: "notes", migrations: resourceMigrations(noteTable), sqlitePath: path, postgres: undefined, logger });
    const { store } = openResource(database, noteTable, { keep: 100 }, logger);
    const note = (await store.get("n1"))!;
    assert.deepEqual([note.title, note.description, note.etag, Number(note.updateTime!.seconds)], ["kept", "from before", '"1"', 2]);
    const changed = (await store.update("n1", () => ({ title: "changed", description: "" }), "assistant", note.etag))!;
    assert.equal(changed.etag, '"2"');
    assert.deepEqual((await store.changesAfter(0, 10)).map((c) => [c.sequence, c.resource.title]), [[1, "changed"]]);
    await database.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the notes table's migrations are pinned: a released migration never changes", () => {
  const migrations = resourceMigrations(noteTable);
  assert.deepEqual(
    migrations.map((m) => [m.version, m.name]),
    [
      [1, "notes table"],
      [2, "notes revision and change log"],
    ],
  );
  // Changing the table's columns would change migration 1, which existing databases have already run:
  // add a migration instead, then update this pin.
  assert.equal(createHash("sha256").update(JSON.stringify(migrations)).digest("hex").slice(0, 16), "8404ed2c53013443");
});
