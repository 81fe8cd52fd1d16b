/**
 * The resource store on PostgreSQL (`pg`, a pool): the same behaviour as on
 * SQLite. Each write is one transaction that changes the row, then takes the
 * next sequence by updating the resource type's counter row: that row lock is
 * held until COMMIT, so writers of one resource type commit in sequence order
 * and a reader of the change log never sees sequence n+1 before n. The COMMIT
 * also sends a NOTIFY whose payload is only "<resource type>:<sequence>";
 * listeners read the change itself from the log. A database that cannot be
 * reached answers UNAVAILABLE, never INTERNAL.
 */
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHash, randomUUID } from "node:crypto";
import { inTransaction, isPostgresUnavailable, postgresErrorText, type PostgresClient, type PostgresPool } from "../../common/database/postgres-pool.js";
import { ChangeKind, checkEtag, commonFields, decodeChanges, hasChangesAfter, listShape, listSql, trimEvery } from "./resource-store.js";
import type { ChangeLogOptions, ChangeLogRow, ResourceChange, ResourceStore } from "./resource-store.js";
import { changeLogTable, fieldColumnsOf, leadingColumns, sequenceTable, trailingColumns, type ResourceRow, type ResourceTable } from "./resource-table.js";

/** The channel every change is announced on; the payload is "<resource type>:<sequence>". */
export const changeChannel = "m2m_changes";

/** UNAVAILABLE for a database that is away; anything else unchanged. */
export function unavailableOr(err: unknown): unknown {
  if (err instanceof ConnectError || !isPostgresUnavailable(err)) return err;
  return new ConnectError(`the database is unavailable (${postgresErrorText(err)}); retry shortly`, Code.Unavailable, undefined, undefined, err);
}

