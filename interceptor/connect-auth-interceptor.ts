/**
 * The Connect adapter of the token guard: an interceptor that reads the
 * `authorization` request metadata, checks it against the method's access
 * rule, and hands the verified Principal to handlers through `kPrincipal`.
 */
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { AccessTokenError } from "./access-token-error.js";
import { guardCall } from "./access-guard.js";
import { accessRequirementOf } from "./access-rule.js";
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

/** Creates the interceptor; put it after logging and before anything that needs the principal. */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const publicServices = new Set(options.publicServices ?? []);
  return (next) => async (req) => {
    let principal: Principal | undefined;
    try {
      principal = await guardCall(options.verify, req.header.get("authorization"), accessRequirementOf(req.method, publicServices));
    } catch (err) {
      if (err instanceof AccessTokenError) {
        options.onRefused?.(err, `${req.service.typeName}/${req.method.name}`);
        throw connectErrorFromAccessFailure(err, options.audience);
      }
      throw err;
    }
    if (principal !== undefined) req.contextValues.set(kPrincipal, principal);
    return next(req);
  };
}

/** The principal of the current call; an INTERNAL error if the interceptor did not run (a wiring bug). */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(kPrincipal);
  if (principal === undefined) throw new ConnectError("no verified caller for this call", Code.Internal);
  return principal;
}
