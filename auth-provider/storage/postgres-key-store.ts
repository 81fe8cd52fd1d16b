/**
 * The issuer keys on PostgreSQL, shared by every replica: the key set (one
 * row: current kid, a change counter, the sealed client-secret hash key) and
 * one row per signing key with its rotation schedule (activates_at,
 * retires_at) and its private JWK sealed with the KEK (key-encryption.ts; the
 * kid is the additional authenticated data). Read back in the IssuerKeysFile
 * shape, so key-ring.ts and key-rotation.ts apply unchanged.
 *
 * - Creation on an empty database happens under an advisory lock: replicas
 *   starting together create one key set, not one each.
 * - Every change (rotation, pruning) locks the key set row, re-reads, applies
 *   and bumps the counter in one transaction, so concurrent pruning by several
 *   replicas and a rotation by the admin CLI serialize; a replica that finds
 *   nothing left to prune writes nothing.
 * - Replicas poll the counter (one tiny query a second) and reload on change.
 */
import type { PostgresClient, PostgresPool } from "../../common/database/postgres-pool.js";
import { inTransaction } from "../../common/database/postgres-pool.js";
import { seal, unseal, type KeyEncryptionKey } from "../keys/key-encryption.js";
import { createIssuerKeysFile, parseIssuerKeysFile, type IssuerKeysFile, type StoredSigningKey } from "../keys/key-file-format.js";
import { NoIssuerKeysError, type IssuerKeyStore } from "./auth-store.js";

// Serializes the first creation of the key set (any constant not used by another advisory lock of this project).
const createKeysLock = 4_207_113;
const hashKeyLabel = "client-secret-hash-key";
const where = "the issuer keys in the database";

interface KeyRow {
  current_kid: string;
  change_count: string;
  sealed_secret_hash_key: string;
  kid: string | null;
  alg: string | null;
  sealed_private_jwk: string | null;
  created_at: Date | null;
  activates_at: Date | null;
  retires_at: Date | null;
}

type Queryable = Pick<PostgresClient, "query"> | PostgresPool;

/** Creates the key store; kek opens and seals the private keys. */
export function createPostgresKeyStore(pool: PostgresPool, kek: KeyEncryptionKey): IssuerKeyStore {
  async function readAll(db: Queryable): Promise<{ stored: IssuerKeysFile; marker: string } | undefined> {
    const { rows } = await db.query<KeyRow>(
      `SELECT s.current_kid, s.change_count::text AS change_count, s.sealed_secret_hash_key,
              k.kid, k.alg, k.sealed_private_jwk, k.created_at, k.activates_at, k.retires_at
         FROM auth_key_set AS s LEFT JOIN auth_signing_keys AS k ON true
        WHERE s.id = 1 ORDER BY k.created_at, k.kid`,
    );
    const first = rows[0];
    if (first === undefined) return undefined;
    const signingKeys = rows.filter((row) => row.kid !== null).map((row) => toStoredKey(kek, row));
    const file = {
      version: 2,
      currentKid: first.current_kid,
      signingKeys,
      clientSecretHashKey: unseal(kek, hashKeyLabel, first.sealed_secret_hash_key).toString("base64url"),
    };
    // The same checks as a keys file: ES256 keys, kids that are their thumbprints, a current key, a 32-byte hash key.
    return { stored: parseIssuerKeysFile(JSON.stringify(file), where), marker: first.change_count };
  }

  const read = async (db: Queryable = pool) => {
    const found = await readAll(db);
    if (found === undefined) throw new NoIssuerKeysError(`no issuer keys in the database: start the auth provider once to create them`);
    return found;
  };

  return {
    location: "database",
    async loadOrCreate() {
      return inTransaction(pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock($1)", [createKeysLock]);
        const existing = await readAll(client);
        if (existing !== undefined) return { stored: existing.stored, created: false };
        const fresh = await createIssuerKeysFile();
        await client.query(
          "INSERT INTO auth_key_set (id, current_kid, change_count, sealed_secret_hash_key, updated_at) VALUES (1, $1, 1, $2, now())",
          [fresh.currentKid, seal(kek, hashKeyLabel, Buffer.from(fresh.clientSecretHashKey, "base64url"))],
        );
        for (const key of fresh.signingKeys) await insertKey(client, kek, key);
        return { stored: (await read(client)).stored, created: true };
      });
    },
    read: async () => (await read()).stored,
    async readIfChanged(marker) {
      if (marker !== undefined) {
        const { rows } = await pool.query<{ change_count: string }>("SELECT change_count::text AS change_count FROM auth_key_set WHERE id = 1");
        if (rows[0]?.change_count === marker) return undefined;
      }
      return read();
    },
    async update(change) {
      return inTransaction(pool, async (client) => {
        await client.query("SELECT 1 FROM auth_key_set WHERE id = 1 FOR UPDATE");
        const current = (await read(client)).stored;
        const result = change(current);
        if (result === undefined) return result;
        const next = result.file;
        if (next.clientSecretHashKey !== current.clientSecretHashKey) {
          throw new Error("refusing to change the client secret hash key of the issuer keys");
        }
        const kept = new Set(next.signingKeys.map((k) => k.kid));
        const gone = current.signingKeys.filter((k) => !kept.has(k.kid)).map((k) => k.kid);
        if (gone.length > 0) await client.query("DELETE FROM auth_signing_keys WHERE kid = ANY($1)", [gone]);
        for (const key of next.signingKeys) {
          const before = current.signingKeys.find((k) => k.kid === key.kid);
          if (before === undefined) await insertKey(client, kek, key);
          else if (before.activatesAt !== key.activatesAt || before.retiresAt !== key.retiresAt) {
            await client.query("UPDATE auth_signing_keys SET activates_at = $2, retires_at = $3 WHERE kid = $1", [key.kid, key.activatesAt ?? null, key.retiresAt ?? null]);
          }
        }
        await client.query("UPDATE auth_key_set SET current_kid = $1, change_count = change_count + 1, updated_at = now() WHERE id = 1", [next.currentKid]);
        return result;
      });
    },
  };
}

async function insertKey(client: PostgresClient, kek: KeyEncryptionKey, key: StoredSigningKey): Promise<void> {
  await client.query(
    `INSERT INTO auth_signing_keys (kid, alg, sealed_private_jwk, created_at, activates_at, retires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [key.kid, key.alg, seal(kek, key.kid, Buffer.from(JSON.stringify(key.privateJwk))), key.createdAt, key.activatesAt ?? null, key.retiresAt ?? null],
  );
}

function toStoredKey(kek: KeyEncryptionKey, row: KeyRow): StoredSigningKey {
  const kid = row.kid!;
  return {
    kid,
    alg: row.alg as "ES256",
    privateJwk: JSON.parse(unseal(kek, kid, row.sealed_private_jwk!).toString("utf8")) as StoredSigningKey["privateJwk"],
    createdAt: row.created_at!.toISOString(),
    ...(row.activates_at === null ? {} : { activatesAt: row.activates_at.toISOString() }),
    ...(row.retires_at === null ? {} : { retiresAt: row.retires_at.toISOString() }),
  };
}
