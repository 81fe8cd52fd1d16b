/**
 * The one place that turns a token-guard failure into what a gRPC/Connect
 * caller sees: the status code, a message a person understands, the AuthError
 * detail and a `www-authenticate` value: RFC 6750 for Bearer, RFC 9449 §7.1
 * for DPoP (a refusal under the DPoP scheme, and a DPoP-bound token sent as
 * Bearer, name the DPoP scheme and the proof algorithms accepted).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import type { AccessTokenError, AccessTokenFailureReason } from "./access-token-error.js";
import { dpopSigningAlgorithms } from "./dpop-proof.js";

const reasons: Record<AccessTokenFailureReason, AuthFailureReason> = {
  missing_token: AuthFailureReason.MISSING_TOKEN,
  malformed_authorization: AuthFailureReason.MALFORMED_AUTHORIZATION,
  malformed_token: AuthFailureReason.MALFORMED_TOKEN,
  unsupported_algorithm: AuthFailureReason.UNSUPPORTED_ALGORITHM,
  unknown_key: AuthFailureReason.UNKNOWN_KEY,
  invalid_signature: AuthFailureReason.INVALID_SIGNATURE,
  token_expired: AuthFailureReason.TOKEN_EXPIRED,
  token_not_yet_valid: AuthFailureReason.TOKEN_NOT_YET_VALID,
  wrong_issuer: AuthFailureReason.WRONG_ISSUER,
  wrong_audience: AuthFailureReason.WRONG_AUDIENCE,
  invalid_claims: AuthFailureReason.INVALID_CLAIMS,
  wrong_token_type: AuthFailureReason.WRONG_TOKEN_TYPE,
  insufficient_scope: AuthFailureReason.INSUFFICIENT_SCOPE,
  method_not_allowed: AuthFailureReason.METHOD_NOT_ALLOWED,
  keys_unavailable: AuthFailureReason.KEYS_UNAVAILABLE,
  token_revoked: AuthFailureReason.TOKEN_REVOKED,
  revocations_unavailable: AuthFailureReason.REVOCATIONS_UNAVAILABLE,
  invalid_dpop_proof: AuthFailureReason.INVALID_DPOP_PROOF,
  dpop_token_as_bearer: AuthFailureReason.DPOP_TOKEN_AS_BEARER,
  token_not_dpop_bound: AuthFailureReason.TOKEN_NOT_DPOP_BOUND,
  certificate_mismatch: AuthFailureReason.CERTIFICATE_MISMATCH,
};

const dpopAlgs = `algs="${dpopSigningAlgorithms.join(" ")}"`;

const codes = {
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  unavailable: Code.Unavailable,
} as const;

/** Builds the ConnectError for a refused call; the original error is kept as cause for logs only. */
export function connectErrorFromAccessFailure(err: AccessTokenError, audience: string): ConnectError {
  const metadata = new Headers();
  const challenge = wwwAuthenticate(err, audience);
  if (challenge !== undefined) metadata.set("www-authenticate", challenge);
  const detail = create(AuthErrorSchema, {
    reason: reasons[err.reason],
    requiredScopes: [...err.requiredScopes],
    grantedScopes: [...err.grantedScopes],
    audience,
  });
  return new ConnectError(err.message, codes[err.kind], metadata, [{ desc: AuthErrorSchema, value: detail }], err);
}

/**
 * The challenge: RFC 6750 §3 for Bearer; RFC 9449 §7.1 (`DPoP error=…, algs=…`, no realm) for a proof that fails,
 * a DPoP-bound token sent as Bearer, and any refusal of a call made under the DPoP scheme. None when the keys or the
 * revocation list are unavailable (the caller did nothing wrong).
 */
export function wwwAuthenticate(err: AccessTokenError, audience: string): string | undefined {
  const description = `error_description="${quote(err.message)}"`;
  switch (err.reason) {
    case "keys_unavailable":
    case "revocations_unavailable":
      return undefined;
    case "invalid_dpop_proof":
      return `DPoP error="invalid_dpop_proof", ${description}, ${dpopAlgs}`;
    case "dpop_token_as_bearer":
      return `DPoP error="invalid_token", ${description}, ${dpopAlgs}`;
  }
  if (err.scheme === "DPoP") {
    const error = err.reason === "insufficient_scope" || err.reason === "method_not_allowed" ? "insufficient_scope" : err.reason === "malformed_authorization" ? "invalid_request" : "invalid_token";
    return `DPoP error="${error}", ${description}${scopeParameter(err)}, ${dpopAlgs}`;
  }
  const realm = `realm="${quote(audience)}"`;
  switch (err.reason) {
    case "missing_token":
      return `Bearer ${realm}`;
    case "malformed_authorization":
      return `Bearer ${realm}, error="invalid_request", ${description}`;
    case "insufficient_scope":
    case "method_not_allowed":
      return `Bearer ${realm}, error="insufficient_scope", ${description}${scopeParameter(err)}`;
    default:
      return `Bearer ${realm}, error="invalid_token", ${description}`;
  }
}

/** `, scope="…"` naming the required scopes of an insufficient_scope refusal; empty otherwise. */
function scopeParameter(err: AccessTokenError): string {
  return (err.reason === "insufficient_scope" || err.reason === "method_not_allowed") && err.requiredScopes.length > 0 ? `, scope="${quote(err.requiredScopes.join(" "))}"` : "";
}

// RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E in these values.
function quote(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "'");
}
