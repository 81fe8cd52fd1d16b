/**
 * Minting access tokens: ES256-signed JWTs with the claims DESIGN.md lists
 * (iss, sub, client_id, aud as an array, scp as an array, iat, nbf = iat, exp,
 * jti), the header carrying kid and typ "JWT".
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { GrantedToken } from "./client-credentials-grant.js";
import type { CurrentSigningKey } from "./issuer-keys.js";

/** Options of {@link createAccessTokenSigner}. */
export interface AccessTokenSignerOptions {
  /** The iss claim. */
  readonly issuer: string;
  /** The key that signs; imported once at start-up. */
  readonly key: CurrentSigningKey;
  /** Current time in milliseconds; default Date.now (tests freeze it). */
  readonly now?: () => number;
}

/** A signed token and what the token response says about it. */
export interface SignedAccessToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly tokenId: string;
}

/** Signs access tokens for granted requests. */
export interface AccessTokenSigner {
  /** Signs a token for the grant; rejects only if the key cannot sign, which is a server fault. */
  sign(grant: GrantedToken): Promise<SignedAccessToken>;
}

/** Creates a signer that uses one key and issuer for every token. */
export function createAccessTokenSigner(options: AccessTokenSignerOptions): AccessTokenSigner {
  const now = options.now ?? Date.now;
  const { issuer, key } = options;
  return {
    async sign(grant) {
      const iat = Math.floor(now() / 1000);
      const tokenId = randomUUID();
      const accessToken = await new SignJWT({
        client_id: grant.clientId,
        scp: [...grant.scopes],
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(grant.clientId)
        .setAudience([grant.audience])
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + grant.ttlSeconds)
        .setJti(tokenId)
        .sign(key.privateKey);
      return { accessToken, expiresIn: grant.ttlSeconds, tokenId };
    },
  };
}
