/**
 * Events in SQLite. Timestamps are stored as (seconds, nanos) so nothing a
 * client sends is rounded; lists use keyset pagination on (start, id). Every
 * statement is prepared once per store, the list query once per combination
 * of filters.
 */
import { create } from "@bufbuild/protobuf";
import type { Statement } from "better-sqlite3";
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { randomUUID } from "node:crypto";
import { EventSchema, type Event } from "../gen/m2m/calendar/v1/calendar_pb.js";
import type { PageCursor } from "../service-runtime/pagination.js";
import type { SqliteDatabase } from "../service-runtime/sqlite-database.js";

export const eventSchema = [
  `CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    start_seconds INTEGER NOT NULL,
    start_nanos INTEGER NOT NULL,
    end_seconds INTEGER NOT NULL,
    end_nanos INTEGER NOT NULL,
    create_time_ms INTEGER NOT NULL,
    update_time_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL
  ) STRICT`,
  `CREATE INDEX IF NOT EXISTS events_by_start ON events (start_seconds, start_nanos, id)`,
];

/** The fields a client chooses. */
export interface EventFields {
  title: string;
  description: string;
  startTime: Timestamp;
  endTime: Timestamp;
}

interface EventRow {
  id: string;
  title: string;
  description: string;
  start_seconds: number;
  start_nanos: number;
  end_seconds: number;
  end_nanos: number;
  create_time_ms: number;
  update_time_ms: number;
  created_by: string;
  updated_by: string;
}

export interface EventQuery {
  limit: number;
  /** Sort key (start seconds, start nanos, id) of the last event of the previous page. */
  after?: PageCursor;
  /** Only events that end after this. */
  timeMin?: Timestamp;
  /** Only events that start before this. */
  timeMax?: Timestamp;
}

export interface EventStore {
  list(query: EventQuery): { events: Event[]; hasMore: boolean };
  get(id: string): Event | undefined;
  insert(fields: EventFields, clientId: string): Event;
  /** Applies `change` to the current event inside one transaction; undefined when there is no such event. */
  update(id: string, change: (current: Event) => EventFields, clientId: string): Event | undefined;
  /** Deletes and returns the last state; undefined when there is no such event. */
  delete(id: string): Event | undefined;
}

/** The sort key of an event, for page tokens. */
export function eventCursor(event: Event): PageCursor {
  return [Number(event.startTime!.seconds), event.startTime!.nanos, event.id];
}

export function createEventStore(db: SqliteDatabase): EventStore {
  const selectOne = db.prepare<[string], EventRow>("SELECT * FROM events WHERE id = ?");
  const insertOne = db.prepare(
    `INSERT INTO events VALUES (@id, @title, @description, @start_seconds, @start_nanos, @end_seconds, @end_nanos,
      @create_time_ms, @update_time_ms, @created_by, @updated_by)`,
  );
  const updateOne = db.prepare(
    `UPDATE events SET title = @title, description = @description, start_seconds = @start_seconds, start_nanos = @start_nanos,
      end_seconds = @end_seconds, end_nanos = @end_nanos, update_time_ms = @update_time_ms, updated_by = @updated_by WHERE id = @id`,
  );
  const deleteOne = db.prepare<[string]>("DELETE FROM events WHERE id = ?");

  const fieldColumns = (fields: EventFields) => ({
    title: fields.title,
    description: fields.description,
    start_seconds: fields.startTime.seconds,
    start_nanos: fields.startTime.nanos,
    end_seconds: fields.endTime.seconds,
    end_nanos: fields.endTime.nanos,
  });

  // One list statement per combination of the filters set (after, timeMin, timeMax: 8 at most), each prepared the
  // first time a list needs it and reused after, as the other statements are.
  const listStatements = new Map<number, ListStatement>();
  const listStatement = (after: boolean, timeMin: boolean, timeMax: boolean): ListStatement => {
    const variant = (after ? 1 : 0) | (timeMin ? 2 : 0) | (timeMax ? 4 : 0);
    let statement = listStatements.get(variant);
    if (statement === undefined) {
      statement = db.prepare<[Record<string, unknown>], EventRow>(listSql(after, timeMin, timeMax));
      listStatements.set(variant, statement);
    }
    return statement;
  };

  return {
    list({ limit, after, timeMin, timeMax }) {
      const params: Record<string, unknown> = { limit: limit + 1 };
      if (after) Object.assign(params, { after_s: after[0], after_n: after[1], after_id: after[2] });
      if (timeMin) Object.assign(params, { min_s: timeMin.seconds, min_n: timeMin.nanos });
      if (timeMax) Object.assign(params, { max_s: timeMax.seconds, max_n: timeMax.nanos });
      const rows = listStatement(after !== undefined, timeMin !== undefined, timeMax !== undefined).all(params);
      return { events: rows.slice(0, limit).map(toEvent), hasMore: rows.length > limit };
    },
    get(id) {
      const row = selectOne.get(id);
      return row && toEvent(row);
    },
    insert(fields, clientId) {
      const now = Date.now();
      const id = randomUUID();
      insertOne.run({ id, ...fieldColumns(fields), create_time_ms: now, update_time_ms: now, created_by: clientId, updated_by: clientId });
      return toEvent(selectOne.get(id)!);
    },
    update: db.transaction((id: string, change: (current: Event) => EventFields, clientId: string) => {
      const row = selectOne.get(id);
      if (!row) return undefined;
      const fields = change(toEvent(row));
      updateOne.run({ id, ...fieldColumns(fields), update_time_ms: Date.now(), updated_by: clientId });
      return toEvent(selectOne.get(id)!);
    }),
    delete: db.transaction((id: string) => {
      const row = selectOne.get(id);
      if (!row) return undefined;
      deleteOne.run(id);
      return toEvent(row);
    }),
  };
}

type ListStatement = Statement<[Record<string, unknown>], EventRow>;

/** The list query with the conditions of the filters that are set; named parameters as `list` binds them. */
function listSql(after: boolean, timeMin: boolean, timeMax: boolean): string {
  const where: string[] = [];
  if (after) where.push("(start_seconds, start_nanos, id) > (@after_s, @after_n, @after_id)");
  if (timeMin) where.push("(end_seconds, end_nanos) > (@min_s, @min_n)");
  if (timeMax) where.push("(start_seconds, start_nanos) < (@max_s, @max_n)");
  return `SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY start_seconds, start_nanos, id LIMIT @limit`;
}

function toEvent(row: EventRow): Event {
  return create(EventSchema, {
    id: row.id,
    title: row.title,
    description: row.description,
    startTime: { seconds: BigInt(row.start_seconds), nanos: row.start_nanos },
    endTime: { seconds: BigInt(row.end_seconds), nanos: row.end_nanos },
    createTime: timestampFromMs(row.create_time_ms),
    updateTime: timestampFromMs(row.update_time_ms),
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  });
}
