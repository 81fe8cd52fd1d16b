/**
 * The token guard: authentication (who is calling: the token) and then
 * authorization (may it call this method: the scopes), two steps with two
 * failure kinds. Framework-neutral: any server library can call it with the
 * authorization value and the method's requirement.
 */
import { AccessTokenError, type AuthorizationScheme } from "./access-token-error.js";
import type { AccessRequirement } from "./access-rule.js";
import type { Principal } from "./principal.js";
import type { SenderEvidence } from "./sender-constraint.js";
import type { AccessTokenVerifier } from "./verify-access-token.js";

/**
 * Returns the principal, or undefined for a public method; throws an
 * AccessTokenError when the call must be refused. `evidence` (the DPoP proof,
 * the client certificate) is needed for sender-constrained tokens.
 */
export async function guardCall(
  verify: AccessTokenVerifier,
  authorization: string | null | undefined,
  requirement: AccessRequirement,
  evidence?: SenderEvidence,
): Promise<Principal | undefined> {
  if (requirement.kind === "public") return undefined;
  const principal = await verify(authorization, evidence);
  if (requirement.kind === "undeclared") {
    throw new AccessTokenError("method_not_allowed", "this method declares no access rule, so no token may call it", {
      grantedScopes: principal.scopes,
      scheme: schemeOf(principal),
    });
  }
  authorizeScopes(principal, requirement.requiredScopes);
  return principal;
}

/** Whether the principal holds every required scope. */
export function grantsScopes(principal: Principal, requiredScopes: readonly string[]): boolean {
  return requiredScopes.every((scope) => principal.scopes.includes(scope));
}

/** Fails with insufficient_scope unless the principal holds every required scope. */
export function authorizeScopes(principal: Principal, requiredScopes: readonly string[]): void {
  if (grantsScopes(principal, requiredScopes)) return;
  const missing = requiredScopes.filter((scope) => !principal.scopes.includes(scope));
  const granted = principal.scopes.length > 0 ? principal.scopes.join(" ") : "no scopes";
  throw new AccessTokenError("insufficient_scope", `the access token lacks the scope ${missing.join(" ")} (it grants ${granted})`, {
    requiredScopes,
    grantedScopes: principal.scopes,
    scheme: schemeOf(principal),
  });
}

/** The scheme a verified principal came with: a DPoP-bound token is accepted only under DPoP, and DPoP only with one. */
function schemeOf(principal: Principal): AuthorizationScheme {
  return principal.confirmation?.jkt === undefined ? "Bearer" : "DPoP";
}
