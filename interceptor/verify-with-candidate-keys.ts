/**
 * A token without `kid` while the JWKS holds several keys of its algorithm
 * (issue 14 §6): jose's local JWK set then throws JWKSMultipleMatchingKeys,
 * which iterates over the matching keys. As Envoy's jwt_authn does, each is
 * tried in turn, a bounded few, and the first whose signature verifies decides
 * (its claims are then checked as usual). More candidates than that are
 * refused rather than tried: every attempt costs a signature verification.
 */
import { errors, jwtVerify, type JWTVerifyOptions, type JWTVerifyResult } from "jose";
import { AccessTokenError } from "./access-token-error.js";

/** At most this many keys are tried for one token. */
export const maxCandidateKeys = 4;

/**
 * Verifies `token` with each key `multiple` yields.
 * @throws AccessTokenError `unknown_key` when more than {@link maxCandidateKeys} keys (or none usable) match;
 * jose's JWSSignatureVerificationFailed when no key verifies the signature; jose's claim errors as jwtVerify.
 */
export async function jwtVerifyWithCandidateKeys(
  token: string,
  multiple: errors.JWKSMultipleMatchingKeys,
  alg: string,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  const keys = [];
  for await (const key of multiple) {
    keys.push(key);
    if (keys.length > maxCandidateKeys) {
      throw new AccessTokenError(
        "unknown_key",
        `the access token names no key id (kid) and more than ${maxCandidateKeys} keys of the auth provider match its algorithm ${alg}; tokens must name their key (kid)`,
        { cause: multiple },
      );
    }
  }
  if (keys.length === 0) {
    throw new AccessTokenError("unknown_key", `the access token names no key id (kid) and no usable key of the auth provider matches its algorithm ${alg}`, { cause: multiple });
  }
  let failure: unknown;
  for (const key of keys) {
    try {
      return await jwtVerify(token, key, options);
    } catch (err) {
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
      failure = err;
    }
  }
  throw failure;
}
