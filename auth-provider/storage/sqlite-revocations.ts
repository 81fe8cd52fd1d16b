/**
 * Revocations in auth.db (tables revoked_tokens and client_token_revocations),
 * so that they survive a restart. Synchronous, like every SQLite store here:
 * the client store records "every token issued before now" inside its own
 * transaction when it disables or removes a client. Each write also deletes
 * a bounded batch of entries that can no longer matter.
 */
import type { AuthDatabase } from "./auth-database.js";
import type { RevocationSnapshot, RevokedClient, RevokedToken } from "./auth-store.js";
import { checkInstant, checkRevokedToken, pruneBatch, revokedClientRetentionSeconds, snapshotOf } from "./revocation-snapshot.js";

/** The synchronous revocation store (see RevocationRepository for the rules). */
export interface SqliteRevocations {
  revokeToken(token: RevokedToken): void;
  revokeClientTokens(clientId: string, issuedBefore: number): void;
  isRevoked(token: { tokenId: string; clientId: string; issuedAt: number }): boolean;
  snapshot(nowSeconds: number): RevocationSnapshot;
}

/** Creates the store over a migrated db; now (ms) decides what the clean-up deletes. */
export function createSqliteRevocations(db: AuthDatabase, now: () => number = Date.now): SqliteRevocations {
  const insertToken = db.prepare(
    `INSERT INTO revoked_tokens (jti, client_id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
  );
  const insertClient = db.prepare(
    `INSERT INTO client_token_revocations (client_id, tokens_issued_before) VALUES (?, ?)
       ON CONFLICT (client_id) DO UPDATE SET tokens_issued_before = max(tokens_issued_before, excluded.tokens_issued_before)`,
  );
  const selectRevoked = db.prepare<[string, string, number], { revoked: number }>(
    `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)
         OR EXISTS (SELECT 1 FROM client_token_revocations WHERE client_id = ? AND tokens_issued_before > ?) AS revoked`,
  );
  const selectTokens = db.prepare<[number], { jti: string; client_id: string; expires_at: number }>(
    "SELECT jti, client_id, expires_at FROM revoked_tokens WHERE expires_at > ? ORDER BY jti",
  );
  const selectClients = db.prepare<[number], { client_id: string; tokens_issued_before: number }>(
    "SELECT client_id, tokens_issued_before FROM client_token_revocations WHERE tokens_issued_before > ? ORDER BY client_id",
  );
  const pruneTokens = db.prepare(
    `DELETE FROM revoked_tokens WHERE rowid IN (SELECT rowid FROM revoked_tokens WHERE expires_at <= ? LIMIT ${pruneBatch})`,
  );
  const pruneClients = db.prepare(
    `DELETE FROM client_token_revocations
      WHERE rowid IN (SELECT rowid FROM client_token_revocations WHERE tokens_issued_before <= ? LIMIT ${pruneBatch})`,
  );
  const prune = () => {
    const nowSeconds = Math.floor(now() / 1000);
    pruneTokens.run(nowSeconds);
    pruneClients.run(nowSeconds - revokedClientRetentionSeconds);
  };

  return {
    revokeToken(token) {
      checkRevokedToken(token);
      db.transaction(() => {
        prune();
        insertToken.run(token.tokenId, token.clientId, token.expiresAt);
      })();
    },
    revokeClientTokens(clientId, issuedBefore) {
      checkInstant(issuedBefore, "issuedBefore");
      // Usually called inside the client store's transaction; a nested one is a savepoint.
      db.transaction(() => {
        prune();
        insertClient.run(clientId, issuedBefore);
      })();
    },
    isRevoked(token) {
      return selectRevoked.get(token.tokenId, token.clientId, Math.floor(token.issuedAt))!.revoked === 1;
    },
    snapshot(nowSeconds) {
      const read = db.transaction(() => {
        const tokens: RevokedToken[] = selectTokens.all(nowSeconds).map((r) => ({ tokenId: r.jti, clientId: r.client_id, expiresAt: r.expires_at }));
        const clients: RevokedClient[] = selectClients
          .all(nowSeconds - revokedClientRetentionSeconds)
          .map((r) => ({ clientId: r.client_id, tokensIssuedBefore: r.tokens_issued_before }));
        return snapshotOf(tokens, clients);
      });
      return read();
    },
  };
}
