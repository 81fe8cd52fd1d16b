/**
 * What both revocation stores share: how long a revoked client's entry is
 * kept, and the snapshot's marker. The marker is a hash of the content, so it
 * changes exactly when the content does (a revocation added, an entry
 * expired) and every replica gives the same marker (ETag) for the same list.
 */
import { createHash } from "node:crypto";
import type { RevocationSnapshot, RevokedClient, RevokedToken } from "./auth-store.js";

/**
 * How long "every token issued before T" is kept after T: the longest token lifetime (86400 s) plus a margin for
 * the clock skew services tolerate. After that, every token it could refuse has expired anyway.
 */
export const revokedClientRetentionSeconds = 86_400 + 300;

/** How many expired rows one clean-up deletes at most (clean-ups run on writes, so tables stay small). */
export const pruneBatch = 500;

/** The snapshot of sorted entries, with its marker. */
export function snapshotOf(tokens: readonly RevokedToken[], clients: readonly RevokedClient[]): RevocationSnapshot {
  const content = JSON.stringify([tokens.map((t) => [t.tokenId, t.clientId, t.expiresAt]), clients.map((c) => [c.clientId, c.tokensIssuedBefore])]);
  return { tokens, clients, marker: createHash("sha256").update(content).digest("base64url").slice(0, 22) };
}

/** Checks a token revocation's fields. @throws TypeError naming the field. */
export function checkRevokedToken(token: RevokedToken): void {
  if (typeof token.tokenId !== "string" || token.tokenId === "") throw new TypeError("tokenId must be a non-empty string");
  if (typeof token.clientId !== "string") throw new TypeError("clientId must be a string");
  if (!Number.isSafeInteger(token.expiresAt)) throw new TypeError("expiresAt must be a whole number of seconds");
}

/** Checks a client revocation's instant. @throws TypeError. */
export function checkInstant(seconds: number, field: string): void {
  if (!Number.isSafeInteger(seconds)) throw new TypeError(`${field} must be a whole number of seconds since the epoch`);
}
