/**
 * Step one of authentication: the bearer token out of an `authorization` value
 * (RFC 6750 §2.1), refused before any parsing when it is missing, of another
 * scheme, more than one value, or too large.
 */
import { AccessTokenError } from "./access-token-error.js";

/** Tokens larger than this are refused before any parsing (headers are not a place for megabytes). */
export const maxTokenLength = 16 * 1024;

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Extracts the bearer token from an authorization value.
 * Fails with `missing_token` when there is no value and `malformed_authorization`
 * when it is not exactly one "Bearer <token>": two values joined by a comma (as
 * a proxy or a client library folds repeated fields) fail as "more than one
 * authorization value", like repeated fields (see authorization-field-count.ts).
 */
export function parseBearerAuthorization(authorization: string | null | undefined): string {
  if (authorization === null || authorization === undefined || authorization.trim() === "") {
    throw new AccessTokenError("missing_token", 'no access token: send the metadata "authorization: Bearer <token>"');
  }
  // No b64token contains a comma: one here is a list of values.
  if (authorization.includes(",")) {
    throw new AccessTokenError("malformed_authorization", 'more than one authorization value: expected exactly one "Bearer <token>"');
  }
  const match = bearer.exec(authorization.trim());
  if (match === null) {
    const scheme = authorization.trim().split(/\s+/, 1)[0] ?? "";
    const message =
      scheme.toLowerCase() === "bearer"
        ? 'malformed authorization: expected exactly one "Bearer <token>"'
        : `unsupported authorization scheme "${scheme.slice(0, 20)}": expected "Bearer <token>"`;
    throw new AccessTokenError("malformed_authorization", message);
  }
  const token = match[1]!;
  if (token.length > maxTokenLength) {
    throw new AccessTokenError("malformed_token", `access token too large (${token.length} bytes, at most ${maxTokenLength})`);
  }
  return token;
}
