/**
 * Tokens for tests: real ones from the real token endpoint, and crafted ones
 * signed with the real issuer's key (read from its data directory) or with
 * keys the issuer never published.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, generateKeyPair, importJWK, type JWK, type JWTPayload } from "jose";

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The assistant's credentials as the auth provider wrote them. */
export function readAssistantCredentials(dataDir: string): ClientCredentials {
  const file = JSON.parse(readFileSync(join(dataDir, "clients.json"), "utf8")) as Record<string, ClientCredentials>;
  return file["assistant"]!;
}

/** A token from the token endpoint (client_secret_basic, form body). */
export async function requestToken(authUrl: string, credentials: ClientCredentials, audience: string, scope: string): Promise<string> {
  const response = await fetch(`${authUrl}/auth/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", audience, scope }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

interface StoredKeys {
  currentKid: string;
  signingKeys: { kid: string; alg: string; privateJwk: JWK }[];
}

/** Signs arbitrary claims with the issuer's current private key (to craft expired, wrong-issuer, ... tokens). */
export async function signWithIssuerKey(
  dataDir: string,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  const stored = JSON.parse(readFileSync(join(dataDir, "issuer-keys.json"), "utf8")) as StoredKeys;
  const current = stored.signingKeys.find((k) => k.kid === stored.currentKid)!;
  const key = await importJWK(current.privateJwk, current.alg);
  return new SignJWT(claims).setProtectedHeader({ alg: current.alg, kid: current.kid, typ: "JWT", ...header }).sign(key);
}

/** The kid of the issuer's current key. */
export function issuerKid(dataDir: string): string {
  return (JSON.parse(readFileSync(join(dataDir, "issuer-keys.json"), "utf8")) as StoredKeys).currentKid;
}

/** Signs claims with a fresh key that the issuer never published. */
export async function signWithForeignKey(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256");
  return new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ: "JWT", kid: "foreign", ...header }).sign(privateKey);
}

/** Claims like the issuer's, valid now for `audience` with `scopes`; override any. */
export function accessClaims(issuer: string, audience: string, scopes: string[], overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: "assistant",
    client_id: "assistant",
    aud: [audience],
    scp: scopes,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

/** base64url of a JSON value, for hand-built tokens. */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
