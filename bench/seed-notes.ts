/**
 * Fills a notes database before its service starts: rows written straight
 * into the notes table (the schema of notes/notes-service.ts, migrated as the service does) in one transaction,
 * far faster than through the API. For benchmarks only.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { migrateSqlite } from "../common/database/migrations.js";
import { noteTable } from "../notes/notes-service.js";
import { resourceMigrations } from "../service-runtime/resources/resource-table.js";
import { openSqliteDatabase, type SqliteDatabase } from "../service-runtime/sqlite-database.js";

const description = "Bring the quarterly figures, the draft agenda and the list of open questions from last week.";

/** Writes `count` notes into `$dataDir/notes.db` (created if needed), one millisecond apart, oldest first. */
export function seedNotes(dataDir: string, count: number): void {
  const db = openNotes(dataDir);
  try {
    const insert = db.prepare(
      `INSERT INTO notes (id, title, description, create_time_ms, update_time_ms, created_by, updated_by)
        VALUES (@id, @title, @description, @create_time_ms, @update_time_ms, @created_by, @updated_by)`,
    );
    const start = Date.now() - count;
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const at = start + i;
        insert.run({ id: randomUUID(), title: `Note ${i + 1}`, description, create_time_ms: at, update_time_ms: at, created_by: "assistant", updated_by: "assistant" });
      }
    })();
  } finally {
    db.close();
  }
}

/** The sort key (create time ms, id) of the note at `index` in list order, for a page token. */
export function noteCursorAt(dataDir: string, index: number): [number, string] {
  const db = openNotes(dataDir);
  try {
    const row = db.prepare<[number], { create_time_ms: number; id: string }>(
      "SELECT create_time_ms, id FROM notes ORDER BY create_time_ms, id LIMIT 1 OFFSET ?",
    ).get(index);
    if (row === undefined) throw new Error(`no note at index ${index}`);
    return [row.create_time_ms, row.id];
  } finally {
    db.close();
  }
}

function openNotes(dataDir: string): SqliteDatabase {
  const db = openSqliteDatabase(join(dataDir, "notes.db"), []);
  migrateSqlite(db, "notes", resourceMigrations(noteTable));
  return db;
}
