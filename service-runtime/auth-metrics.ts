/**
 * What the token guard does, as metrics: refused calls by reason
 * (`m2m_auth_refused_calls_total`, reason = the AuthFailureReason name without
 * its prefix: TOKEN_EXPIRED, WRONG_AUDIENCE, …), the verified-token cache's
 * hits and misses, JWKS and revocation list fetches by outcome and the age of
 * what was last fetched. The interceptor/ code knows nothing of Prometheus: it
 * reports through its callbacks, which these functions are.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { AccessTokenError, AccessTokenFailureReason } from "../interceptor/access-token-error.js";
import type { RevocationFetchOutcome } from "../interceptor/revocation-list-follower.js";

export interface AuthMetrics {
  /** For the auth interceptor's onRefused. */
  refused(err: AccessTokenError, method: string): void;
  /** For the auth interceptor's onCacheLookup. */
  cacheLookup(hit: boolean): void;
  /** For the JWKS key source's onFetch. */
  jwksFetched(ok: boolean): void;
  /** For the revocation list follower's onFetch. */
  revocationListFetched(outcome: RevocationFetchOutcome): void;
}

/** The reason label of a failure: "token_expired" → "TOKEN_EXPIRED", the proto enum's name without AUTH_FAILURE_REASON_. */
export function refusalReasonLabel(reason: AccessTokenFailureReason): string {
  return reason.toUpperCase();
}

export interface AuthMetricsOptions {
  /** When the revocation list was last fetched successfully (the follower's status); undefined before. */
  revocationListFetchedAt: () => Date | undefined;
  /** The clock; default Date.now. */
  now?: () => number;
}

export function createAuthMetrics(registry: Registry, options: AuthMetricsOptions): AuthMetrics {
  const now = options.now ?? Date.now;
  const registers = [registry];
  const refused = new Counter({
    name: "m2m_auth_refused_calls_total",
    help: "Calls the token guard refused, by method and AuthFailureReason.",
    labelNames: ["grpc_service", "grpc_method", "reason"],
    registers,
  });
  const lookups = new Counter({ name: "m2m_auth_token_cache_lookups_total", help: "Lookups of bearer tokens in the verified-token cache, by result (hit or miss).", labelNames: ["result"], registers });
  const hit = lookups.labels("hit");
  const miss = lookups.labels("miss");
  const jwksFetches = new Counter({ name: "m2m_auth_jwks_fetches_total", help: "Fetches of the auth provider's JWKS, by outcome (ok or error).", labelNames: ["outcome"], registers });
  let jwksFetchedAt: number | undefined;
  new Gauge({
    name: "m2m_auth_jwks_age_seconds",
    help: "Seconds since the auth provider's JWKS was last fetched successfully (NaN before the first).",
    registers,
    collect() {
      this.set(jwksFetchedAt === undefined ? Number.NaN : (now() - jwksFetchedAt) / 1000);
    },
  });
  const revocationFetches = new Counter({
    name: "m2m_auth_revocation_list_fetches_total",
    help: "Fetches of the auth provider's revocation list, by outcome (ok, not_modified, error, unpublished).",
    labelNames: ["outcome"],
    registers,
  });
  new Gauge({
    name: "m2m_auth_revocation_list_age_seconds",
    help: "Seconds since the revocation list was last fetched successfully (a 304 or a 404 included; NaN before the first).",
    registers,
    collect() {
      const at = options.revocationListFetchedAt();
      this.set(at === undefined ? Number.NaN : (now() - at.getTime()) / 1000);
    },
  });

  return {
    refused(err, method) {
      const slash = method.lastIndexOf("/");
      refused.labels(method.slice(0, slash), method.slice(slash + 1), refusalReasonLabel(err.reason)).inc();
    },
    cacheLookup: (found) => (found ? hit : miss).inc(),
    jwksFetched(ok) {
      if (ok) jwksFetchedAt = now();
      jwksFetches.labels(ok ? "ok" : "error").inc();
    },
    revocationListFetched: (outcome) => revocationFetches.labels(outcome).inc(),
  };
}
