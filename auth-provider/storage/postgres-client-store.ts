/**
 * The registered clients on PostgreSQL (table auth_clients), with the same
 * rules as the SQLite store (client-store.ts): secrets kept only as
 * HMAC-SHA-256 hashes under the issuer's hash key, and authentication doing
 * the same work for an unknown client id as for a wrong secret. Authenticating
 * takes one round trip: one query returns a row of the same shape whether or
 * not the client exists, with everything a successful answer needs.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { PostgresPool } from "../../common/database/postgres-pool.js";
import { checkNewClient, checkSecret, splitList, type ClientRecord } from "../clients/client-store.js";
import type { ClientRepository } from "./auth-store.js";

interface ClientRow {
  client_id: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  grant_types: string;
  token_ttl_seconds: number | null;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const columns = "client_id, secret_hash, scopes, audiences, grant_types, token_ttl_seconds, disabled, created_at, updated_at";

/** Creates the store over pool; hashKey is the 32-byte client-secret hash key shared by every replica. */
export function createPostgresClientStore(pool: PostgresPool, hashKey: Buffer): ClientRepository {
  if (hashKey.length < 32) throw new TypeError("hashKey must be at least 32 bytes");
  const hash = (secret: string) => createHmac("sha256", hashKey).update(secret, "utf8").digest();
  const unknownClientHashHex = randomBytes(32).toString("hex");
  const damagedHashStandIn = randomBytes(32);
  const find = async (clientId: string) => {
    const { rows } = await pool.query<ClientRow>(`SELECT ${columns} FROM auth_clients WHERE client_id = $1`, [clientId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  };
  const mustChange = (rowCount: number | null, clientId: string) => {
    if (rowCount === 0) throw new Error(`client "${clientId}" does not exist`);
  };

  return {
    async register(client) {
      checkNewClient(client);
      const now = new Date();
      try {
        const { rows } = await pool.query<ClientRow>(
          `INSERT INTO auth_clients (${columns}) VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7) RETURNING ${columns}`,
          [client.clientId, hash(client.secret).toString("hex"), client.scopes.join(" "), client.audiences.join(" "), client.grantTypes.join(" "), client.tokenTtlSeconds ?? null, now],
        );
        return toRecord(rows[0]!);
      } catch (err) {
        if ((err as { code?: string }).code === "23505") throw new Error(`client "${client.clientId}" already exists`);
        throw err;
      }
    },
    find,
    async authenticate(clientId, secret) {
      const presented = hash(secret);
      const { rows } = await pool.query<ClientRow & { known: boolean }>(
        `SELECT c.client_id IS NOT NULL AS known, coalesce(c.secret_hash, $2) AS secret_hash, coalesce(c.disabled, false) AS disabled,
                c.client_id, c.scopes, c.audiences, c.grant_types, c.token_ttl_seconds, c.created_at, c.updated_at
           FROM (SELECT $1::text AS client_id) AS wanted LEFT JOIN auth_clients AS c ON c.client_id = wanted.client_id`,
        [clientId, unknownClientHashHex],
      );
      const row = rows[0]!;
      const storedHash = Buffer.from(row.secret_hash, "hex");
      const usable = storedHash.length === presented.length;
      const equal = timingSafeEqual(presented, usable ? storedHash : damagedHashStandIn);
      return equal && usable && row.known && !row.disabled ? toRecord(row) : undefined;
    },
    async setSecret(clientId, secret) {
      checkSecret(secret);
      const result = await pool.query("UPDATE auth_clients SET secret_hash = $1, updated_at = now() WHERE client_id = $2", [hash(secret).toString("hex"), clientId]);
      mustChange(result.rowCount, clientId);
    },
    async setDisabled(clientId, disabled) {
      const result = await pool.query("UPDATE auth_clients SET disabled = $1, updated_at = now() WHERE client_id = $2", [disabled, clientId]);
      mustChange(result.rowCount, clientId);
    },
    async list() {
      const { rows } = await pool.query<ClientRow>(`SELECT ${columns} FROM auth_clients ORDER BY client_id COLLATE "C"`);
      return rows.map(toRecord);
    },
    async allScopes() {
      const { rows } = await pool.query<{ scopes: string }>("SELECT scopes FROM auth_clients WHERE NOT disabled");
      return [...new Set(rows.flatMap((row) => splitList(row.scopes)))].sort();
    },
    async remove(clientId) {
      mustChange((await pool.query("DELETE FROM auth_clients WHERE client_id = $1", [clientId])).rowCount, clientId);
    },
  };
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    scopes: splitList(row.scopes),
    audiences: splitList(row.audiences),
    grantTypes: splitList(row.grant_types),
    tokenTtlSeconds: row.token_ttl_seconds ?? undefined,
    disabled: row.disabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
