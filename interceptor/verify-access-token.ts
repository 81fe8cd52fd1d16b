/**
 * Authentication: turns an `authorization` value into a verified Principal, or
 * fails with a typed AccessTokenError. It knows nothing about the RPC framework.
 *
 * Checks, in this order (each failure names what was wrong):
 *  1. "Bearer <token>" or "DPoP <token>" syntax and size;
 *  2. a signed compact JWS (never encrypted, never unsigned) of three canonical
 *     base64url parts, checked before the cache is consulted, so that no other
 *     spelling of a token is ever verified or cached;
 *  3. the header: an allow-listed asymmetric `alg`; `typ` JWT or at+jwt when present;
 *     no `crit` (we understand no JWS extension);
 *     `jku`, `x5u` and an embedded `jwk` are ignored: the key comes only from the JWKS;
 *  4. the signature, with the key of the token's `kid` from the JWKS (a token
 *     without `kid`: each key of its algorithm, a bounded few; see
 *     verify-with-candidate-keys.ts);
 *  5. `iss` exactly; `aud` a non-empty list that contains this service;
 *     `exp` and `nbf` with a small clock tolerance;
 *  6. the claims we rely on: `sub` or `client_id`; scopes as an `scp` array or a
 *     space-delimited `scope` string; `stt` (SuperTokens' token type) is 1 when present;
 *  7. not revoked at the auth provider, as far as the followed revocation list
 *     says (checked again on every cache hit), and that list not too old to
 *     trust (see revocation-list-follower.ts);
 *  8. a sender-constrained token (`cnf`, see confirmation-claim.ts): the
 *     scheme suits it (a DPoP-bound token only as DPoP, DPoP only with one);
 *     then, on every call, cache hits included, its proof of possession (a
 *     DPoP proof, the TLS client certificate; see sender-constraint.ts).
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult } from "jose";
import { AccessTokenError, type AuthorizationScheme } from "./access-token-error.js";
import { checkCompactJwsSyntax } from "./compact-jws-syntax.js";
import { checkSchemeFits, confirmationOf } from "./confirmation-claim.js";
import { createDpopProofVerifier, type DpopProofVerifier } from "./dpop-proof.js";
import type { JwksKeySource } from "./jwks-key-source.js";
import { parseAuthorization } from "./parse-authorization.js";
import type { Principal } from "./principal.js";
import type { RevocationCheck } from "./revocation-list-follower.js";
import { createSenderConstraintCheck, type SenderEvidence } from "./sender-constraint.js";
import { createVerifiedTokenCache } from "./verified-token-cache.js";
import { jwtVerifyWithCandidateKeys } from "./verify-with-candidate-keys.js";

/** Asymmetric JWS algorithms; `none` and HS* are never accepted. */
export const defaultAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

export interface AccessTokenVerifierOptions {
  /** The exact `iss` expected. */
  issuer: string;
  /** This service's audience: tokens must name it in `aud`. */
  audience: string;
  /** Where the keys come from. */
  keys: JwksKeySource;
  /** Accepted algorithms; default defaultAlgorithms. Symmetric ones are refused at construction. */
  algorithms?: readonly string[];
  /** Clock tolerance for exp/nbf/iat, in seconds; default 30. */
  clockToleranceSeconds?: number;
  /** The clock, for tests; default the system clock. */
  currentDate?: () => Date;
  /** How many verified tokens to remember (see verified-token-cache.ts); default 10 000, 0 turns it off. */
  cacheMaxEntries?: number;
  /** The followed revocation list; default none (no token counts as revoked). */
  revocations?: RevocationCheck;
  /**
   * Checks the DPoP proofs of DPoP-bound tokens; default createDpopProofVerifier() with its defaults (60 s window,
   * replay cache in this process), or with `currentDate` as its clock when that is given.
   */
  dpopProofs?: DpopProofVerifier;
}

/**
 * Verifies an authorization value; `evidence` is what the call presented besides it (needed for a sender-constrained
 * token: without it such a token is refused).
 */
export type AccessTokenVerifier = ((authorization: string | null | undefined, evidence?: SenderEvidence) => Promise<Principal>) & {
  /**
   * The principal of this exact authorization value if it was verified before
   * and is still acceptable (unexpired, key still published, not revoked, and
   * not sender-constrained: those need their proof checked on every call);
   * undefined otherwise, and then only the full verification can say why.
   * Synchronous and without parsing: the path almost every bearer call takes.
   */
  readonly fromCache: (authorization: string | null | undefined) => Principal | undefined;
  /** How many verified tokens are remembered now (for tests and benchmarks). */
  readonly cachedTokens: () => number;
};

