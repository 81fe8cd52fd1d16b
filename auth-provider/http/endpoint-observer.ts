/**
 * Turns the answers of the token, revocation and introspection endpoints into
 * metrics (auth-metrics.ts) and audit events (audit/audit-events.ts): one
 * place that decides what each answer counts as. Token requests: issued or
 * refused with their error code; revocations: the revoked token's jti;
 * introspections: active or not; any endpoint: slow_down by limit.
 */
import { auditEvent, claimed, unauthenticatedActor, type AuditEvent } from "../audit/audit-events.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { EndpointAnswer, EndpointObserver } from "../token/endpoint-answer.js";
import { tokenEndpointPath } from "../token/token-endpoint.js";
import { revocationEndpointPath } from "../revocation/revocation-endpoint.js";
import { introspectionEndpointPath } from "../revocation/introspection-endpoint.js";
import { tokenRequestLabels, type AuthMetrics } from "./auth-metrics.js";

/** What the observer reports to; either may be absent. */
export interface EndpointObserverOptions {
  readonly metrics?: AuthMetrics | undefined;
  readonly audit?: AuditLog | undefined;
}

/** Creates the observer the embedded issuer's endpoints report to. */
export function createEndpointObserver(options: EndpointObserverOptions): EndpointObserver {
  const { metrics, audit } = options;
  return {
    answered(answer) {
      if (answer.throttledBy !== undefined) metrics?.throttled(answer.throttledBy);
      const detail = (name: string) => answer.details[name];
      if (answer.path === tokenEndpointPath) {
        const audience = typeof detail("audience") === "string" ? (detail("audience") as string) : undefined;
        metrics?.tokenRequest(tokenRequestLabels(answer.outcome === "ok" ? "issued" : answer.outcome, answer.clientId, audience), answer.durationSeconds);
        audit?.write(tokenAuditEvent(answer));
      } else if (answer.path === revocationEndpointPath && answer.outcome === "ok" && detail("jti") !== undefined) {
        metrics?.revoked("token");
        audit?.write(auditEvent("token.revoked", common(answer), { jti: detail("jti"), exp: detail("exp") }));
      } else if (answer.path === introspectionEndpointPath && answer.outcome === "ok") {
        metrics?.introspected(detail("active") === true);
      }
    },
  };
}

/** The token.issued or token.refused event of a token request's answer. */
export function tokenAuditEvent(answer: EndpointAnswer): AuditEvent {
  const { audience, scopes, jti, expires_in: expiresIn, token_type: tokenType } = answer.details;
  if (answer.outcome === "ok") {
    const exp = typeof expiresIn === "number" ? Math.floor(Date.now() / 1000) + expiresIn : undefined;
    return auditEvent("token.issued", common(answer), { audience, scopes, jti, exp, token_type: tokenType });
  }
  return auditEvent("token.refused", common(answer), {
    ...(audience === undefined ? {} : { audience }),
    ...(answer.throttledBy === undefined ? {} : { limit: answer.throttledBy }),
  });
}

// actor: the authenticated client, else "unauthenticated"; subject: that client, else the id the caller claimed.
function common(answer: EndpointAnswer) {
  return {
    actor: answer.clientId ?? unauthenticatedActor,
    subject: answer.clientId ?? claimed(answer.claimedClientId),
    outcome: answer.outcome,
    address: answer.address,
  };
}
