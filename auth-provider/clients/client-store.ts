/**
 * The registered OAuth clients on SQLite, in the `clients` table of the auth
 * database; synchronous (sqlite-auth-store.ts gives it the asynchronous face
 * of ClientRepository). A client's secrets are kept only as HMAC-SHA-256
 * hashes under the issuer's secret hash key; the plain secret is never
 * stored. Authenticating does the same work whatever the outcome: one query
 * returns a row of the same shape for an unknown id (stand-in hashes), a
 * client without a secret or without a previous secret, and both hashes are
 * decoded and compared every time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "../../common/json-logger.js";
import { migrateSqlite } from "../../common/database/migrations.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import type { AuthDatabase } from "../storage/auth-database.js";
import { authComponent, authMigrations } from "../storage/auth-migrations.js";
import { legacyGrantsOf, logLegacyConversion, splitList, type LegacyClientRow } from "../storage/legacy-grants.js";
import { createSqliteRevocations } from "../storage/sqlite-revocations.js";
import type { ClientChanges, ClientRecord, NewClient } from "./client-record.js";
import { checkChanges, checkNewClient, checkOverlapSeconds, checkSecret, grantsFromJson, grantsToJson, tlsSubjectDnToStore } from "./client-fields.js";

export type { ClientChanges, ClientRecord, Grant, NewClient } from "./client-record.js";
export { checkNewClient, checkSecret } from "./client-fields.js";

/**
 * Named operations on the clients table (ClientRepository in storage/auth-store.ts has each one's rules). A public
 * JWK must have passed checkPublicJwk (public-jwk.ts; the repository does it): this store checks only its shape.
 * Unknown client ids are an Error, invalid fields a TypeError.
 */
export interface ClientStore {
  register(client: NewClient): ClientRecord;
  find(clientId: string): ClientRecord | undefined;
  authenticate(clientId: string, secret: string): ClientRecord | undefined;
  setSecret(clientId: string, secret: string, options?: { overlapSeconds?: number }): ClientRecord;
  endSecretOverlap(clientId: string): boolean;
  removeSecret(clientId: string): ClientRecord;
  update(clientId: string, changes: ClientChanges): ClientRecord;
  /** Disabling also records "every token issued before now" for the client, in the same transaction. */
  setDisabled(clientId: string, disabled: boolean): void;
  list(): ClientRecord[];
  /** Deletes the client and revokes its tokens, in one transaction. */
  remove(clientId: string): void;
}

/** What the store may use beyond the database and the hash key. */
export interface ClientStoreOptions {
  /** With a catalog, clients of schema version 1 get their grants (logged with logger) when the store is created. */
  readonly catalog?: ScopeCatalog | undefined;
  readonly logger?: Logger | undefined;
  /** The clock (ms); default Date.now. */
  readonly now?: (() => number) | undefined;
}

/** A new client secret: 32 random bytes, base64url (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString("base64url");
}

interface ClientRow extends LegacyClientRow {
  grants: string | null;
  grant_types: string;
  secret_hash: string | null;
  previous_secret_hash: string | null;
  previous_secret_valid_until: string | null;
  public_jwk: string | null;
  tls_client_auth_subject_dn: string | null;
  require_dpop: number;
  token_ttl_seconds: number | null;
  max_tokens_per_minute: number | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

interface CredentialsRow {
  /** 1 for a registered client, 0 for the stand-in row of an unknown client id. */
  known: number;
  secret_hash: string;
  previous_secret_hash: string;
  /** 1 while the previous secret's overlap runs. */
  previous_usable: number;
  disabled: number;
}

/**
 * Creates the store over db, bringing its schema up to date first (the auth migrations: an in-memory database in
 * tests gets the same schema as auth.db). hashKey is the 32-byte HMAC key from the issuer keys; the same key must be
 * used on every start or stored secrets stop matching.
 */
