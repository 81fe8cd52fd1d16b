/**
 * The one place that turns a token-guard failure into what a gRPC/Connect
 * caller sees: the status code, a message a person understands, the AuthError
 * detail and an RFC 6750 `www-authenticate` value.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../gen/m2m/auth/v1/auth_pb.js";
import type { AccessTokenError, AccessTokenFailureReason } from "./access-token-error.js";

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
};

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

/** RFC 6750 §3 challenge; none when the keys or the revocation list are unavailable (the caller did nothing wrong). */
export function wwwAuthenticate(err: AccessTokenError, audience: string): string | undefined {
  const realm = `realm="${quote(audience)}"`;
  switch (err.reason) {
    case "keys_unavailable":
    case "revocations_unavailable":
      return undefined;
    case "missing_token":
      return `Bearer ${realm}`;
    case "malformed_authorization":
      return `Bearer ${realm}, error="invalid_request", error_description="${quote(err.message)}"`;
    case "insufficient_scope":
    case "method_not_allowed":
      return `Bearer ${realm}, error="insufficient_scope", error_description="${quote(err.message)}"${
        err.requiredScopes.length > 0 ? `, scope="${quote(err.requiredScopes.join(" "))}"` : ""
      }`;
    default:
      return `Bearer ${realm}, error="invalid_token", error_description="${quote(err.message)}"`;
  }
}

// RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E in these values.
function quote(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "'");
}
