/**
 * A service's token-verification settings from the environment: AUTH_ISSUER,
 * AUTH_JWKS_URL and the service's own audience variable. The JWKS URL must be
 * https unless it points at this machine (or AUTH_ALLOW_INSECURE_HTTP=1): keys
 * fetched in clear from elsewhere can be swapped on the way, and then forged
 * tokens verify.
 */
import { checkCleartextUrl, readAllowInsecureHttp } from "../common/cleartext-policy.js";
import { checkUrl, readOptionalString, readString, readUrl } from "../common/env.js";

export interface VerifierConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export const defaultIssuer = "http://localhost:3001/auth";

/** AUTH_ALLOW_INSECURE_HTTP=1 lets the services fetch the JWKS over plain HTTP from a host other than loopback. */
export const allowInsecureHttpVariable = "AUTH_ALLOW_INSECURE_HTTP";

/**
 * Reads the settings; `audienceVariable` is e.g. CALENDAR_AUDIENCE.
 * @throws ConfigError naming the variable: a bad URL, or an http JWKS URL (given, or derived from AUTH_ISSUER) to
 * a host that is not loopback without AUTH_ALLOW_INSECURE_HTTP=1.
 */
export function loadVerifierConfig(
  env: Readonly<Record<string, string | undefined>>,
  audienceVariable: string,
  defaultAudience: string,
): VerifierConfig {
  // The issuer is compared exactly, so it is validated but kept as written.
  const issuer = readString(env, "AUTH_ISSUER", defaultIssuer);
  checkUrl("AUTH_ISSUER", issuer);
  const jwksUrl = readUrl(env, "AUTH_JWKS_URL", `${issuer.replace(/\/+$/, "")}/jwt/jwks.json`);
  const derived = readOptionalString(env, "AUTH_JWKS_URL") === undefined;
  checkCleartextUrl("AUTH_JWKS_URL", jwksUrl, {
    allowed: readAllowInsecureHttp(env, allowInsecureHttpVariable),
    allowWith: `set ${allowInsecureHttpVariable}=1`,
    risk: "anyone on the path could swap the keys that decide which tokens are genuine, and forge tokens (RFC 6750 §5.3)",
    ...(derived ? { origin: "derived from AUTH_ISSUER" } : {}),
  });
  return {
    issuer,
    jwksUrl,
    audience: readString(env, audienceVariable, defaultAudience),
  };
}
