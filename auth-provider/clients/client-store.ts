/**
 * The registered OAuth clients, in the `clients` table of the auth database.
 * A client's secret is kept only as an HMAC-SHA-256 hash under the issuer's
 * secret hash key; the plain secret is never stored. Authenticating an
 * unknown client id does the work of a wrong secret for a known one: the same
 * query returns a stand-in row, whose hash is decoded and compared the same way.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthDatabase } from "../storage/auth-database.js";
import { sqliteClientsTable } from "../storage/auth-migrations.js";
import { weakSecretReason } from "./secret-strength.js";

/** A client as the store returns it (never with its secret). */
export interface ClientRecord {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly grantTypes: readonly string[];
  /** Lifetime of this client's tokens; undefined means the server default. */
  readonly tokenTtlSeconds: number | undefined;
  readonly disabled: boolean;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What register() needs. */
export interface NewClient {
  /** 1 to 128 visible ASCII characters. */
  readonly clientId: string;
  /** At least 128 bits of estimated entropy (secret-strength.ts); {@link generateClientSecret} makes such secrets. */
  readonly secret: string;
  /** Scope tokens (RFC 6749 §3.3 characters), audiences and grant types: no spaces, at least one each. */
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly grantTypes: readonly string[];
  /** 60 to 86400; omitted means the server default. */
  readonly tokenTtlSeconds?: number | undefined;
}

/** Named operations on the clients table. */
export interface ClientStore {
  /** Adds a client. Throws TypeError for invalid fields, Error when the client id is taken. */
  register(client: NewClient): ClientRecord;
  /** The client, or undefined. */
  find(clientId: string): ClientRecord | undefined;
  /**
   * The client when the secret is right and the client is enabled, else undefined. Takes the same work for unknown
   * clients and compares hashes in constant time, so the answer's timing does not reveal which clients exist.
   */
  authenticate(clientId: string, secret: string): ClientRecord | undefined;
  /** Replaces the client's secret. Throws TypeError for a too-short secret, Error for an unknown client. */
  setSecret(clientId: string, secret: string): void;
  /** Disables or re-enables a client. Throws Error for an unknown client. */
  setDisabled(clientId: string, disabled: boolean): void;
  /** Every scope some enabled client may request, sorted. */
  allScopes(): string[];
  /** Every client, by client id. */
  list(): ClientRecord[];
  /** Deletes a client. Throws Error for an unknown client. */
  remove(clientId: string): void;
}

/** A new client secret: 32 random bytes, base64url (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString("base64url");
}

interface ClientRow {
  client_id: string;
  secret_hash: string;
  scopes: string;
  audiences: string;
  grant_types: string;
  token_ttl_seconds: number | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

interface CredentialsRow {
  /** 1 for a registered client, 0 for the stand-in row of an unknown client id. */
  known: number;
  secret_hash: string;
  disabled: number;
}

/**
 * Creates the store over db (creating the clients table if needed). hashKey is the 32-byte HMAC key from the issuer
 * keys; the same key must be used on every start or stored secrets stop matching.
 */
