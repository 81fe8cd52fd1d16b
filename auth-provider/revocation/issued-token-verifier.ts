/**
 * Checking a token presented to the revocation or introspection endpoint: is
 * it an access token this issuer signed (with a key it publishes now, iss
 * this issuer), not yet expired? The issuer checks with its own live public
 * keys, as a service would, so what it calls valid is what the services accept
 * (bar revocation, which the callers check).
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import type { PublicJwks } from "../keys/key-ring.js";
import type { TokenConfirmation } from "../token/client-credentials-grant.js";

/** The claims of a valid access token of this issuer, as the endpoints use them. */
export interface IssuedToken {
  readonly tokenId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
  readonly issuer: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly notBefore: number | undefined;
  readonly expiresAt: number;
  /** What the token is bound to (its cnf: jkt, x5t#S256), or undefined for a bearer token. */
  readonly confirmation: TokenConfirmation | undefined;
}

/** Options of {@link createIssuedTokenVerifier}. */
export interface IssuedTokenVerifierOptions {
  readonly issuer: string;
  /** The published keys, asked for per call (they change with rotation). */
  readonly jwks: () => PublicJwks;
  /** The clock in milliseconds; default Date.now. */
  readonly now?: () => number;
}

/** Answers with the token's claims, or undefined for anything that is not a valid, unexpired token of this issuer. */
export type IssuedTokenVerifier = (token: string) => Promise<IssuedToken | undefined>;

/** Creates a verifier; the imported key set is reused until the published keys change. */
export function createIssuedTokenVerifier(options: IssuedTokenVerifierOptions): IssuedTokenVerifier {
  const now = options.now ?? Date.now;
  // The live keys hand out the same JWKS object until the key set changes, so identity says when to re-import.
  let cached: { jwks: PublicJwks; keySet: ReturnType<typeof createLocalJWKSet> } | undefined;
  const keySet = () => {
    const jwks = options.jwks();
    if (cached?.jwks !== jwks) cached = { jwks, keySet: createLocalJWKSet(jwks as unknown as JSONWebKeySet) };
    return cached.keySet;
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keySet(), {
        issuer: options.issuer,
        algorithms: ["ES256"],
        currentDate: new Date(now()),
        requiredClaims: ["jti", "exp", "iat", "sub"],
      });
      const clientId = payload["client_id"];
      const scopes = payload["scp"];
      if (typeof clientId !== "string" || typeof payload.jti !== "string" || typeof payload.sub !== "string") return undefined;
      return {
        tokenId: payload.jti,
        clientId,
        subject: payload.sub,
        audiences: typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []),
        scopes: Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [],
        issuer: options.issuer,
        issuedAt: payload.iat!,
        notBefore: payload.nbf,
        expiresAt: payload.exp!,
        confirmation: confirmationOf(payload["cnf"]),
      };
    } catch {
      return undefined; // malformed, foreign, tampered or expired: not a valid token of this issuer
    }
  };
}

// The cnf members this issuer writes, when they are strings; undefined when there are none.
function confirmationOf(cnf: unknown): TokenConfirmation | undefined {
  if (typeof cnf !== "object" || cnf === null) return undefined;
  const { jkt, "x5t#S256": x5t } = cnf as Record<string, unknown>;
  const confirmation = { ...(typeof jkt === "string" ? { jkt } : {}), ...(typeof x5t === "string" ? { "x5t#S256": x5t } : {}) };
  return Object.keys(confirmation).length === 0 ? undefined : confirmation;
}
