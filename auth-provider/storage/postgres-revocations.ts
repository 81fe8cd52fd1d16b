/**
 * Revocations on PostgreSQL (auth_revoked_tokens, auth_client_token_revocations),
 * shared by every replica: each write is one upsert in which the later instant
 * or expiry wins, so replicas revoking at once never lose each other's entries.
 * Now and then a write also deletes a bounded batch of entries that can no
 * longer matter (prune-gate.ts), so the tables hold about a day of revocations.
 */
import type { PostgresPool } from "../../common/database/postgres-pool.js";
import type { RevocationRepository, RevokedClient, RevokedToken } from "./auth-store.js";
import { createPruneGate } from "./prune-gate.js";
import { checkInstant, checkRevokedToken, pruneBatch, revokedClientRetentionSeconds, snapshotOf } from "./revocation-snapshot.js";

/** Creates the repository over a migrated database; now (ms) decides what the clean-up deletes. */
export function createPostgresRevocations(pool: PostgresPool, now: () => number = Date.now): RevocationRepository {
  const pruneDue = createPruneGate(now);
  const prune = async () => {
    if (!pruneDue()) return;
    const nowSeconds = Math.floor(now() / 1000);
    await pool.query(
      `DELETE FROM auth_revoked_tokens WHERE jti IN
         (SELECT jti FROM auth_revoked_tokens WHERE expires_at <= $1 LIMIT ${pruneBatch} FOR UPDATE SKIP LOCKED)`,
      [nowSeconds],
    );
    await pool.query(
      `DELETE FROM auth_client_token_revocations WHERE client_id IN
         (SELECT client_id FROM auth_client_token_revocations WHERE tokens_issued_before <= $1 LIMIT ${pruneBatch} FOR UPDATE SKIP LOCKED)`,
      [nowSeconds - revokedClientRetentionSeconds],
    );
  };

  return {
    async revokeToken(token) {
      checkRevokedToken(token);
      await pool.query(
        `INSERT INTO auth_revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(auth_revoked_tokens.expires_at, excluded.expires_at)`,
        [token.tokenId, token.clientId, token.expiresAt],
      );
      await prune();
    },
    async revokeClientTokens(clientId, issuedBefore) {
      checkInstant(issuedBefore, "issuedBefore");
      await pool.query(
        `INSERT INTO auth_client_token_revocations (client_id, tokens_issued_before) VALUES ($1, $2)
           ON CONFLICT (client_id) DO UPDATE
             SET tokens_issued_before = greatest(auth_client_token_revocations.tokens_issued_before, excluded.tokens_issued_before)`,
        [clientId, issuedBefore],
      );
      await prune();
    },
    async isRevoked(token) {
      const { rows } = await pool.query<{ revoked: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM auth_revoked_tokens WHERE jti = $1)
             OR EXISTS (SELECT 1 FROM auth_client_token_revocations WHERE client_id = $2 AND tokens_issued_before > $3) AS revoked`,
        [token.tokenId, token.clientId, Math.floor(token.issuedAt)], // iat may carry a fraction; the instants are whole
      );
      return rows[0]!.revoked;
    },
    async snapshot(nowSeconds) {
      // One statement, so both lists come from the same moment.
      const { rows } = await pool.query<{ kind: "token" | "client"; id: string; client_id: string; at: string }>(
        `SELECT * FROM (
           SELECT 'token' AS kind, jti AS id, client_id, expires_at::text AS at FROM auth_revoked_tokens WHERE expires_at > $1
           UNION ALL
           SELECT 'client', client_id, client_id, tokens_issued_before::text FROM auth_client_token_revocations WHERE tokens_issued_before > $2
         ) AS entries ORDER BY kind, id COLLATE "C"`,
        [nowSeconds, nowSeconds - revokedClientRetentionSeconds],
      );
      const tokens: RevokedToken[] = [];
      const clients: RevokedClient[] = [];
      for (const row of rows) {
        if (row.kind === "token") tokens.push({ tokenId: row.id, clientId: row.client_id, expiresAt: Number(row.at) });
        else clients.push({ clientId: row.id, tokensIssuedBefore: Number(row.at) });
      }
      return snapshotOf(tokens, clients);
    },
  };
}
