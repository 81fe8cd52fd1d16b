/**
 * A registered OAuth client as every part of the auth provider sees it: what
 * it may request (grants: scopes per audience), how it authenticates (a
 * secret, a public key for private_key_jwt, a certificate subject for
 * tls_client_auth, or several), whether its tokens must be DPoP-bound, and its
 * limits. Never holds a secret or a private key.
 */
import type { JWK } from "jose";

/** The scopes a client may request in tokens for one audience. */
export interface Grant {
  readonly audience: string;
  /** Sorted, without duplicates, never empty. */
  readonly scopes: readonly string[];
}

/** A client as the store returns it (never with its secret). */
export interface ClientRecord {
  readonly clientId: string;
  /** Sorted by audience; one entry per audience. */
  readonly grants: readonly Grant[];
  readonly grantTypes: readonly string[];
  /** Lifetime of this client's tokens; undefined means the server default. */
  readonly tokenTtlSeconds: number | undefined;
  /** Successful token requests allowed per minute (counted across replicas); undefined means no budget. */
  readonly maxTokensPerMinute: number | undefined;
  /** Whether a secret is registered (client_secret_basic / client_secret_post). */
  readonly hasSecret: boolean;
  /** While a rotation overlap runs, when the previous secret stops working (ISO 8601); else undefined. */
  readonly previousSecretValidUntil: string | undefined;
  /** The public key for private_key_jwt (RFC 7523), with its `kid`; undefined when none is registered. */
  readonly publicJwk: JWK | undefined;
  /**
   * tls_client_auth (RFC 8705 §2.1): the subject DN its client certificate must carry, in the canonical form of
   * tls-subject-dn.ts; undefined when the client does not authenticate with a certificate.
   */
  readonly tlsClientAuthSubjectDn: string | undefined;
  /** Whether its token requests must carry a DPoP proof (RFC 9449): every token it gets is then DPoP-bound. */
  readonly requireDpop: boolean;
  readonly disabled: boolean;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What register() needs. At least one of secret, publicJwk and tlsClientAuthSubjectDn. */
export interface NewClient {
  /** 1 to 128 visible ASCII characters. */
  readonly clientId: string;
  /** At least 128 bits of estimated entropy (secret-strength.ts); generateClientSecret makes such secrets. */
  readonly secret?: string | undefined;
  /** A public EC, RSA or OKP JWK (no private members). */
  readonly publicJwk?: JWK | undefined;
  /** An RFC 4514 subject DN (stored in canonical form, tls-subject-dn.ts). */
  readonly tlsClientAuthSubjectDn?: string | undefined;
  /** Default false. */
  readonly requireDpop?: boolean | undefined;
  /** At least one; audiences and scopes are RFC 6749 §3.3 tokens. */
  readonly grants: readonly Grant[];
  readonly grantTypes: readonly string[];
  /** 60 to 86400; omitted means the server default. */
  readonly tokenTtlSeconds?: number | undefined;
  /** 1 to 1 000 000; omitted means no budget. */
  readonly maxTokensPerMinute?: number | undefined;
}

/** Changes of `client update`: an absent field stays as it is; null clears it. */
export interface ClientChanges {
  readonly grants?: readonly Grant[];
  readonly tokenTtlSeconds?: number | null;
  readonly maxTokensPerMinute?: number | null;
  readonly publicJwk?: JWK | null;
  readonly tlsClientAuthSubjectDn?: string | null;
  readonly requireDpop?: boolean;
}