/** Builds the verifier; a bad option is a TypeError here, a bad token an AccessTokenError at call time. */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const algorithms = [...(options.algorithms ?? defaultAlgorithms)];
  for (const alg of algorithms) {
    if (!(defaultAlgorithms as readonly string[]).includes(alg)) {
      throw new TypeError(`algorithm ${alg} is not an accepted asymmetric JWS algorithm`);
    }
  }
  if (options.issuer === "") throw new TypeError("issuer must not be empty");
  if (options.audience === "") throw new TypeError("audience must not be empty");
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const { issuer, audience, keys } = options;
  const cache = createVerifiedTokenCache({
    clockToleranceSeconds: clockTolerance,
    isPublished: (kid) => keys.isPublished(kid),
    ...(options.cacheMaxEntries === undefined ? {} : { maxEntries: options.cacheMaxEntries }),
  });

  const nowMs = options.currentDate ? () => options.currentDate!().getTime() : Date.now;
  const { revocations } = options;
  // Keyed by the whole authorization value: the same value always parses to the same token.
  const cached = (authorization: string | null | undefined) =>
    typeof authorization === "string" ? cache.get(authorization, nowMs()) : undefined;
  const fromCache = (authorization: string | null | undefined) => {
    const principal = cached(authorization);
    if (principal === undefined || principal.confirmation !== undefined) return undefined;
    return revocations === undefined || revocations.verdict(principal) === "accepted" ? principal : undefined;
  };
  const checkSender = createSenderConstraintCheck(
    options.dpopProofs ?? createDpopProofVerifier(options.currentDate ? { now: () => options.currentDate!().getTime() } : {}),
  );

  /** Fails when the followed revocation list revokes the token, or is too old to tell. */
  function checkRevocation(principal: Principal): void {
    if (revocations === undefined) return;
    switch (revocations.verdict(principal)) {
      case "revoked":
        throw new AccessTokenError("token_revoked", "the access token was revoked at the auth provider; request a new token");
      case "unavailable":
        throw new AccessTokenError("revocations_unavailable", `cannot confirm that the access token is not revoked: ${revocations.unavailableReason()}`);
      case "accepted":
    }
  }

  async function verifyAccessToken(authorization: string | null | undefined, evidence?: SenderEvidence): Promise<Principal> {
    const { scheme, token } = parseAuthorization(authorization);
    try {
      return await verifyToken(authorization!, scheme, token, evidence);
    } catch (err) {
      // A refusal under the DPoP scheme is answered with a DPoP challenge.
      if (err instanceof AccessTokenError && scheme === "DPoP" && err.scheme === undefined) throw withScheme(err, scheme);
      throw err;
    }
  }

  async function verifyToken(authorization: string, scheme: AuthorizationScheme, token: string, evidence: SenderEvidence | undefined): Promise<Principal> {
    checkCompactJwsSyntax(token);
    // (fromCache alone, the interceptor's fast path, does not parse: only values that passed the checks above are cached.)
    const known = cached(authorization);
    if (known !== undefined) {
      checkRevocation(known);
      await checkSender(known, token, evidence);
      return known;
    }
    const header = decodeHeader(token);
    if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) {
      throw new AccessTokenError("unsupported_algorithm", `token algorithm ${JSON.stringify(header.alg ?? null)} is not accepted (accepted: ${algorithms.join(", ")})`);
    }
    if (header.typ !== undefined && !/^(JWT|(application\/)?at\+jwt)$/i.test(String(header.typ))) {
      throw new AccessTokenError("wrong_token_type", `token type ${JSON.stringify(header.typ)} is not an access token`);
    }
    if (header.crit !== undefined) {
      throw new AccessTokenError("malformed_token", "the token's header lists critical extensions (crit) that this service does not understand");
    }
    const currentDate = options.currentDate?.();
    const verifyOptions: JWTVerifyOptions = {
      algorithms,
      issuer,
      clockTolerance,
      requiredClaims: ["exp"],
      ...(currentDate ? { currentDate } : {}),
    };
    let verified: JWTVerifyResult;
    try {
      verified = await jwtVerify(token, (h, t) => keys.getKey(h, t), verifyOptions).catch((err: unknown) => {
        // No kid and several keys of the algorithm: try each (a bounded few).
        if (err instanceof errors.JWKSMultipleMatchingKeys) return jwtVerifyWithCandidateKeys(token, err, header.alg!, verifyOptions);
        throw err;
      });
    } catch (err) {
      throw toAccessTokenError(err, issuer);
    }
    const principal = principalFrom(verified.payload, audience);
    checkRevocation(principal);
    checkSchemeFits(principal.confirmation, scheme);
    // Only tokens that name their key are cached: the entry lives while that key is published. (A token without
    // kid is verified in full on every call.) The proof of possession is not part of the entry: it is per call.
    if (typeof verified.protectedHeader.kid === "string") cache.set(authorization, principal, verified.protectedHeader.kid, nowMs());
    await checkSender(principal, token, evidence);
    return principal;
  }
  return Object.assign(verifyAccessToken, { fromCache, cachedTokens: () => cache.size });
}

