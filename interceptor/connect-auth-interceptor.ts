/**
 * The Connect adapter of the token guard: an interceptor that reads the
 * `authorization` request metadata, checks it against the method's access
 * rule, and hands the verified Principal to handlers through `kPrincipal`.
 */
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { AccessTokenError } from "./access-token-error.js";
import { grantsScopes, guardCall } from "./access-guard.js";
import { accessRequirementOf, type AccessRequirement } from "./access-rule.js";
import { assertOneAuthorizationField, kAuthorizationFieldCount } from "./authorization-field-count.js";
import { connectErrorFromAccessFailure } from "./connect-error-from-access-failure.js";
import type { Principal } from "./principal.js";
import type { AccessTokenVerifier } from "./verify-access-token.js";

/** The verified caller of the current call; set only by the auth interceptor. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "verified access token principal" });

export interface AuthInterceptorOptions {
  verify: AccessTokenVerifier;
  /** This service's audience, named in error details and challenges. */
  audience: string;
  /** Fully qualified names of services every caller may use without a token. */
  publicServices?: Iterable<string>;
  /** Called with every refused call (for logs); the error never holds the token. */
  onRefused?: (err: AccessTokenError, method: string) => void;
}

/**
 * Creates the interceptor; put it after logging and before anything that needs the principal.
 * A call that needs a token is refused (`malformed_authorization`) when the request carried more than
 * one `authorization` field: wire `withAuthorizationFieldCount` into the Node adapter's `contextValues`
 * so that the count is known (Node itself keeps only the first field). Public methods read no token, so
 * they ignore the authorization fields altogether.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const publicServices = new Set(options.publicServices ?? []);
  return (next) => (req) => {
    const requirement = accessRequirementOf(req.method, publicServices);
    const authorization = req.header.get("authorization");
    // Almost every call repeats a token verified before: answer it without a promise or any parsing.
    if (requirement.kind === "scopes" && req.contextValues.get(kAuthorizationFieldCount) <= 1) {
      const known = options.verify.fromCache(authorization);
      if (known !== undefined && grantsScopes(known, requirement.requiredScopes)) {
        req.contextValues.set(kPrincipal, known);
        return next(req);
      }
    }
    return guardedNext(next, req, authorization, requirement);
  };

  /** The full check: verifies the token (and caches it), or refuses the call with the reason. */
  async function guardedNext(next: AnyCall, req: Parameters<AnyCall>[0], authorization: string | null, requirement: AccessRequirement) {
    let principal: Principal | undefined;
    try {
      if (requirement.kind !== "public") assertOneAuthorizationField(req.contextValues);
      principal = await guardCall(options.verify, authorization, requirement);
    } catch (err) {
      if (err instanceof AccessTokenError) {
        options.onRefused?.(err, `${req.service.typeName}/${req.method.name}`);
        throw connectErrorFromAccessFailure(err, options.audience);
      }
      throw err;
    }
    if (principal !== undefined) req.contextValues.set(kPrincipal, principal);
    return next(req);
  }
}

/** What an interceptor wraps: the next step of any call. */
type AnyCall = Parameters<Interceptor>[0];

/** The principal of the current call; an INTERNAL error if the interceptor did not run (a wiring bug). */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(kPrincipal);
  if (principal === undefined) throw new ConnectError("no verified caller for this call", Code.Internal);
  return principal;
}
