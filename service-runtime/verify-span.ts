/**
 * The `verify access token` span: the token check of a call as a child of its
 * server span, with `m2m.auth.outcome` = `ok` (verified now), `cached` (found
 * in the verified-token cache by the fast path) or the failure reason
 * (`token_expired`, `invalid_signature`, ...), and the client id once known.
 * The token, the DPoP proof and the authorization value are never recorded.
 */
import type { Span } from "@opentelemetry/api";
import { m2mTracer, otelApi, tracingEnabled } from "../common/tracing.js";
import { AccessTokenError } from "../interceptor/access-token-error.js";
import type { AccessTokenVerifier } from "../interceptor/verify-access-token.js";

/** The span's name. */
export const verifySpanName = "verify access token";

/** verify itself when tracing is off; else the same verifier recording a span per check. */
export function traceAccessTokenVerifier(verify: AccessTokenVerifier): AccessTokenVerifier {
  if (!tracingEnabled()) return verify;
  const tracer = m2mTracer();
  const verifyTraced: (...args: Parameters<AccessTokenVerifier>) => ReturnType<AccessTokenVerifier> = (authorization, evidence) =>
    tracer.startActiveSpan(verifySpanName, async (span) => {
      try {
        const principal = await verify(authorization, evidence);
        span.setAttributes({ "m2m.auth.outcome": "ok", "oauth.client_id": principal.clientId });
        return principal;
      } catch (err) {
        refused(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
  // Only hits get a span: a miss is followed by the full check, which records its own.
  const fromCache: AccessTokenVerifier["fromCache"] = (authorization) => {
    const principal = verify.fromCache(authorization);
    if (principal !== undefined) {
      tracer.startSpan(verifySpanName, { attributes: { "m2m.auth.outcome": "cached", "oauth.client_id": principal.clientId } }).end();
    }
    return principal;
  };
  return Object.assign(verifyTraced, { fromCache, cachedTokens: verify.cachedTokens });
}

function refused(span: Span, err: unknown): void {
  const outcome = err instanceof AccessTokenError ? err.reason : "error";
  span.setAttribute("m2m.auth.outcome", outcome);
  span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message: outcome });
}
