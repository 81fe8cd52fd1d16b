/**
 * What a stored resource (an event, a note) is to the shared storage code: its
 * table, the columns of its own fields, the order lists use, and how a row
 * becomes the proto message. The common columns (id, times, who created and
 * changed it, the revision behind its etag) and the change log are the same
 * for every resource, so the schema migrations of a resource are generated
 * here from its columns, once for SQLite and once for PostgreSQL.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Migration } from "../../common/database/migrations.js";
import type { PageCursor } from "../pagination.js";

/** A column value as both backends hand it back once normalised (PostgreSQL BIGINTs become numbers). */
export type ColumnValue = string | number;

/** One column of a resource's own fields. "integer" is a 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT). */
export interface FieldColumn {
  readonly name: string;
  readonly type: "text" | "integer";
}

/** A row as the stores read it: the common columns plus the resource's own. */
export type ResourceRow = Readonly<Record<string, ColumnValue>>;

/** The common fields every resource message carries, read from the common columns. */
export interface CommonFields {
  id: string;
  createTime: Timestamp;
  updateTime: Timestamp;
  createdBy: string;
  updatedBy: string;
  etag: string;
}

/** The description of one resource type; `F` is the fields a client chooses, as validated. */
export interface ResourceTable<S extends DescMessage, F> {
  /** The message type (the change log stores each change's resource in its binary form). */
  readonly schema: S;
  /** Table name, component name of its migrations and resource type of its change log: "notes". */
  readonly name: string;
  /** One resource, for messages: "note". */
  readonly noun: string;
  /**
   * The columns of the resource's own fields and their types, in table order. Frozen once released: migration 1 is
   * generated from them and has already run on existing databases, so a new column needs a migration of its own
   * (each table's test pins its migrations).
   */
  readonly fieldColumns: Readonly<Record<string, FieldColumn["type"]>>;
  /** Name and columns of the index lists use; the columns end with "id" and are the page cursor. */
  readonly listIndex: { readonly name: string; readonly columns: readonly string[] };
  /** The values of the field columns for `fields`. */
  columnsOf(fields: F): Readonly<Record<string, ColumnValue>>;
  /** The message for a row, given the common fields already read from it. */
  fromRow(common: CommonFields, row: ResourceRow): MessageShape<S>;
  /** The values of `listIndex.columns` for a resource: its page cursor. */
  cursorOf(resource: MessageShape<S>): PageCursor;
}

/** The common columns, in table order around the field columns. */
export const leadingColumns: readonly FieldColumn[] = [{ name: "id", type: "text" }];
export const trailingColumns: readonly FieldColumn[] = [
  { name: "create_time_ms", type: "integer" },
  { name: "update_time_ms", type: "integer" },
  { name: "created_by", type: "text" },
  { name: "updated_by", type: "text" },
];

/** The resource's own columns as a list, in table order. */
export function fieldColumnsOf(table: { readonly fieldColumns: Readonly<Record<string, FieldColumn["type"]>> }): FieldColumn[] {
  return Object.entries(table.fieldColumns).map(([name, type]) => ({ name, type }));
}

/** The table that counts changes per resource type (its row lock orders commits on PostgreSQL). */
export const sequenceTable = "change_sequences";

/** The change log table of a resource. */
export function changeLogTable(table: { readonly name: string }): string {
  return `${table.name}_changes`;
}

/**
 * The resource's migrations: 1 creates its table and list index (the DDL the services always ran, so existing
 * SQLite files pass it unchanged); 2 adds the revision behind the etag and the change log.
 */
export function resourceMigrations(table: Pick<ResourceTable<DescMessage, never>, "name" | "fieldColumns" | "listIndex">): Migration[] {
  const columns = [...leadingColumns, ...fieldColumnsOf(table), ...trailingColumns];
  const ddl = (types: Record<FieldColumn["type"], string>, suffix: string) =>
    `CREATE TABLE IF NOT EXISTS ${table.name} (\n    ` +
    columns.map((c) => `${c.name} ${types[c.type]}${c.name === "id" ? " PRIMARY KEY" : " NOT NULL"}`).join(",\n    ") +
    `\n  )${suffix}`;
  const index = `CREATE INDEX IF NOT EXISTS ${table.listIndex.name} ON ${table.name} (${table.listIndex.columns.join(", ")})`;
  const log = changeLogTable(table);
  return [
    {
      version: 1,
      name: `${table.name} table`,
      sqlite: [ddl({ text: "TEXT", integer: "INTEGER" }, " STRICT"), index],
      postgres: [ddl({ text: "TEXT", integer: "BIGINT" }, ""), index],
    },
    {
      version: 2,
      name: `${table.name} revision and change log`,
      sqlite: [
        `ALTER TABLE ${table.name} ADD COLUMN revision INTEGER NOT NULL DEFAULT 1`,
        `CREATE TABLE IF NOT EXISTS ${sequenceTable} (resource_type TEXT PRIMARY KEY, sequence INTEGER NOT NULL) STRICT`,
        `INSERT OR IGNORE INTO ${sequenceTable} VALUES ('${table.name}', 0)`,
        `CREATE TABLE ${log} (sequence INTEGER PRIMARY KEY, change_type INTEGER NOT NULL, resource BLOB NOT NULL,
          changed_by TEXT NOT NULL, change_time_ms INTEGER NOT NULL) STRICT`,
      ],
      postgres: [
        `ALTER TABLE ${table.name} ADD COLUMN revision BIGINT NOT NULL DEFAULT 1`,
        `CREATE TABLE IF NOT EXISTS ${sequenceTable} (resource_type TEXT PRIMARY KEY, sequence BIGINT NOT NULL)`,
        `INSERT INTO ${sequenceTable} VALUES ('${table.name}', 0) ON CONFLICT DO NOTHING`,
        `CREATE TABLE ${log} (sequence BIGINT PRIMARY KEY, change_type INTEGER NOT NULL, resource BYTEA NOT NULL,
          changed_by TEXT NOT NULL, change_time_ms BIGINT NOT NULL)`,
      ],
    },
  ];
}
