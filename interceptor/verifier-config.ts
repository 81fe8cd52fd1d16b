/**
 * A service's token-verification settings from the environment: AUTH_ISSUER,
 * AUTH_JWKS_URL and the service's own audience variable.
 */
import { checkUrl, readString, readUrl } from "../common/env.js";

export interface VerifierConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export const defaultIssuer = "http://localhost:3001/auth";

/** Reads the settings; `audienceVariable` is e.g. CALENDAR_AUDIENCE. */
export function loadVerifierConfig(
  env: Readonly<Record<string, string | undefined>>,
  audienceVariable: string,
  defaultAudience: string,
): VerifierConfig {
  // The issuer is compared exactly, so it is validated but kept as written.
  const issuer = readString(env, "AUTH_ISSUER", defaultIssuer);
  checkUrl("AUTH_ISSUER", issuer);
  return {
    issuer,
    jwksUrl: readUrl(env, "AUTH_JWKS_URL", `${issuer.replace(/\/+$/, "")}/jwt/jwks.json`),
    audience: readString(env, audienceVariable, defaultAudience),
  };
}
