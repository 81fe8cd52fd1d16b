/**
 * The registered clients on PostgreSQL (table auth_clients), with the same
 * rules as the SQLite store (client-store.ts): secrets kept only as
 * HMAC-SHA-256 hashes under the issuer's hash key, and authentication doing
 * the same work whatever the outcome (stand-in hashes for an unknown id or an
 * absent secret, both hashes compared every time). Authenticating takes one
 * round trip: one query returns a row of the same shape whether or not the
 * client exists, with everything a successful answer needs. Disabling or
 * removing a client and revoking its tokens is one statement, so atomic.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "../../common/json-logger.js";
import type { PostgresPool } from "../../common/database/postgres-pool.js";
import type { ClientRecord } from "../clients/client-record.js";
import { checkChanges, checkNewClient, checkOverlapSeconds, checkSecret, grantsFromJson, grantsToJson, tlsSubjectDnToStore } from "../clients/client-fields.js";
import { checkPublicJwk } from "../clients/public-jwk.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import type { ClientRepository } from "./auth-store.js";
import { legacyGrantsOf, logLegacyConversion, splitList, type LegacyClientRow } from "./legacy-grants.js";

interface ClientRow {
  client_id: string;
  grants: string | null;
  grant_types: string;
  has_secret: boolean;
  previous_secret_valid_until: Date | null;
  public_jwk: string | null;
  tls_client_auth_subject_dn: string | null;
  require_dpop: boolean;
  token_ttl_seconds: number | null;
  max_tokens_per_minute: number | null;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

// What a record needs (never the hashes); previous_secret_valid_until only while a previous secret exists.
const columns = `client_id, grants, grant_types, secret_hash IS NOT NULL AS has_secret,
  CASE WHEN previous_secret_hash IS NOT NULL THEN previous_secret_valid_until END AS previous_secret_valid_until,
  public_jwk, tls_client_auth_subject_dn, require_dpop, token_ttl_seconds, max_tokens_per_minute, disabled, created_at, updated_at`;

// Records "every token issued before $2" for the client the CTE `changed` names (none: nothing happens).
const revokeChanged = `INSERT INTO auth_client_token_revocations (client_id, tokens_issued_before) SELECT client_id, $2::bigint FROM changed
  ON CONFLICT (client_id) DO UPDATE
    SET tokens_issued_before = greatest(auth_client_token_revocations.tokens_issued_before, excluded.tokens_issued_before)`;

/** What the store may use beyond the pool and the hash key. */
export interface PostgresClientStoreOptions {
  /** The clock (ms) of secret overlaps and revocation instants; default Date.now. */
  readonly now?: (() => number) | undefined;
}

