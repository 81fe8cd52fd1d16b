/**
 * The Connect adapter of the token guard: an interceptor that reads the
 * `authorization` request metadata, checks it against the method's access
 * rule, and hands the verified Principal to handlers through `kPrincipal`.
 * For sender-constrained tokens it also hands over what the request presented:
 * its HTTP method and URL, the `dpop` header and the TLS client certificate.
 * It runs once per call: a streaming call (a long watch) is checked once, at
 * its start.
 */
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { AccessTokenError } from "./access-token-error.js";
import { grantsScopes, guardCall } from "./access-guard.js";
import { accessRequirementOf, type AccessRequirement } from "./access-rule.js";
import { assertOneAuthorizationField, kAuthorizationFieldCount } from "./authorization-field-count.js";
import { connectErrorFromAccessFailure } from "./connect-error-from-access-failure.js";
import { kPeerCertificateThumbprint } from "./peer-certificate-thumbprint.js";
import type { Principal } from "./principal.js";
import type { SenderEvidence } from "./sender-constraint.js";
import type { AccessTokenVerifier } from "./verify-access-token.js";

/** The verified caller of the current call; set only by the auth interceptor. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "verified access token principal" });

export interface AuthInterceptorOptions {
  verify: AccessTokenVerifier;
  /** This service's audience, named in error details and challenges. */
  audience: string;
  /** Fully qualified names of services every caller may use without a token. */
  publicServices?: Iterable<string>;
  /**
   * Base URLs clients call this service by, when they differ from what requests arrive with (behind a TLS-terminating
   * proxy or a load balancer): a DPoP proof may name the method under any of them; default none.
   */
  publicUrls?: readonly string[];
  /** Called with every refused call (for logs); the error never holds the token. */
  onRefused?: (err: AccessTokenError, method: string) => void;
  /**
   * Told whether the fast path found a call's token in the verified-token cache (for metrics): once per call that
   * needs a token and carries one authorization value. A DPoP-bound token always misses here (its proof is checked
   * on every call, by the full verification).
   */
  onCacheLookup?: (hit: boolean) => void;
}

/**
 * Creates the interceptor; put it after logging and before anything that needs the principal.
 * A call that needs a token is refused (`malformed_authorization`) when the request carried more than
 * one `authorization` field: wire `withAuthorizationFieldCount` into the Node adapter's `contextValues`
 * so that the count is known (Node itself keeps only the first field). Public methods read no token, so
 * they ignore the authorization fields altogether. Certificate-bound tokens need
 * `withPeerCertificateThumbprint` in `contextValues` too (without it no call has a client certificate).
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const publicServices = new Set(options.publicServices ?? []);
  const publicUrls = (options.publicUrls ?? []).map((url) => url.replace(/\/+$/, ""));
  const onCacheLookup = options.onCacheLookup ?? (() => {});
  return (next) => (req) => {
    const requirement = accessRequirementOf(req.method, publicServices);
    const authorization = req.header.get("authorization");
    // Almost every call repeats a bearer token verified before: answer it without a promise or any parsing.
    if (requirement.kind === "scopes" && authorization !== null && req.contextValues.get(kAuthorizationFieldCount) <= 1) {
      const known = options.verify.fromCache(authorization);
      onCacheLookup(known !== undefined);
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
      principal = await guardCall(options.verify, authorization, requirement, senderEvidenceOf(req, publicUrls));
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

/**
 * What the request presents besides its token. `url` is `<scheme>://<authority><path>` as received (the DPoP proof's
 * htu must name it, query aside); `requestMethod` is the HTTP method: POST for gRPC, gRPC-Web and Connect, GET for a
 * Connect GET request (so its proof's htm is GET).
 */
function senderEvidenceOf(req: Parameters<AnyCall>[0], publicUrls: readonly string[]): SenderEvidence {
  const path = `/${req.service.typeName}/${req.method.name}`;
  return {
    httpMethod: req.requestMethod,
    url: req.url,
    alternateUrls: publicUrls.map((base) => `${base}${path}`),
    dpopHeader: req.header.get("dpop"),
    peerCertificateThumbprint: req.contextValues.get(kPeerCertificateThumbprint),
  };
}

/** The principal of the current call; an INTERNAL error if the interceptor did not run (a wiring bug). */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(kPrincipal);
  if (principal === undefined) throw new ConnectError("no verified caller for this call", Code.Internal);
  return principal;
}
