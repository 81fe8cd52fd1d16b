/**
 * Client assertion ids (RFC 7523 jti) already used, on PostgreSQL
 * (auth_used_client_assertions), so an assertion is accepted once across every
 * replica: one upsert that returns a row only when it inserted the id (or
 * took over a row whose assertion had expired). Two replicas presenting the
 * same assertion at once: the second waits for the first's row and gets none.
 */
import type { PostgresPool } from "../../common/database/postgres-pool.js";
import type { ClientAssertionReplayGuard } from "./auth-store.js";
import { createPruneGate } from "./prune-gate.js";
import { pruneBatch } from "./revocation-snapshot.js";

/** Creates the guard over a migrated database; now (ms) decides which ids have expired. */
export function createPostgresAssertionReplayGuard(pool: PostgresPool, now: () => number = Date.now): ClientAssertionReplayGuard {
  const pruneDue = createPruneGate(now);
  return {
    async useOnce(clientId, jti, expiresAt) {
      if (typeof jti !== "string" || jti === "") throw new TypeError("jti must be a non-empty string");
      if (!Number.isSafeInteger(expiresAt)) throw new TypeError("expiresAt must be a whole number of seconds");
      const nowSeconds = Math.floor(now() / 1000);
      const { rowCount } = await pool.query(
        `INSERT INTO auth_used_client_assertions AS u (client_id, jti, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE u.expires_at <= $4
         RETURNING 1`,
        [clientId, jti, expiresAt, nowSeconds],
      );
      if (pruneDue()) {
        await pool.query(
          `DELETE FROM auth_used_client_assertions WHERE (client_id, jti) IN
             (SELECT client_id, jti FROM auth_used_client_assertions WHERE expires_at <= $1 LIMIT ${pruneBatch} FOR UPDATE SKIP LOCKED)`,
          [nowSeconds],
        );
      }
      return rowCount === 1;
    },
  };
}
