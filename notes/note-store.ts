/** Notes in SQLite; lists use keyset pagination on (create time, id), oldest first. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { randomUUID } from "node:crypto";
import { NoteSchema, type Note } from "../gen/m2m/notes/v1/notes_pb.js";
import type { PageCursor } from "../service-runtime/pagination.js";
import type { SqliteDatabase } from "../service-runtime/sqlite-database.js";

export const noteSchema = [
  `CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    update_time_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX IF NOT EXISTS notes_by_creation ON notes (create_time_ms, id)`,
];

/** The fields a client chooses. */
export interface NoteFields {
  title: string;
  description: string;
}

interface NoteRow {
  id: string;
  title: string;
  description: string;
  create_time_ms: number;
  update_time_ms: number;
  created_by: string;
  updated_by: string;
}

export interface NoteStore {
  /** Notes after the cursor (create time ms, id), oldest first. */
  list(query: { limit: number; after?: PageCursor }): { notes: Note[]; hasMore: boolean };
  get(id: string): Note | undefined;
  insert(fields: NoteFields, clientId: string): Note;
  /** Applies `change` to the current note inside one transaction; undefined when there is no such note. */
  update(id: string, change: (current: Note) => NoteFields, clientId: string): Note | undefined;
  /** Deletes and returns the last state; undefined when there is no such note. */
  delete(id: string): Note | undefined;
}

export function createNoteStore(db: SqliteDatabase): NoteStore {
  const selectOne = db.prepare<[string], NoteRow>("SELECT * FROM notes WHERE id = ?");
  const selectFirst = db.prepare<[number], NoteRow>("SELECT * FROM notes ORDER BY create_time_ms, id LIMIT ?");
  const selectAfter = db.prepare<[number, string, number], NoteRow>(
    "SELECT * FROM notes WHERE (create_time_ms, id) > (?, ?) ORDER BY create_time_ms, id LIMIT ?",
  );
  const insertOne = db.prepare(
    `INSERT INTO notes VALUES (@id, @title, @description, @create_time_ms, @update_time_ms, @created_by, @updated_by)`,
  );
  const updateOne = db.prepare(
    `UPDATE notes SET title = @title, description = @description, update_time_ms = @update_time_ms, updated_by = @updated_by WHERE id = @id`,
  );
  const deleteOne = db.prepare<[string]>("DELETE FROM notes WHERE id = ?");

  return {
    list({ limit, after }) {
      const rows = after ? selectAfter.all(after[0] as number, after[1] as string, limit + 1) : selectFirst.all(limit + 1);
      return { notes: rows.slice(0, limit).map(toNote), hasMore: rows.length > limit };
    },
    get(id) {
      const row = selectOne.get(id);
      return row && toNote(row);
    },
    insert(fields, clientId) {
      const now = Date.now();
      const id = randomUUID();
      insertOne.run({ id, ...fields, create_time_ms: now, update_time_ms: now, created_by: clientId, updated_by: clientId });
      return toNote(selectOne.get(id)!);
    },
    update: db.transaction((id: string, change: (current: Note) => NoteFields, clientId: string) => {
      const row = selectOne.get(id);
      if (!row) return undefined;
      updateOne.run({ id, ...change(toNote(row)), update_time_ms: Date.now(), updated_by: clientId });
      return toNote(selectOne.get(id)!);
    }),
    delete: db.transaction((id: string) => {
      const row = selectOne.get(id);
      if (!row) return undefined;
      deleteOne.run(id);
      return toNote(row);
    }),
  };
}

/** The sort key of a note, for page tokens. */
export function noteCursor(note: Note): PageCursor {
  return [timestampMs(note.createTime!), note.id];
}

function toNote(row: NoteRow): Note {
  return create(NoteSchema, {
    id: row.id,
    title: row.title,
    description: row.description,
    createTime: timestampFromMs(row.create_time_ms),
    updateTime: timestampFromMs(row.update_time_ms),
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  });
}
