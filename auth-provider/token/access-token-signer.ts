/**
 * Minting access tokens: ES256-signed JWTs with the claims DESIGN.md lists
 * (iss, sub, client_id, aud as an array, scp as an array, iat, nbf = iat, exp,
 * jti; cnf for a sender-constrained token: `jkt` for DPoP, RFC 9449 §6.1,
 * `x5t#S256` for a client certificate, RFC 8705 §3.1), the header carrying
 * kid and typ "JWT", signed by es256-jws.ts. A token never outlives its
 * key's publication: when the key has a signUntil (it is being rotated out),
 * exp is capped there and expires_in says so.
 */
import { randomUUID } from "node:crypto";
import type { GrantedToken, TokenConfirmation } from "./client-credentials-grant.js";
import { createEs256JwsSigner } from "./es256-jws.js";
import type { SigningKey } from "../keys/key-ring.js";

/** Options of {@link createAccessTokenSigner}. */
export interface AccessTokenSignerOptions {
  /** The iss claim. */
  readonly issuer: string;
  /** The key that signs, or a function asked for it per token (keys rotate while the process runs). */
  readonly key: SigningKey | (() => SigningKey);
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

/** Creates a signer for one issuer. */
export function createAccessTokenSigner(options: AccessTokenSignerOptions): AccessTokenSigner {
  const now = options.now ?? Date.now;
  const { issuer } = options;
  const keyFor = typeof options.key === "function" ? options.key : () => options.key as SigningKey;
  const jws = createEs256JwsSigner();
  return {
    async sign(grant) {
      const key = keyFor();
      const iat = Math.floor(now() / 1000);
      const exp = Math.min(iat + grant.ttlSeconds, key.signUntil ?? Number.POSITIVE_INFINITY);
      if (exp <= iat) throw new Error(`the signing key ${key.kid} is past its use; rotate the issuer keys`);
      const tokenId = randomUUID();
      const cnf = confirmationClaim(grant.confirmation);
      // The claims in the order jose's SignJWT wrote them.
      const accessToken = await jws(key, {
        client_id: grant.clientId,
        scp: grant.scopes,
        ...(cnf === undefined ? {} : { cnf }),
        iss: issuer,
        sub: grant.clientId,
        aud: [grant.audience],
        iat,
        nbf: iat,
        exp,
        jti: tokenId,
      });
      return { accessToken, expiresIn: exp - iat, tokenId };
    },
  };
}

// The cnf claim with only the members that are set; undefined for a bearer token.
function confirmationClaim(confirmation: TokenConfirmation | undefined): Record<string, string> | undefined {
  const members = Object.entries(confirmation ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return members.length === 0 ? undefined : Object.fromEntries(members);
}
