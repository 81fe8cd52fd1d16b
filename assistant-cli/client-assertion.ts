/**
 * Client assertions (RFC 7523 §2.2, private_key_jwt): a short-lived JWT the
 * client signs with its private key instead of sending a shared secret. Its
 * audience names the authorization server: the issuer identifier from the
 * auth provider's discovery document (read once per process), so the
 * assertion is accepted whichever address AUTH_URL uses to reach it (a
 * loopback address, a proxy), and the token endpoint URL as called when
 * discovery cannot be read.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { PrivateKeyCredentials } from "./client-credentials.js";

export const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** How long an assertion is valid: long enough for clock skew and one slow request, far below the 5-minute limit. */
const lifetimeSeconds = 60;

/** Signs a one-time assertion for the auth provider whose token endpoint is tokenEndpoint (its jti is random). */
export async function signClientAssertion(credentials: PrivateKeyCredentials, tokenEndpoint: string, audience: string = tokenEndpoint): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: credentials.alg, typ: "JWT" })
    .setIssuer(credentials.clientId)
    .setSubject(credentials.clientId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .setJti(randomUUID())
    .sign(credentials.privateKey);
}

/** The discovery document's URL for an auth provider reached at authUrl (RFC 8414 §3, issuer path /auth). */
export function discoveryUrl(authUrl: string): string {
  return `${authUrl}/.well-known/oauth-authorization-server/auth`;
}