export function createClientStore(db: AuthDatabase, hashKey: Buffer, options: ClientStoreOptions = {}): ClientStore {
  if (hashKey.length < 32) throw new TypeError("hashKey must be at least 32 bytes");
  migrateSqlite(db, authComponent, authMigrations);
  const now = options.now ?? Date.now;
  const revocations = createSqliteRevocations(db, now);
  const hash = (secret: string) => createHmac("sha256", hashKey).update(secret, "utf8").digest();
  // The stand-in hash (hex, as stored) of unknown ids and absent secrets: random, so no secret matches it.
  const standInHashHex = randomBytes(32).toString("hex");
  const damagedHashStandIn = randomBytes(32);
  const matches = (presented: Buffer, storedHex: string) => {
    const stored = Buffer.from(storedHex, "hex");
    const usable = stored.length === presented.length; // a damaged stored hash matches nothing
    return timingSafeEqual(presented, usable ? stored : damagedHashStandIn) && usable;
  };

  const insert = db.prepare(
    `INSERT INTO clients (client_id, grants, grant_types, secret_hash, public_jwk, tls_client_auth_subject_dn, require_dpop,
       token_ttl_seconds, max_tokens_per_minute, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  );
  const select = db.prepare<[string], ClientRow>("SELECT * FROM clients WHERE client_id = ?");
  // Exactly one row of the same shape whether or not the client exists (client_id is the primary key).
  const selectCredentials = db.prepare<[{ clientId: string; standIn: string; now: string }], CredentialsRow>(
    `SELECT c.client_id IS NOT NULL AS known, coalesce(c.secret_hash, @standIn) AS secret_hash,
            coalesce(c.previous_secret_hash, @standIn) AS previous_secret_hash,
            coalesce(c.previous_secret_valid_until > @now, 0) AS previous_usable, coalesce(c.disabled, 0) AS disabled
       FROM (SELECT @clientId AS client_id) AS wanted LEFT JOIN clients AS c ON c.client_id = wanted.client_id`,
  );
  // Without an overlap any previous secret ends; with one, the current secret (if any) becomes the previous one.
  const updateSecret = db.prepare(
    `UPDATE clients SET previous_secret_hash = CASE WHEN @overlap = 1 THEN secret_hash END,
            previous_secret_valid_until = CASE WHEN @overlap = 1 AND secret_hash IS NOT NULL THEN @until END,
            secret_hash = @hash, updated_at = @now
      WHERE client_id = @clientId`,
  );
  const endOverlap = db.prepare(
    `UPDATE clients SET previous_secret_hash = NULL, previous_secret_valid_until = NULL, updated_at = @now
      WHERE client_id = @clientId AND previous_secret_hash IS NOT NULL AND previous_secret_valid_until > @now`,
  );
  const clearSecrets = db.prepare(
    "UPDATE clients SET secret_hash = NULL, previous_secret_hash = NULL, previous_secret_valid_until = NULL, updated_at = ? WHERE client_id = ?",
  );
  const updateFields = db.prepare(
    `UPDATE clients SET grants = CASE WHEN @setGrants = 1 THEN @grants ELSE grants END,
            token_ttl_seconds = CASE WHEN @setTtl = 1 THEN @ttl ELSE token_ttl_seconds END,
            max_tokens_per_minute = CASE WHEN @setMax = 1 THEN @max ELSE max_tokens_per_minute END,
            public_jwk = CASE WHEN @setJwk = 1 THEN @jwk ELSE public_jwk END,
            tls_client_auth_subject_dn = CASE WHEN @setDn = 1 THEN @dn ELSE tls_client_auth_subject_dn END,
            require_dpop = CASE WHEN @setDpop = 1 THEN @dpop ELSE require_dpop END,
            updated_at = @now
      WHERE client_id = @clientId`,
  );
  const updateDisabled = db.prepare("UPDATE clients SET disabled = ?, updated_at = ? WHERE client_id = ?");
  const selectAll = db.prepare<[], ClientRow>("SELECT * FROM clients ORDER BY client_id");
  const deleteClient = db.prepare("DELETE FROM clients WHERE client_id = ?");

  const iso = () => new Date(now()).toISOString();
  const record = (row: ClientRow) => toRecord(row, now());
  const existing = (clientId: string) => {
    const row = select.get(clientId);
    if (row === undefined) throw new Error(`client "${clientId}" does not exist`);
    return record(row);
  };
  const needsAWayIn = (clientId: string, work: () => void) => {
    try {
      work();
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_CONSTRAINT_CHECK") throw err;
      throw new TypeError(`client "${clientId}" would have no secret, public key or certificate subject, and could not authenticate`);
    }
  };
  // Every token issued before now, including those of the current second (tokens carry iat in whole seconds).
  const revokeTokensOf = (clientId: string) => revocations.revokeClientTokens(clientId, Math.ceil(now() / 1000));

  if (options.catalog !== undefined) convertLegacyClients(db, options.catalog, options.logger);

  return {
    register(client) {
      checkNewClient(client);
      const at = iso();
      try {
        insert.run(
          client.clientId,
          grantsToJson(client.grants),
          client.grantTypes.join(" "),
          client.secret === undefined ? null : hash(client.secret).toString("hex"),
          client.publicJwk === undefined ? null : JSON.stringify(client.publicJwk),
          client.tlsClientAuthSubjectDn === undefined ? null : tlsSubjectDnToStore(client.tlsClientAuthSubjectDn),
          client.requireDpop === true ? 1 : 0,
          client.tokenTtlSeconds ?? null,
          client.maxTokensPerMinute ?? null,
          at,
          at,
        );
      } catch (err) {
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw new Error(`client "${client.clientId}" already exists`);
        throw err;
      }
      return existing(client.clientId);
    },
    find(clientId) {
      const row = select.get(clientId);
      return row === undefined ? undefined : record(row);
    },
    authenticate(clientId, secret) {
      // Every failure runs these same steps on same-sized data; only success does more (reading the whole record).
      const presented = hash(secret);
      const row = selectCredentials.get({ clientId, standIn: standInHashHex, now: iso() })!;
      const current = matches(presented, row.secret_hash);
      const previous = matches(presented, row.previous_secret_hash);
      if (!((current || (previous && row.previous_usable === 1)) && row.known === 1 && row.disabled === 0)) return undefined;
      const client = select.get(clientId);
      return client === undefined ? undefined : record(client);
    },
    setSecret(clientId, secret, options) {
      checkSecret(secret);
      const overlapSeconds = checkOverlapSeconds(options?.overlapSeconds);
      const nowMs = now();
      const result = updateSecret.run({
        clientId,
        hash: hash(secret).toString("hex"),
        overlap: overlapSeconds > 0 ? 1 : 0,
        until: new Date(nowMs + overlapSeconds * 1000).toISOString(),
        now: new Date(nowMs).toISOString(),
      });
      if (result.changes === 0) throw new Error(`client "${clientId}" does not exist`);
      return existing(clientId);
    },
    endSecretOverlap(clientId) {
      if (endOverlap.run({ clientId, now: iso() }).changes === 1) return true;
      existing(clientId);
      return false;
    },
    removeSecret(clientId) {
      needsAWayIn(clientId, () => {
        if (clearSecrets.run(iso(), clientId).changes === 0) throw new Error(`client "${clientId}" does not exist`);
      });
      return existing(clientId);
    },
    update(clientId, changes) {
      checkChanges(changes);
      needsAWayIn(clientId, () => {
        const result = updateFields.run({
          clientId,
          setGrants: changes.grants === undefined ? 0 : 1,
          grants: changes.grants === undefined ? null : grantsToJson(changes.grants),
          setTtl: changes.tokenTtlSeconds === undefined ? 0 : 1,
          ttl: changes.tokenTtlSeconds ?? null,
          setMax: changes.maxTokensPerMinute === undefined ? 0 : 1,
          max: changes.maxTokensPerMinute ?? null,
          setJwk: changes.publicJwk === undefined ? 0 : 1,
          jwk: changes.publicJwk == null ? null : JSON.stringify(changes.publicJwk),
          setDn: changes.tlsClientAuthSubjectDn === undefined ? 0 : 1,
          dn: changes.tlsClientAuthSubjectDn == null ? null : tlsSubjectDnToStore(changes.tlsClientAuthSubjectDn),
          setDpop: changes.requireDpop === undefined ? 0 : 1,
          dpop: changes.requireDpop === true ? 1 : 0,
          now: iso(),
        });
        if (result.changes === 0) throw new Error(`client "${clientId}" does not exist`);
      });
      return existing(clientId);
    },
    setDisabled(clientId, disabled) {
      db.transaction(() => {
        const result = updateDisabled.run(disabled ? 1 : 0, iso(), clientId);
        if (result.changes === 0) throw new Error(`client "${clientId}" does not exist`);
        if (disabled) revokeTokensOf(clientId); // re-enabling revokes nothing back: those tokens stay refused
      })();
    },
    list() {
      return selectAll.all().map(record);
    },
    remove(clientId) {
      db.transaction(() => {
        if (deleteClient.run(clientId).changes === 0) throw new Error(`client "${clientId}" does not exist`);
        revokeTokensOf(clientId);
      })();
    },
  };
}

// Gives the clients of schema version 1 their grants (legacy-grants.ts), each logged once.
function convertLegacyClients(db: AuthDatabase, catalog: ScopeCatalog, logger: Logger | undefined): void {
  const rows = db.prepare<[], LegacyClientRow>("SELECT client_id, legacy_scopes, legacy_audiences FROM clients WHERE grants IS NULL").all();
  const convert = db.prepare("UPDATE clients SET grants = ? WHERE client_id = ? AND grants IS NULL");
  for (const row of rows) {
    const grants = legacyGrantsOf(row, catalog);
    if (convert.run(grantsToJson(grants), row.client_id).changes === 1 && logger !== undefined) logLegacyConversion(logger, row, grants);
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
    hasSecret: row.secret_hash !== null,
    previousSecretValidUntil: row.previous_secret_hash !== null && until !== null && Date.parse(until) > nowMs ? until : undefined,
    publicJwk: row.public_jwk === null ? undefined : JSON.parse(row.public_jwk),
    tlsClientAuthSubjectDn: row.tls_client_auth_subject_dn ?? undefined,
    requireDpop: row.require_dpop === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