/** Creates the store over pool; hashKey is the 32-byte client-secret hash key shared by every replica. */
export function createPostgresClientStore(pool: PostgresPool, hashKey: Buffer, options: PostgresClientStoreOptions = {}): ClientRepository {
  if (hashKey.length < 32) throw new TypeError("hashKey must be at least 32 bytes");
  const now = options.now ?? Date.now;
  const hash = (secret: string) => createHmac("sha256", hashKey).update(secret, "utf8").digest();
  const standInHashHex = randomBytes(32).toString("hex");
  const damagedHashStandIn = randomBytes(32);
  const matches = (presented: Buffer, storedHex: string) => {
    const stored = Buffer.from(storedHex, "hex");
    const usable = stored.length === presented.length;
    return timingSafeEqual(presented, usable ? stored : damagedHashStandIn) && usable;
  };
  const record = (row: ClientRow) => toRecord(row, now());
  const find = async (clientId: string) => {
    const { rows } = await pool.query<ClientRow>(`SELECT ${columns} FROM auth_clients WHERE client_id = $1`, [clientId]);
    return rows[0] === undefined ? undefined : record(rows[0]);
  };
  const mustChange = (rowCount: number | null, clientId: string) => {
    if (rowCount === 0) throw new Error(`client "${clientId}" does not exist`);
  };
  const changedRecord = (rows: ClientRow[], clientId: string) => {
    if (rows[0] === undefined) throw new Error(`client "${clientId}" does not exist`);
    return record(rows[0]);
  };
  const needsAWayIn = async <T>(clientId: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if ((err as { code?: string }).code !== "23514") throw err; // check_violation: auth_clients_can_authenticate
      throw new TypeError(`client "${clientId}" would have no secret, public key or certificate subject, and could not authenticate`);
    }
  };
  // Every token issued before now, including those of the current second (tokens carry iat in whole seconds).
  const revocationInstant = () => Math.ceil(now() / 1000);

  return {
    async register(client) {
      const publicJwk = client.publicJwk === undefined ? undefined : await checkPublicJwk(client.publicJwk);
      checkNewClient({ ...client, publicJwk });
      const at = new Date(now());
      try {
        const { rows } = await pool.query<ClientRow>(
          `INSERT INTO auth_clients (client_id, grants, grant_types, secret_hash, public_jwk, tls_client_auth_subject_dn, require_dpop,
             token_ttl_seconds, max_tokens_per_minute, disabled, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, $10, $10) RETURNING ${columns}`,
          [
            client.clientId,
            grantsToJson(client.grants),
            client.grantTypes.join(" "),
            client.secret === undefined ? null : hash(client.secret).toString("hex"),
            publicJwk === undefined ? null : JSON.stringify(publicJwk),
            client.tlsClientAuthSubjectDn === undefined ? null : tlsSubjectDnToStore(client.tlsClientAuthSubjectDn),
            client.requireDpop === true,
            client.tokenTtlSeconds ?? null,
            client.maxTokensPerMinute ?? null,
            at,
          ],
        );
        return record(rows[0]!);
      } catch (err) {
        if ((err as { code?: string }).code === "23505") throw new Error(`client "${client.clientId}" already exists`);
        throw err;
      }
    },
    find,
    async authenticate(clientId, secret) {
      const presented = hash(secret);
      const { rows } = await pool.query<ClientRow & { known: boolean; secret_hash: string; previous_secret_hash: string; previous_usable: boolean }>(
        `SELECT c.client_id IS NOT NULL AS known, coalesce(c.secret_hash, $2) AS secret_hash,
                coalesce(c.previous_secret_hash, $2) AS previous_secret_hash,
                coalesce(c.previous_secret_valid_until > $3, false) AS previous_usable, coalesce(c.disabled, false) AS disabled,
                c.client_id, c.grants, c.grant_types, c.secret_hash IS NOT NULL AS has_secret,
                CASE WHEN c.previous_secret_hash IS NOT NULL THEN c.previous_secret_valid_until END AS previous_secret_valid_until,
                c.public_jwk, c.tls_client_auth_subject_dn, c.require_dpop, c.token_ttl_seconds, c.max_tokens_per_minute,
                c.created_at, c.updated_at
           FROM (SELECT $1::text AS client_id) AS wanted LEFT JOIN auth_clients AS c ON c.client_id = wanted.client_id`,
        [clientId, standInHashHex, new Date(now())],
      );
      const row = rows[0]!;
      const current = matches(presented, row.secret_hash);
      const previous = matches(presented, row.previous_secret_hash);
      return (current || (previous && row.previous_usable)) && row.known && !row.disabled ? record(row) : undefined;
    },
    async setSecret(clientId, secret, options) {
      checkSecret(secret);
      const overlapSeconds = checkOverlapSeconds(options?.overlapSeconds);
      const nowMs = now();
      // Without an overlap any previous secret ends; with one, the current secret (if any) becomes the previous one.
      const { rows } = await pool.query<ClientRow>(
        `UPDATE auth_clients SET previous_secret_hash = CASE WHEN $3 THEN secret_hash END,
                previous_secret_valid_until = CASE WHEN $3 AND secret_hash IS NOT NULL THEN $4::timestamptz END,
                secret_hash = $2, updated_at = $5
          WHERE client_id = $1 RETURNING ${columns}`,
        [clientId, hash(secret).toString("hex"), overlapSeconds > 0, new Date(nowMs + overlapSeconds * 1000), new Date(nowMs)],
      );
      return changedRecord(rows, clientId);
    },
    async endSecretOverlap(clientId) {
      const at = new Date(now());
      const result = await pool.query(
        `UPDATE auth_clients SET previous_secret_hash = NULL, previous_secret_valid_until = NULL, updated_at = $2
          WHERE client_id = $1 AND previous_secret_hash IS NOT NULL AND previous_secret_valid_until > $2`,
        [clientId, at],
      );
      if (result.rowCount === 1) return true;
      if ((await find(clientId)) === undefined) throw new Error(`client "${clientId}" does not exist`);
      return false;
    },
    async removeSecret(clientId) {
      return needsAWayIn(clientId, async () => {
        const { rows } = await pool.query<ClientRow>(
          `UPDATE auth_clients SET secret_hash = NULL, previous_secret_hash = NULL, previous_secret_valid_until = NULL, updated_at = $2
            WHERE client_id = $1 RETURNING ${columns}`,
          [clientId, new Date(now())],
        );
        return changedRecord(rows, clientId);
      });
    },
    async update(clientId, changes) {
      const publicJwk = changes.publicJwk == null ? changes.publicJwk : await checkPublicJwk(changes.publicJwk);
      checkChanges({ ...changes, publicJwk });
      return needsAWayIn(clientId, async () => {
        const { rows } = await pool.query<ClientRow>(
          `UPDATE auth_clients SET grants = CASE WHEN $2 THEN $3 ELSE grants END,
                  token_ttl_seconds = CASE WHEN $4 THEN $5::integer ELSE token_ttl_seconds END,
                  max_tokens_per_minute = CASE WHEN $6 THEN $7::integer ELSE max_tokens_per_minute END,
                  public_jwk = CASE WHEN $8 THEN $9 ELSE public_jwk END,
                  tls_client_auth_subject_dn = CASE WHEN $11 THEN $12 ELSE tls_client_auth_subject_dn END,
                  require_dpop = CASE WHEN $13 THEN $14::boolean ELSE require_dpop END,
                  updated_at = $10
            WHERE client_id = $1 RETURNING ${columns}`,
          [
            clientId,
            changes.grants !== undefined,
            changes.grants === undefined ? null : grantsToJson(changes.grants),
            changes.tokenTtlSeconds !== undefined,
            changes.tokenTtlSeconds ?? null,
            changes.maxTokensPerMinute !== undefined,
            changes.maxTokensPerMinute ?? null,
            publicJwk !== undefined,
            publicJwk == null ? null : JSON.stringify(publicJwk),
            new Date(now()),
            changes.tlsClientAuthSubjectDn !== undefined,
            changes.tlsClientAuthSubjectDn == null ? null : tlsSubjectDnToStore(changes.tlsClientAuthSubjectDn),
            changes.requireDpop !== undefined,
            changes.requireDpop === true,
          ],
        );
        return changedRecord(rows, clientId);
      });
    },
    async setDisabled(clientId, disabled) {
      if (!disabled) {
        // Re-enabling revokes nothing back: tokens issued before the disabling stay refused.
        const result = await pool.query("UPDATE auth_clients SET disabled = false, updated_at = $2 WHERE client_id = $1", [clientId, new Date(now())]);
        return mustChange(result.rowCount, clientId);
      }
      const result = await pool.query(
        `WITH changed AS (UPDATE auth_clients SET disabled = true, updated_at = $3 WHERE client_id = $1 RETURNING client_id) ${revokeChanged}`,
        [clientId, revocationInstant(), new Date(now())],
      );
      mustChange(result.rowCount, clientId);
    },
    async list() {
      const { rows } = await pool.query<ClientRow>(`SELECT ${columns} FROM auth_clients ORDER BY client_id COLLATE "C"`);
      return rows.map(record);
    },
    async remove(clientId) {
      const result = await pool.query(`WITH changed AS (DELETE FROM auth_clients WHERE client_id = $1 RETURNING client_id) ${revokeChanged}`, [
        clientId,
        revocationInstant(),
      ]);
      mustChange(result.rowCount, clientId);
    },
  };
}