/** The same refusal, answered under `scheme`. */
function withScheme(err: AccessTokenError, scheme: AuthorizationScheme): AccessTokenError {
  const copy = new AccessTokenError(err.reason, err.message, { requiredScopes: err.requiredScopes, grantedScopes: err.grantedScopes, scheme, cause: err.cause });
  copy.stack = err.stack;
  return copy;
}

/** The protected header of a token that passed checkCompactJwsSyntax. */
function decodeHeader(token: string) {
  try {
    return decodeProtectedHeader(token);
  } catch (err) {
    throw new AccessTokenError("malformed_token", "the access token's header is not valid base64url JSON", { cause: err });
  }
}

/** Maps a jose failure to one reason; AccessTokenErrors from the key source pass through. */
function toAccessTokenError(err: unknown, issuer: string): AccessTokenError {
  if (err instanceof AccessTokenError) return err;
  if (err instanceof errors.JWTExpired) return new AccessTokenError("token_expired", "the access token has expired", { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") {
      return new AccessTokenError("wrong_issuer", `the access token was not issued by ${issuer}`, { cause: err });
    }
    if ((err.claim === "nbf" || err.claim === "iat") && err.reason === "check_failed") {
      return new AccessTokenError("token_not_yet_valid", "the access token is not valid yet (nbf or iat lies in the future)", { cause: err });
    }
    return new AccessTokenError("invalid_claims", `the access token's "${err.claim}" claim is ${err.reason === "missing" ? "missing" : "invalid"}`, { cause: err });
  }
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return new AccessTokenError("unknown_key", "the access token names no key id (kid) and several keys of the auth provider could match", { cause: err });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new AccessTokenError("invalid_signature", "the access token's signature does not verify", { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new AccessTokenError("unsupported_algorithm", "the access token's algorithm or key type is not accepted", { cause: err });
  }
  if (err instanceof errors.JWTInvalid) {
    return new AccessTokenError("invalid_claims", `the access token's claims are invalid: ${err.message}`, { cause: err });
  }
  return new AccessTokenError("malformed_token", "the access token is malformed", { cause: err });
}

function principalFrom(payload: JWTPayload, audience: string): Principal {
  const aud = payload.aud;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (audiences.length === 0) {
    throw new AccessTokenError("wrong_audience", `the access token names no audience; it must be minted for ${audience}`);
  }
  if (!audiences.includes(audience)) {
    throw new AccessTokenError("wrong_audience", `the access token is for ${audiences.map((a) => JSON.stringify(String(a))).join(", ")}, not for ${audience}`);
  }
  if (payload["stt"] !== undefined && payload["stt"] !== 1) {
    throw new AccessTokenError("wrong_token_type", "the token is not an OAuth access token (stt is not 1)");
  }
  const clientId = stringClaim(payload, "client_id") ?? stringClaim(payload, "sub");
  if (clientId === undefined) throw new AccessTokenError("invalid_claims", 'the access token has neither a "client_id" nor a "sub" claim');
  const confirmation = confirmationOf(payload);
  return {
    clientId,
    subject: stringClaim(payload, "sub") ?? clientId,
    scopes: scopesOf(payload),
    tokenId: stringClaim(payload, "jti") ?? "",
    expiresAt: new Date(payload.exp! * 1000),
    // jose checked that iat, when present, is a number.
    issuedAt: typeof payload.iat === "number" ? new Date(payload.iat * 1000) : undefined,
    ...(confirmation === undefined ? {} : { confirmation }),
  };
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new AccessTokenError("invalid_claims", `the access token's "${name}" claim must be a non-empty string`);
  return value;
}

/** RFC 9068 `scope` (space-delimited string) or the `scp` array used by SuperTokens/Hydra. */
function scopesOf(payload: JWTPayload): string[] {
  const scp = payload["scp"];
  const scope = payload["scope"];
  if (scp !== undefined) {
    if (!Array.isArray(scp) || !scp.every((s) => typeof s === "string")) {
      throw new AccessTokenError("invalid_claims", 'the access token\'s "scp" claim must be an array of strings');
    }
    return scp as string[];
  }
  if (scope !== undefined) {
    if (typeof scope !== "string") throw new AccessTokenError("invalid_claims", 'the access token\'s "scope" claim must be a space-delimited string');
    return scope.split(" ").filter((s) => s !== "");
  }
  return [];
}