export function createClientStore(db: AuthDatabase, hashKey: Buffer): ClientStore {
  if (hashKey.length < 32) throw new TypeError("hashKey must be at least 32 bytes");
  db.exec(sqliteClientsTable);
  const hash = (secret: string) => createHmac("sha256", hashKey).update(secret, "utf8").digest();
  // The stand-in hash of unknown client ids (hex, as stored): random, so no secret matches it.
  const unknownClientHashHex = randomBytes(32).toString("hex");
  const damagedHashStandIn = randomBytes(32);
  const insert = db.prepare(
    `INSERT INTO clients (client_id, secret_hash, scopes, audiences, grant_types, token_ttl_seconds, disabled,
       created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  );
  const select = db.prepare<[string], ClientRow>("SELECT * FROM clients WHERE client_id = ?");
  // Exactly one row of the same shape whether or not the client exists (client_id is the primary key).
  const selectCredentials = db.prepare<[{ clientId: string; standIn: string }], CredentialsRow>(
    `SELECT c.client_id IS NOT NULL AS known, coalesce(c.secret_hash, @standIn) AS secret_hash,
            coalesce(c.disabled, 0) AS disabled
       FROM (SELECT @clientId AS client_id) AS wanted LEFT JOIN clients AS c ON c.client_id = wanted.client_id`,
  );
  const updateSecret = db.prepare("UPDATE clients SET secret_hash = ?, updated_at = ? WHERE client_id = ?");
  const updateDisabled = db.prepare("UPDATE clients SET disabled = ?, updated_at = ? WHERE client_id = ?");
  const selectScopes = db.prepare<[], { scopes: string }>("SELECT scopes FROM clients WHERE disabled = 0");
  const selectAll = db.prepare<[], ClientRow>("SELECT * FROM clients ORDER BY client_id");
  const deleteClient = db.prepare("DELETE FROM clients WHERE client_id = ?");

  return {
    register(client) {
      checkNewClient(client);
      const now = new Date().toISOString();
      try {
        insert.run(
          client.clientId,
          hash(client.secret).toString("hex"),
          client.scopes.join(" "),
          client.audiences.join(" "),
          client.grantTypes.join(" "),
          client.tokenTtlSeconds ?? null,
          now,
          now,
        );
      } catch (err) {
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
          throw new Error(`client "${client.clientId}" already exists`);
        }
        throw err;
      }
      return toRecord(select.get(client.clientId)!);
    },
    find(clientId) {
      const row = select.get(clientId);
      return row === undefined ? undefined : toRecord(row);
    },
    authenticate(clientId, secret) {
      // Every failure runs these same steps on same-sized data; only success does more (reading the whole record).
      const presented = hash(secret);
      const row = selectCredentials.get({ clientId, standIn: unknownClientHashHex })!;
      const storedHash = Buffer.from(row.secret_hash, "hex");
      const usable = storedHash.length === presented.length; // a damaged stored hash matches nothing
      const equal = timingSafeEqual(presented, usable ? storedHash : damagedHashStandIn);
      if (!(equal && usable && row.known === 1 && row.disabled === 0)) return undefined;
      const client = select.get(clientId);
      return client === undefined ? undefined : toRecord(client);
    },
    setSecret(clientId, secret) {
      checkSecret(secret);
      const result = updateSecret.run(hash(secret).toString("hex"), new Date().toISOString(), clientId);
      if (result.changes === 0) throw new Error(`client "${clientId}" does not exist`);
    },
    setDisabled(clientId, disabled) {
      const result = updateDisabled.run(disabled ? 1 : 0, new Date().toISOString(), clientId);
      if (result.changes === 0) throw new Error(`client "${clientId}" does not exist`);
    },
    allScopes() {
      const scopes = new Set<string>();
      for (const row of selectScopes.all()) for (const scope of splitList(row.scopes)) scopes.add(scope);
      return [...scopes].sort();
    },
    list() {
      return selectAll.all().map(toRecord);
    },
    remove(clientId) {
      if (deleteClient.run(clientId).changes === 0) throw new Error(`client "${clientId}" does not exist`);
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
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored space-delimited list as an array (shared with the PostgreSQL store). */
export function splitList(value: string): string[] {
  return value.split(" ").filter((item) => item !== "");
}

// RFC 6749 §3.3 scope-token characters; audiences and grant types use the same rule (space-delimited storage).
const token = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Checks a new client's fields (shared with the PostgreSQL store). @throws TypeError naming the bad field. */
export function checkNewClient(client: NewClient): void {
  if (!/^[\x21-\x7e]{1,128}$/.test(client.clientId)) {
    throw new TypeError("clientId must be 1 to 128 visible ASCII characters");
  }
  checkSecret(client.secret);
  for (const [name, list] of [
    ["scopes", client.scopes],
    ["audiences", client.audiences],
    ["grantTypes", client.grantTypes],
  ] as const) {
    if (list.length === 0 || !list.every((item) => token.test(item))) {
      throw new TypeError(`${name} must be a non-empty list of tokens without spaces, quotes or backslashes`);
    }
  }
  const ttl = client.tokenTtlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > 86400)) {
    throw new TypeError("tokenTtlSeconds must be a whole number from 60 to 86400");
  }
}

/** Checks a secret's strength. @throws TypeError saying why it is too weak. */
export function checkSecret(secret: string): void {
  const weak = weakSecretReason(secret);
  if (weak !== undefined) throw new TypeError(weak);
}