/**
 * Gives the clients of schema version 1 their grants (legacy-grants.ts). Each row is written only while its grants
 * are NULL, so replicas opening together convert and log each client once between them.
 */
export async function convertLegacyPostgresClients(pool: PostgresPool, catalog: ScopeCatalog, logger: Logger): Promise<void> {
  const { rows } = await pool.query<LegacyClientRow>("SELECT client_id, legacy_scopes, legacy_audiences FROM auth_clients WHERE grants IS NULL");
  for (const row of rows) {
    const grants = legacyGrantsOf(row, catalog);
    const result = await pool.query("UPDATE auth_clients SET grants = $2 WHERE client_id = $1 AND grants IS NULL", [row.client_id, grantsToJson(grants)]);
    if (result.rowCount === 1) logLegacyConversion(logger, row, grants);
  }
}

function toRecord(row: ClientRow, nowMs: number): ClientRecord {
  const until = row.previous_secret_valid_until;
  return {
    clientId: row.client_id,
    grants: grantsFromJson(row.grants),
    grantTypes: splitList(row.grant_types),
    tokenTtlSeconds: row.token_ttl_seconds ?? undefined,
    maxTokensPerMinute: row.max_tokens_per_minute ?? undefined,
    hasSecret: row.has_secret,
    previousSecretValidUntil: until !== null && until.getTime() > nowMs ? until.toISOString() : undefined,
    publicJwk: row.public_jwk === null ? undefined : JSON.parse(row.public_jwk),
    tlsClientAuthSubjectDn: row.tls_client_auth_subject_dn ?? undefined,
    requireDpop: row.require_dpop,
    disabled: row.disabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