/** A store of `table` on `pool` (migrated). Changes reach watchers through the change listener, not from here. */
export function createPostgresResourceStore<S extends DescMessage, F>(pool: PostgresPool, table: ResourceTable<S, F>, options: ChangeLogOptions): ResourceStore<S, F> {
  type R = MessageShape<S>;
  const log = changeLogTable(table);
  const fieldNames = Object.keys(table.fieldColumns);
  const integers = [...leadingColumns, ...fieldColumnsOf(table), ...trailingColumns, { name: "revision", type: "integer" }]
    .filter((c) => c.type === "integer")
    .map((c) => c.name);
  // BIGINT arrives as a string from pg: the stores agree on numbers.
  const normalise = (row: Record<string, unknown>): ResourceRow => {
    for (const name of integers) row[name] = Number(row[name]);
    return row as ResourceRow;
  };
  const toResource = (row: Record<string, unknown>): R => {
    const normal = normalise(row);
    return table.fromRow(commonFields(normal), normal);
  };
  const fieldValues = (fields: F) => {
    const columns = table.columnsOf(fields);
    return fieldNames.map((n) => columns[n]);
  };
  const named = (sql: string) => `${table.name}_${createHash("sha256").update(sql).digest("hex").slice(0, 16)}`;
  const selectOne = `SELECT * FROM ${table.name} WHERE id = $1`;
  const selectForUpdate = `${selectOne} FOR UPDATE`;
  const insertOne = `INSERT INTO ${table.name} (id, ${fieldNames.join(", ")}, create_time_ms, update_time_ms, created_by, updated_by, revision)
    VALUES ($1, ${fieldNames.map((_, i) => `$${i + 2}`).join(", ")}, $${fieldNames.length + 2}, $${fieldNames.length + 2}, $${fieldNames.length + 3}, $${fieldNames.length + 3}, 1) RETURNING *`;
  const updateOne = `UPDATE ${table.name} SET ${fieldNames.map((n, i) => `${n} = $${i + 2}`).join(", ")}, update_time_ms = $${fieldNames.length + 2},
    updated_by = $${fieldNames.length + 3}, revision = revision + 1 WHERE id = $1 RETURNING *`;
  const lists = new Map<string, { name: string; text: string }>();

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw unavailableOr(err);
    }
  };
  const record = async (client: PostgresClient, type: ChangeKind, resource: R, clientId: string): Promise<ResourceChange<R>> => {
    // Last in the transaction, so the counter row (which orders commits) is locked for as short a time as possible.
    const { rows } = await client.query<{ sequence: string }>(`UPDATE ${sequenceTable} SET sequence = sequence + 1 WHERE resource_type = $1 RETURNING sequence`, [table.name]);
    const sequence = Number(rows[0]!.sequence);
    await client.query(`INSERT INTO ${log} VALUES ($1, $2, $3, $4, $5)`, [sequence, type, toBinary(table.schema, resource), clientId, Date.now()]);
    if (sequence % trimEvery === 0) await client.query(`DELETE FROM ${log} WHERE sequence <= $1`, [sequence - options.keep]);
    await client.query("SELECT pg_notify($1, $2)", [changeChannel, `${table.name}:${sequence}`]);
    return { sequence, type, resource, changedBy: clientId };
  };
  const write = (work: (client: PostgresClient) => Promise<R | undefined>) => guard(() => inTransaction(pool, work));

  return {
    list: ({ limit, where }) =>
      guard(async () => {
        const shape = where.length === 0 ? "" : listShape(where);
        let query = lists.get(shape);
        if (query === undefined) {
          const text = listSql(table.name, table.listIndex.columns, where, (i) => `$${i}`);
          lists.set(shape, (query = { name: named(text), text }));
        }
        const { rows } = await pool.query({ ...query, values: [...where.flatMap((c) => c.values), limit + 1] });
        return { items: rows.slice(0, limit).map(toResource), hasMore: rows.length > limit };
      }),
    get: (id) =>
      guard(async () => {
        const { rows } = await pool.query(selectOne, [id]);
        return rows[0] && toResource(rows[0]);
      }),
    insert: async (fields, clientId) =>
      (await write(async (client) => {
        const { rows } = await client.query(insertOne, [randomUUID(), ...fieldValues(fields), Date.now(), clientId]);
        return (await record(client, ChangeKind.created, toResource(rows[0]), clientId)).resource;
      }))!,
    update: (id, change, clientId, etag) =>
      write(async (client) => {
        const { rows } = await client.query(selectForUpdate, [id]);
        if (!rows[0]) return undefined;
        const current = normalise(rows[0]);
        checkEtag(table.noun, id, current, etag);
        const fields = change(table.fromRow(commonFields(current), current));
        const updated = await client.query(updateOne, [id, ...fieldValues(fields), Date.now(), clientId]);
        return (await record(client, ChangeKind.updated, toResource(updated.rows[0]), clientId)).resource;
      }),
    delete: (id, clientId, etag) =>
      write(async (client) => {
        const { rows } = await client.query(`${selectForUpdate}`, [id]);
        if (!rows[0]) return undefined;
        const current = normalise(rows[0]);
        checkEtag(table.noun, id, current, etag);
        await client.query(`DELETE FROM ${table.name} WHERE id = $1`, [id]);
        return (await record(client, ChangeKind.deleted, table.fromRow(commonFields(current), current), clientId)).resource;
      }),
    latestSequence: () => guard(() => latestOf(pool, table.name)),
    changesAfter: (sequence, limit) =>
      guard(async () => {
        const last = await latestOf(pool, table.name);
        if (!hasChangesAfter(table.name, sequence, last)) return [];
        const { rows } = await pool.query<ChangeLogRow>(`SELECT * FROM ${log} WHERE sequence > $1 ORDER BY sequence LIMIT $2`, [sequence, limit]);
        return decodeChanges(table, sequence, last, rows);
      }),
  };
}

async function latestOf(pool: PostgresPool, resourceType: string): Promise<number> {
  const { rows } = await pool.query<{ sequence: string }>(`SELECT sequence FROM ${sequenceTable} WHERE resource_type = $1`, [resourceType]);
  return Number(rows[0]?.sequence ?? 0);
}
