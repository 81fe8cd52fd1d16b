/**
 * The `cnf` claim of an access token (RFC 7800 §3.1): what a sender-constrained
 * token is bound to, and whether the authorization scheme suits it.
 *
 * Two confirmation methods are understood, alone or together: `jkt` (DPoP,
 * RFC 9449 §6.1) and `x5t#S256` (a client certificate, RFC 8705 §3.1). Any
 * other member binds the token to something this service cannot check, so the
 * token is refused rather than accepted as a bearer token (fail closed).
 */
import { AccessTokenError, type AuthorizationScheme } from "./access-token-error.js";
import type { Confirmation } from "./principal.js";

/** A base64url SHA-256 digest: 32 bytes, 43 characters, the last one with its 2 unused bits zero. */
const sha256Base64url = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/**
 * The confirmation of a verified token's claims; undefined when it has no `cnf`.
 * @throws AccessTokenError `invalid_claims` when `cnf` is not an object, names no method, has a member this service
 *   does not understand, or a thumbprint that is not a base64url SHA-256.
 */
export function confirmationOf(payload: Readonly<Record<string, unknown>>): Confirmation | undefined {
  const cnf = payload["cnf"];
  if (cnf === undefined) return undefined;
  if (typeof cnf !== "object" || cnf === null || Array.isArray(cnf)) {
    throw new AccessTokenError("invalid_claims", 'the access token\'s "cnf" claim must be an object');
  }
  const members = cnf as Record<string, unknown>;
  const unknown = Object.keys(members).filter((name) => name !== "jkt" && name !== "x5t#S256");
  if (unknown.length > 0) {
    throw new AccessTokenError(
      "invalid_claims",
      `the access token is bound by a confirmation method this service does not check (cnf member ${unknown.map((n) => JSON.stringify(n.slice(0, 20))).join(", ")}); only jkt (DPoP) and x5t#S256 (client certificate) are understood`,
    );
  }
  const jkt = thumbprint(members, "jkt");
  const x5tS256 = thumbprint(members, "x5t#S256");
  if (jkt === undefined && x5tS256 === undefined) throw new AccessTokenError("invalid_claims", 'the access token\'s "cnf" claim names no confirmation method');
  return { ...(jkt === undefined ? {} : { jkt }), ...(x5tS256 === undefined ? {} : { x5tS256 }) };
}

function thumbprint(cnf: Record<string, unknown>, name: string): string | undefined {
  const value = cnf[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !sha256Base64url.test(value)) {
    throw new AccessTokenError("invalid_claims", `the access token's cnf.${name} must be a base64url SHA-256 thumbprint`);
  }
  return value;
}

/**
 * Fails unless the scheme suits the token: a DPoP-bound token (cnf.jkt) only under DPoP (`dpop_token_as_bearer`,
 * RFC 9449 §7.2: a resource server must not accept it as a bearer token), and DPoP only with a DPoP-bound token
 * (`token_not_dpop_bound`). A token bound only to a certificate is a Bearer token.
 */
export function checkSchemeFits(confirmation: Confirmation | undefined, scheme: AuthorizationScheme): void {
  const dpopBound = confirmation?.jkt !== undefined;
  if (dpopBound && scheme === "Bearer") {
    throw new AccessTokenError("dpop_token_as_bearer", 'the access token is DPoP-bound: send it as "authorization: DPoP <token>" with a DPoP proof', { scheme });
  }
  if (!dpopBound && scheme === "DPoP") {
    throw new AccessTokenError("token_not_dpop_bound", 'the access token is not DPoP-bound (no cnf.jkt): send it as "authorization: Bearer <token>"', { scheme });
  }
}
