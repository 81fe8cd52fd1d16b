/**
 * The resource store on SQLite (better-sqlite3, synchronous): each write is one
 * transaction that changes the row, takes the next sequence and appends the
 * change to the log; committed changes go to `onCommit` at once, in sequence
 * order (SQLite runs one write at a time), for the in-process live feed.
 * Every statement is prepared once per store, each list shape once.
 */
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Statement } from "better-sqlite3";
import { randomUUID } from "node:crypto";
import type { SqliteDatabase } from "../sqlite-database.js";
import * as shared from "./resource-store.js";
import { ChangeKind, type ChangeLogOptions, type ChangeLogRow, type ResourceChange, type ResourceStore } from "./resource-store.js";
import { changeLogTable, sequenceTable, type ResourceRow, type ResourceTable } from "./resource-table.js";

/** A store of `table` in `db` (migrated); `onCommit` receives every change once committed. */
export function createSqliteResourceStore<S extends DescMessage, F>(
  db: SqliteDatabase,
  table: ResourceTable<S, F>,
  options: ChangeLogOptions,
  onCommit: (change: ResourceChange<MessageShape<S>>) => void,
): ResourceStore<S, F> {
  type R = MessageShape<S>;
  const log = changeLogTable(table);
  const fieldNames = Object.keys(table.fieldColumns);
  const selectOne = db.prepare<[string], ResourceRow>(`SELECT * FROM ${table.name} WHERE id = ?`);
  const insertOne = db.prepare(
    `INSERT INTO ${table.name} (id, ${fieldNames.join(", ")}, create_time_ms, update_time_ms, created_by, updated_by, revision)
      VALUES (@id, ${fieldNames.map((n) => `@${n}`).join(", ")}, @now, @now, @client, @client, 1)`,
  );
  const updateOne = db.prepare(
    `UPDATE ${table.name} SET ${fieldNames.map((n) => `${n} = @${n}`).join(", ")}, update_time_ms = @now, updated_by = @client,
      revision = revision + 1 WHERE id = @id`,
  );
  const deleteOne = db.prepare<[string]>(`DELETE FROM ${table.name} WHERE id = ?`);
  const nextSequence = db.prepare<[string], { sequence: number }>(`UPDATE ${sequenceTable} SET sequence = sequence + 1 WHERE resource_type = ? RETURNING sequence`);
  const latest = db.prepare<[string], { sequence: number }>(`SELECT sequence FROM ${sequenceTable} WHERE resource_type = ?`);
  const append = db.prepare(`INSERT INTO ${log} VALUES (?, ?, ?, ?, ?)`);
  const trim = db.prepare<[number]>(`DELETE FROM ${log} WHERE sequence <= ?`);
  const readLog = db.prepare<[number, number], ChangeLogRow>(`SELECT * FROM ${log} WHERE sequence > ? ORDER BY sequence LIMIT ?`);
  const lists = new Map<string, Statement<unknown[], ResourceRow>>();

  const toResource = (row: ResourceRow): R => table.fromRow(shared.commonFields(row), row);
  const record = (type: ChangeKind, resource: R, clientId: string): ResourceChange<R> => {
    const sequence = nextSequence.get(table.name)!.sequence;
    append.run(sequence, type, toBinary(table.schema, resource), clientId, Date.now());
    if (sequence % shared.trimEvery === 0) trim.run(sequence - options.keep);
    return { sequence, type, resource, changedBy: clientId };
  };
  // Runs a write transaction, then hands its change (if any) to onCommit after COMMIT.
  const write = <A extends unknown[]>(body: (...args: A) => ResourceChange<R> | undefined) => {
    const transaction = db.transaction(body);
    return (...args: A): R | undefined => {
      const change = transaction(...args);
      if (change === undefined) return undefined;
      onCommit(change);
      return change.resource;
    };
  };

  const insert = write((fields: F, clientId: string) => {
    const id = randomUUID();
    insertOne.run({ id, ...table.columnsOf(fields), now: Date.now(), client: clientId });
    return record(ChangeKind.created, toResource(selectOne.get(id)!), clientId);
  });
  const update = write((id: string, change: (current: R) => F, clientId: string, etag: string | undefined) => {
    const row = selectOne.get(id);
    if (!row) return undefined;
    shared.checkEtag(table.noun, id, row, etag);
    updateOne.run({ id, ...table.columnsOf(change(toResource(row))), now: Date.now(), client: clientId });
    return record(ChangeKind.updated, toResource(selectOne.get(id)!), clientId);
  });
  const remove = write((id: string, clientId: string, etag: string | undefined) => {
    const row = selectOne.get(id);
    if (!row) return undefined;
    shared.checkEtag(table.noun, id, row, etag);
    deleteOne.run(id);
    return record(ChangeKind.deleted, toResource(row), clientId);
  });

  return {
    async list({ limit, where }) {
      const shape = where.length === 0 ? "" : shared.listShape(where);
      let statement = lists.get(shape);
      if (statement === undefined) lists.set(shape, (statement = db.prepare<unknown[], ResourceRow>(shared.listSql(table.name, table.listIndex.columns, where, () => "?"))));
      const rows = statement.all(...where.flatMap((c) => c.values), limit + 1);
      return { items: rows.slice(0, limit).map(toResource), hasMore: rows.length > limit };
    },
    async get(id) {
      const row = selectOne.get(id);
      return row && toResource(row);
    },
    async insert(fields, clientId) {
      return insert(fields, clientId)!;
    },
    async update(id, change, clientId, etag) {
      return update(id, change, clientId, etag);
    },
    async delete(id, clientId, etag) {
      return remove(id, clientId, etag);
    },
    async latestSequence() {
      return latest.get(table.name)?.sequence ?? 0;
    },
    async changesAfter(sequence, limit) {
      const last = latest.get(table.name)?.sequence ?? 0;
      if (!shared.hasChangesAfter(table.name, sequence, last)) return [];
      return shared.decodeChanges(table, sequence, last, readLog.all(sequence, limit));
    },
  };
}
