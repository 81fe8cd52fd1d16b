/**
 * Client assertion ids (RFC 7523 jti) already used, in auth.db (table
 * used_client_assertions), so that a restart forgets none before it expires.
 * Each call also deletes a bounded batch of expired ids.
 */
import type { AuthDatabase } from "./auth-database.js";
import type { ClientAssertionReplayGuard } from "./auth-store.js";
import { pruneBatch } from "./revocation-snapshot.js";

/** The synchronous guard (see ClientAssertionReplayGuard). */
export interface SqliteAssertionReplayGuard {
  useOnce(clientId: string, jti: string, expiresAt: number): boolean;
}

/** Creates the guard over a migrated db; now (ms) decides which ids have expired. */
export function createSqliteAssertionReplayGuard(db: AuthDatabase, now: () => number = Date.now): SqliteAssertionReplayGuard {
  // A row whose assertion has expired may be taken again: the id was remembered only as long as it could be replayed.
  const use = db.prepare(
    `INSERT INTO used_client_assertions (client_id, jti, expires_at) VALUES (@clientId, @jti, @expiresAt)
       ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= @now`,
  );
  const prune = db.prepare(
    `DELETE FROM used_client_assertions
      WHERE rowid IN (SELECT rowid FROM used_client_assertions WHERE expires_at <= ? LIMIT ${pruneBatch})`,
  );
  return {
    useOnce(clientId, jti, expiresAt) {
      if (typeof jti !== "string" || jti === "") throw new TypeError("jti must be a non-empty string");
      if (!Number.isSafeInteger(expiresAt)) throw new TypeError("expiresAt must be a whole number of seconds");
      const nowSeconds = Math.floor(now() / 1000);
      return db.transaction(() => {
        prune.run(nowSeconds);
        return use.run({ clientId, jti, expiresAt, now: nowSeconds }).changes === 1;
      })();
    },
  };
}

/** The asynchronous face. */
export function asyncReplayGuard(guard: SqliteAssertionReplayGuard): ClientAssertionReplayGuard {
  return { useOnce: async (clientId, jti, expiresAt) => guard.useOnce(clientId, jti, expiresAt) };
}
