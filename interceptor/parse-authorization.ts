/**
 * Step one of authentication: the scheme and the token out of an
 * `authorization` value, `Bearer <token>` (RFC 6750 §2.1) or `DPoP <token>`
 * (RFC 9449 §7.1, same token syntax), refused before any parsing when it is
 * missing, of another scheme, more than one value, or too large.
 */
import { AccessTokenError, type AuthorizationScheme } from "./access-token-error.js";

/** Tokens larger than this are refused before any parsing (headers are not a place for megabytes). */
export const maxTokenLength = 16 * 1024;

// RFC 6750 §2.1 and RFC 9449 §7.1: credentials = ("Bearer" / "DPoP") 1*SP b64token; schemes are case-insensitive.
const credentials = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;

export interface ParsedAuthorization {
  /** The scheme as this service names it (whatever case the caller wrote). */
  readonly scheme: AuthorizationScheme;
  readonly token: string;
}

/**
 * Extracts the scheme and token from an authorization value.
 * Fails with `missing_token` when there is no value and `malformed_authorization`
 * when it is not exactly one "Bearer <token>" or "DPoP <token>": two values
 * joined by a comma (as a proxy or a client library folds repeated fields) fail
 * as "more than one authorization value", like repeated fields (see
 * authorization-field-count.ts).
 */
export function parseAuthorization(authorization: string | null | undefined): ParsedAuthorization {
  if (authorization === null || authorization === undefined || authorization.trim() === "") {
    throw new AccessTokenError("missing_token", 'no access token: send the metadata "authorization: Bearer <token>"');
  }
  // No b64token contains a comma: one here is a list of values.
  if (authorization.includes(",")) {
    throw new AccessTokenError("malformed_authorization", 'more than one authorization value: expected exactly one "Bearer <token>" or "DPoP <token>"');
  }
  const match = credentials.exec(authorization.trim());
  if (match === null) {
    const scheme = authorization.trim().split(/\s+/, 1)[0] ?? "";
    const lower = scheme.toLowerCase();
    const message =
      lower === "bearer" || lower === "dpop"
        ? `malformed authorization: expected exactly one "${lower === "dpop" ? "DPoP" : "Bearer"} <token>"`
        : `unsupported authorization scheme "${scheme.slice(0, 20)}": expected "Bearer <token>" or "DPoP <token>"`;
    throw new AccessTokenError("malformed_authorization", message, lower === "dpop" ? { scheme: "DPoP" } : {});
  }
  const scheme: AuthorizationScheme = match[1]!.toLowerCase() === "dpop" ? "DPoP" : "Bearer";
  const token = match[2]!;
  if (token.length > maxTokenLength) {
    throw new AccessTokenError("malformed_token", `access token too large (${token.length} bytes, at most ${maxTokenLength})`, { scheme });
  }
  return { scheme, token };
}
