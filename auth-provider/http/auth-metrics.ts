/**
 * The auth provider's Prometheus metrics (issue 16): token requests by client,
 * audience and outcome, token endpoint duration, throttled requests by limit,
 * issuer keys by state, revocations and introspections. Served by
 * common/metrics-server.ts on its own listener, never on the public port.
 *
 * Label values are bounded: client_id is a registered client's id (the caller
 * authenticated as it) or "", audience one granted to that client or "", so no
 * caller-chosen string ever becomes a series. With the SuperTokens backend
 * none of these is registered (its token endpoint is supertokens-node's, whose
 * outcomes this process does not see): only the process metrics are served.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { KeyState } from "../keys/key-ring.js";
import type { ThrottleLimit } from "../token/oauth-error.js";

/** The states m2m_issuer_keys reports. */
export type IssuerKeyGaugeState = "published" | "active" | "retiring";

/** A token request's result: "issued", or the error code of the refusal (server_error for a fault). */
export type TokenOutcome = string;

/** The labels of one token request, already bounded. */
export interface TokenRequestLabels {
  readonly client_id: string;
  readonly audience: string;
  readonly outcome: TokenOutcome;
}

/** What the provider records. Cheap: each call is a label lookup and an add. */
export interface AuthMetrics {
  tokenRequest(labels: TokenRequestLabels, durationSeconds: number): void;
  throttled(limit: ThrottleLimit): void;
  revoked(kind: "token" | "client", count?: number): void;
  introspected(active: boolean): void;
  /** Reports the keys at scrape time: set once the keys are loaded. */
  watchKeys(states: () => readonly KeyState[]): void;
}

/**
 * The labels of a token request: client_id only for an authenticated client, audience only when it is granted to
 * that client (granted is undefined otherwise), so label values never come from the caller alone.
 */
export function tokenRequestLabels(outcome: TokenOutcome, clientId: string | undefined, grantedAudience: string | undefined): TokenRequestLabels {
  const client_id = clientId ?? "";
  return { client_id, audience: client_id === "" ? "" : (grantedAudience ?? ""), outcome };
}

/** Counts the keys of each reported state: published = in the JWKS, active = signing, retiring = on the way out. */
export function issuerKeyCounts(states: readonly KeyState[]): Record<IssuerKeyGaugeState, number> {
  const counts = { published: 0, active: 0, retiring: 0 };
  for (const state of states) {
    if (state !== "retired") counts.published++;
    if (state === "signing") counts.active++;
    if (state === "retiring") counts.retiring++;
  }
  return counts;
}

/** Registers the auth provider's metrics on registry. */
export function createAuthMetrics(registry: Registry): AuthMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: "m2m_oauth_token_requests_total",
    help: "Token requests answered, by client (an authenticated client's id, else empty), granted audience (else empty) and outcome (issued, or the OAuth error code).",
    labelNames: ["client_id", "audience", "outcome"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "m2m_oauth_token_request_duration_seconds",
    help: "Time to answer a token request, by outcome.",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const throttled = new Counter({
    name: "m2m_oauth_throttled_requests_total",
    help: "Requests refused with slow_down, by limit: client-address, address and client (failed client authentications), budget (a client's tokens per minute).",
    labelNames: ["limit"] as const,
    registers,
  });
  const revocations = new Counter({
    name: "m2m_oauth_revocations_total",
    help: "Revocations this process made or saw: token (its revocation endpoint), client (a client disabled or removed, seen when this process re-read the revocations; auth-admin runs as another process).",
    labelNames: ["kind"] as const,
    registers,
  });
  const introspections = new Counter({
    name: "m2m_oauth_introspections_total",
    help: "Introspection answers, by whether the token was active.",
    labelNames: ["active"] as const,
    registers,
  });
  let keyStates: (() => readonly KeyState[]) | undefined;
  new Gauge({
    name: "m2m_issuer_keys",
    help: "Issuer signing keys by state at scrape time: published (in the JWKS), active (signing), retiring (published, no longer signing).",
    labelNames: ["state"] as const,
    registers,
    collect() {
      if (keyStates === undefined) return;
      for (const [state, count] of Object.entries(issuerKeyCounts(keyStates()))) this.set({ state }, count);
    },
  });
  for (const kind of ["token", "client"]) revocations.inc({ kind }, 0);
  for (const active of ["true", "false"]) introspections.inc({ active }, 0);
  return {
    tokenRequest(labels, seconds) {
      requests.inc(labels);
      duration.observe({ outcome: labels.outcome }, seconds);
    },
    throttled: (limit) => throttled.inc({ limit }),
    revoked: (kind, count = 1) => revocations.inc({ kind }, count),
    introspected: (active) => introspections.inc({ active: String(active) }),
    watchKeys: (states) => (keyStates = states),
  };
}
