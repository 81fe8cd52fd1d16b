/**
 * A service's token-verification settings from the environment: AUTH_ISSUER,
 * AUTH_JWKS_URL, the service's own audience variable, and how it follows the
 * auth provider's revocation list (AUTH_REVOCATIONS_URL,
 * AUTH_REVOCATION_POLL_MS, AUTH_REVOCATION_MAX_STALENESS_SECONDS), and how
 * old a DPoP proof may be (AUTH_DPOP_PROOF_MAX_AGE_SECONDS). Both URLs
 * must be https unless they point at this machine (or
 * AUTH_ALLOW_INSECURE_HTTP=1): keys fetched in clear from elsewhere can be
 * swapped on the way, and then forged tokens verify; a list fetched in clear
 * can be emptied on the way, and then revoked tokens work.
 */
import { checkCleartextUrl, readAllowInsecureHttp } from "../common/cleartext-policy.js";
import { checkUrl, readInteger, readOptionalString, readString, readUrl } from "../common/env.js";
import { revocationListPath } from "../common/revocation-list.js";

export interface VerifierConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** AUTH_REVOCATIONS_URL: default $AUTH_ISSUER/oauth/revocations. */
  revocationsUrl: string;
  /** AUTH_REVOCATION_POLL_MS: time between fetches of the list; default 2000, at least 200. */
  revocationPollMs: number;
  /**
   * AUTH_REVOCATION_MAX_STALENESS_SECONDS: once no fetch of the list has succeeded for this long, calls that need
   * a token are refused (UNAVAILABLE); default unset: serve on with the last known list.
   */
  revocationMaxStalenessSeconds: number | undefined;
  /**
   * AUTH_DPOP_PROOF_MAX_AGE_SECONDS: oldest DPoP proof accepted (its iat), default 60. Each process remembers the
   * proofs it accepted for this long and refuses them again; replicas behind one load balancer share the URL a proof
   * names but not that memory, so a captured proof (with its token) could be replayed once at each other replica
   * within this window. A shorter window narrows that, at the cost of less slack for clients' clocks.
   */
  dpopProofMaxAgeSeconds: number;
}

export const defaultIssuer = "http://localhost:3001/auth";

/** AUTH_ALLOW_INSECURE_HTTP=1 lets the services fetch the JWKS and the revocation list over plain HTTP from a host other than loopback. */
export const allowInsecureHttpVariable = "AUTH_ALLOW_INSECURE_HTTP";

/**
 * Reads the settings; `audienceVariable` is e.g. CALENDAR_AUDIENCE.
 * @throws ConfigError naming the variable: a bad URL, an http JWKS or revocation list URL (given, or derived from
 * AUTH_ISSUER) to a host that is not loopback without AUTH_ALLOW_INSECURE_HTTP=1, a number out of range.
 */
export function loadVerifierConfig(
  env: Readonly<Record<string, string | undefined>>,
  audienceVariable: string,
  defaultAudience: string,
): VerifierConfig {
  // The issuer is compared exactly, so it is validated but kept as written.
  const issuer = readString(env, "AUTH_ISSUER", defaultIssuer);
  checkUrl("AUTH_ISSUER", issuer);
  const allowed = readAllowInsecureHttp(env, allowInsecureHttpVariable);
  const providerUrl = (setting: string, path: string, risk: string) => {
    const url = readUrl(env, setting, `${issuer.replace(/\/+$/, "")}${path}`);
    const derived = readOptionalString(env, setting) === undefined;
    return checkCleartextUrl(setting, url, {
      allowed,
      allowWith: `set ${allowInsecureHttpVariable}=1`,
      risk,
      ...(derived ? { origin: "derived from AUTH_ISSUER" } : {}),
    });
  };
  const maxStaleness = readOptionalString(env, "AUTH_REVOCATION_MAX_STALENESS_SECONDS");
  return {
    issuer,
    jwksUrl: providerUrl("AUTH_JWKS_URL", "/jwt/jwks.json", "anyone on the path could swap the keys that decide which tokens are genuine, and forge tokens (RFC 6750 §5.3)"),
    audience: readString(env, audienceVariable, defaultAudience),
    revocationsUrl: providerUrl("AUTH_REVOCATIONS_URL", revocationListPath, "anyone on the path could hide revocations, and revoked tokens would keep working"),
    revocationPollMs: readInteger(env, "AUTH_REVOCATION_POLL_MS", 2000, 200, 3_600_000),
    revocationMaxStalenessSeconds:
      maxStaleness === undefined ? undefined : readInteger(env, "AUTH_REVOCATION_MAX_STALENESS_SECONDS", 0, 1, 7 * 24 * 3600),
    dpopProofMaxAgeSeconds: readInteger(env, "AUTH_DPOP_PROOF_MAX_AGE_SECONDS", 60, 5, 600),
  };
}
