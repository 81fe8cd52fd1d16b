/**
 * The verified caller, as handlers see it: a small typed object built from a
 * verified access token, never the raw claims.
 */
export interface Principal {
  /** The OAuth2 client the token was issued to (client_id, else sub). */
  readonly clientId: string;
  /** The token's subject (for client credentials, the client id too). */
  readonly subject: string;
  /** Scopes the token grants. */
  readonly scopes: readonly string[];
  /** The token's jti, for audit logs; empty when the token has none. */
  readonly tokenId: string;
  /** When the token expires. */
  readonly expiresAt: Date;
  /** When the token was issued (its iat); undefined when it has none. A client-wide revocation revokes such a token. */
  readonly issuedAt?: Date | undefined;
}
