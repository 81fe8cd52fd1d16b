/**
 * Typed failures of the token guard, one `reason` per way a call can be
 * refused, in the spirit of jose's error classes: callers switch on `reason`,
 * people read `message`. The message never contains the token.
 */

export type AccessTokenFailureReason =
  | "missing_token"
  | "malformed_authorization"
  | "malformed_token"
  | "unsupported_algorithm"
  | "unknown_key"
  | "invalid_signature"
  | "token_expired"
  | "token_not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "invalid_claims"
  | "wrong_token_type"
  | "insufficient_scope"
  | "method_not_allowed"
  | "keys_unavailable"
  | "token_revoked"
  | "revocations_unavailable"
  | "invalid_dpop_proof"
  | "dpop_token_as_bearer"
  | "token_not_dpop_bound"
  | "certificate_mismatch";

/** The authorization scheme a call used, once it parsed: it decides the challenge (Bearer or DPoP) of a refusal. */
export type AuthorizationScheme = "Bearer" | "DPoP";

/** How a reason is answered: who is calling is unknown, known but not allowed, or cannot be checked now. */
export type AccessTokenFailureKind = "unauthenticated" | "permission_denied" | "unavailable";

export function failureKindOf(reason: AccessTokenFailureReason): AccessTokenFailureKind {
  switch (reason) {
    case "insufficient_scope":
    case "method_not_allowed":
      return "permission_denied";
    case "keys_unavailable":
    case "revocations_unavailable":
      return "unavailable";
    default:
      return "unauthenticated";
  }
}

export interface AccessTokenErrorDetails {
  /** Scopes the method requires. */
  requiredScopes?: readonly string[];
  /** Scopes the token granted, once it is verified. */
  grantedScopes?: readonly string[];
  /** The scheme the call used, when known; a refusal under DPoP is answered with a DPoP challenge. */
  scheme?: AuthorizationScheme;
  /** The underlying error, for logs only; never sent to the caller. */
  cause?: unknown;
}

export class AccessTokenError extends Error {
  override name = "AccessTokenError";
  readonly requiredScopes: readonly string[];
  readonly grantedScopes: readonly string[];
  readonly scheme: AuthorizationScheme | undefined;

  constructor(
    readonly reason: AccessTokenFailureReason,
    message: string,
    details: AccessTokenErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.requiredScopes = details.requiredScopes ?? [];
    this.grantedScopes = details.grantedScopes ?? [];
    this.scheme = details.scheme;
  }

  get kind(): AccessTokenFailureKind {
    return failureKindOf(this.reason);
  }
}
