/**
 * The revocation list the auth provider publishes at GET /auth/oauth/revocations
 * (like its JWKS: public, cacheable with ETag, no secrets: token ids and client
 * ids only) and every service follows. The wire format:
 *
 *   {
 *     "issuer": "http://localhost:3001/auth",
 *     "generated_at": 1764400000,                      // seconds since the epoch
 *     "tokens":  [{ "jti": "…", "exp": 1764403600 }],  // revoked tokens, until their exp
 *     "clients": [{ "client_id": "reporting", "tokens_issued_before": 1764400000 }]
 *   }
 *
 * A token is revoked when its jti is listed, or when its client is listed and
 * its iat lies before that client's instant (a token without iat then counts
 * as revoked). The list only grows by revocations made in the last day at most:
 * entries drop out once the tokens they name have expired anyway.
 */

/** The path below the issuer's base path (/auth). */
export const revocationListPath = "/oauth/revocations";

export interface RevocationListDocument {
  readonly issuer: string;
  readonly generated_at: number;
  readonly tokens: readonly { readonly jti: string; readonly exp: number }[];
  readonly clients: readonly { readonly client_id: string; readonly tokens_issued_before: number }[];
}

/** The list in a form that answers quickly. */
export interface RevocationList {
  readonly generatedAt: number;
  /** jti → exp. */
  readonly tokens: ReadonlyMap<string, number>;
  /** client id → tokens issued before this (seconds) are revoked. */
  readonly clients: ReadonlyMap<string, number>;
}

/** Whether the token is revoked by the list. */
export function isRevokedBy(list: RevocationList, token: { tokenId: string; clientId: string; issuedAt: number | undefined }): boolean {
  if (token.tokenId !== "" && list.tokens.has(token.tokenId)) return true;
  const before = list.clients.get(token.clientId);
  return before !== undefined && (token.issuedAt === undefined || token.issuedAt < before);
}

/** Parses a fetched document. @throws TypeError saying what is malformed. */
export function parseRevocationList(value: unknown): RevocationList {
  if (typeof value !== "object" || value === null) throw new TypeError("the revocation list is not a JSON object");
  const doc = value as Partial<Record<keyof RevocationListDocument, unknown>>;
  if (typeof doc.generated_at !== "number" || !Array.isArray(doc.tokens) || !Array.isArray(doc.clients)) {
    throw new TypeError('the revocation list needs "generated_at", "tokens" and "clients"');
  }
  const tokens = new Map<string, number>();
  for (const entry of doc.tokens as unknown[]) {
    const { jti, exp } = (entry ?? {}) as { jti?: unknown; exp?: unknown };
    if (typeof jti !== "string" || typeof exp !== "number") throw new TypeError('each "tokens" entry needs a string "jti" and a number "exp"');
    tokens.set(jti, exp);
  }
  const clients = new Map<string, number>();
  for (const entry of doc.clients as unknown[]) {
    const { client_id: clientId, tokens_issued_before: before } = (entry ?? {}) as { client_id?: unknown; tokens_issued_before?: unknown };
    if (typeof clientId !== "string" || typeof before !== "number") {
      throw new TypeError('each "clients" entry needs a string "client_id" and a number "tokens_issued_before"');
    }
    clients.set(clientId, Math.max(before, clients.get(clientId) ?? 0));
  }
  return { generatedAt: doc.generated_at, tokens, clients };
}
