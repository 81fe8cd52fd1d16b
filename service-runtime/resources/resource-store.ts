/**
 * The storage interface every resource uses, whatever the backend (SQLite or
 * PostgreSQL): keyset lists, reads, and writes that each record one change in
 * the resource type's change log within the same transaction, under the next
 * sequence number. Writes may name the etag the caller read; a stale one is
 * ABORTED (AIP-154), so two clients never silently overwrite each other.
 */
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { PageCursor } from "../pagination.js";
import type { CommonFields, ResourceRow, ResourceTable } from "./resource-table.js";

/** The change types, numbered as both services' ChangeType enums number them. */
export const ChangeKind = { created: 2, updated: 3, deleted: 4 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

/** One committed change, as the change log and the live feed carry it. */
export interface ResourceChange<R> {
  sequence: number;
  type: ChangeKind;
  /** The resource after the change (for a delete: its last state). */
  resource: R;
  changedBy: string;
}

/** A row-value comparison `(columns) op (values)`, e.g. the keyset condition of a page. */
export interface Condition {
  readonly columns: readonly string[];
  readonly op: ">" | "<";
  readonly values: PageCursor;
}

export interface ListQuery {
  limit: number;
  /** All must hold; the SQL of each combination is prepared once (SQLite) or named once (PostgreSQL). */
  where: readonly Condition[];
}

export interface ResourceStore<S extends DescMessage, F> {
  /** Resources in list-index order. */
  list(query: ListQuery): Promise<{ items: MessageShape<S>[]; hasMore: boolean }>;
  get(id: string): Promise<MessageShape<S> | undefined>;
  insert(fields: F, clientId: string): Promise<MessageShape<S>>;
  /**
   * Applies `change` to the current resource in one transaction; undefined when there is none.
   * @throws ConnectError ABORTED when `etag` is given and no longer matches.
   */
  update(id: string, change: (current: MessageShape<S>) => F, clientId: string, etag?: string): Promise<MessageShape<S> | undefined>;
  /**
   * Deletes and returns the last state; undefined when there is none.
   * @throws ConnectError ABORTED when `etag` is given and no longer matches.
   */
  delete(id: string, clientId: string, etag?: string): Promise<MessageShape<S> | undefined>;
  /** The sequence of the last change committed (0 before the first). */
  latestSequence(): Promise<number>;
  /**
   * Up to `limit` changes after `sequence`, oldest first.
   * @throws ConnectError OUT_OF_RANGE when changes after `sequence` were trimmed from the log, or `sequence` is
   * beyond the last change.
   */
  changesAfter(sequence: number, limit: number): Promise<ResourceChange<MessageShape<S>>[]>;
}

/** Settings of the change log. */
export interface ChangeLogOptions {
  /** Changes kept per resource type (older ones are trimmed); default 10000. */
  keep: number;
}

/** How often (in sequences) a write trims the change log. */
export const trimEvery = 64;

/** The etag of a revision: opaque to clients, changes with every write. */
export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/** The common fields of a row. */
export function commonFields(row: ResourceRow): CommonFields {
  return {
    id: String(row["id"]),
    createTime: timestampFromMs(Number(row["create_time_ms"])),
    updateTime: timestampFromMs(Number(row["update_time_ms"])),
    createdBy: String(row["created_by"]),
    updatedBy: String(row["updated_by"]),
    etag: etagOf(Number(row["revision"])),
  };
}

/** ABORTED unless `etag` is absent or matches the row's (AIP-154). */
export function checkEtag(noun: string, id: string, row: ResourceRow, etag: string | undefined): void {
  if (etag === undefined || etag === "" || etag === etagOf(Number(row["revision"]))) return;
  throw new ConnectError(`${noun} "${id}" changed since it was read (etag ${etag} no longer matches); read it again and retry`, Code.Aborted);
}

/** A row of a change log as both backends read it (PostgreSQL's BIGINT as a string). */
export interface ChangeLogRow {
  sequence: number | string;
  change_type: number;
  resource: Uint8Array;
  changed_by: string;
}

/**
 * Whether the log has changes after `since` to read, given the latest sequence.
 * @throws ConnectError OUT_OF_RANGE when `since` is beyond the latest change.
 */
export function hasChangesAfter(resourceType: string, since: number, latest: number): boolean {
  if (since > latest) throw historyGone(resourceType, since, latest);
  return since < latest;
}

/**
 * The changes in `rows`, read from the log after `since` in sequence order.
 * @throws ConnectError OUT_OF_RANGE when the first is not `since + 1` (the ones between were trimmed).
 */
export function decodeChanges<S extends DescMessage>(table: Pick<ResourceTable<S, unknown>, "name" | "schema">, since: number, latest: number, rows: readonly ChangeLogRow[]): ResourceChange<MessageShape<S>>[] {
  if (Number(rows[0]?.sequence) !== since + 1) throw historyGone(table.name, since, latest);
  return rows.map((r) => ({ sequence: Number(r.sequence), type: r.change_type as ChangeKind, resource: fromBinary(table.schema, r.resource), changedBy: r.changed_by }));
}

/** The OUT_OF_RANGE answer for a change log that no longer holds what a watcher asks for. */
function historyGone(resourceType: string, since: number, latest: number): ConnectError {
  if (since > latest) return new ConnectError(`since_sequence ${since} is beyond the last change to ${resourceType} (${latest}); list again and watch from 0`, Code.OutOfRange);
  return new ConnectError(`the changes to ${resourceType} after sequence ${since} are no longer kept; list again and watch from 0`, Code.OutOfRange);
}

/** A key for the shape of a list's conditions (which SQL it needs), cheaper to compute than the SQL itself. */
export function listShape(where: readonly Condition[]): string {
  let key = "";
  for (const c of where) key += `${c.op}${c.columns.join(",")};`;
  return key;
}

/** The SQL of a list: conditions as row-value comparisons, `param(i)` naming the i-th parameter. */
export function listSql(table: string, order: readonly string[], where: readonly Condition[], param: (i: number) => string): string {
  let n = 0;
  const clauses = where.map((c) => `(${c.columns.join(", ")}) ${c.op} (${c.values.map(() => param(++n)).join(", ")})`);
  return `SELECT * FROM ${table} ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""} ORDER BY ${order.join(", ")} LIMIT ${param(++n)}`;
}
