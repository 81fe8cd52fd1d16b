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
  /**
   * What the token is bound to (its `cnf` claim), when it is sender-constrained; the call then proved it holds
   * that key (DPoP) or came over a TLS connection with that client certificate. Absent for a plain bearer token.
   */
  readonly confirmation?: Confirmation;
}

/** The sender constraints of a bound token (RFC 7800 `cnf`); at least one member is set. */
export interface Confirmation {
  /** RFC 9449: the RFC 7638 SHA-256 thumbprint (base64url) of the key that signs the DPoP proofs. */
  readonly jkt?: string;
  /** RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of the client certificate (DER). */
  readonly x5tS256?: string;
}
