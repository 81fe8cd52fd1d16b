/**
 * What a client of the auth provider does in the lifecycle tests: sign a
 * private_key_jwt assertion with the private key `auth-admin client add
 * --key-out` wrote, call the token, revocation and introspection endpoints
 * with any client authentication, and run `auth-admin` against a provider's
 * data directory (or shared database).
 */
import { readFileSync } from "node:fs";
import { SignJWT, importPKCS8, type CryptoKey, type JWTPayload } from "jose";
import { basicAuthorization, readTokenAnswer, type TokenAnswer } from "./auth-provider.js";
import { runNode } from "./cli.js";

/** The client_assertion_type of private_key_jwt. */
export const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The private key in a PKCS#8 PEM file (as `--key-out` writes it). */
export function readPrivateKey(file: string, alg = "ES256"): Promise<CryptoKey> {
  return importPKCS8(readFileSync(file, "utf8"), alg);
}

/** A client assertion for clientId: aud the token endpoint, exp in 60 s, a fresh jti; claims override or remove (undefined). */
export async function signAssertion(
  key: CryptoKey | Uint8Array,
  clientId: string,
  tokenEndpointUrl: string,
  claims: JWTPayload = {},
  alg = "ES256",
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iss: clientId, sub: clientId, aud: tokenEndpointUrl, iat: now, exp: now + 60, jti: crypto.randomUUID(), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
}

/** How a call authenticates: a secret (Basic or in the body) or an assertion (private_key_jwt). */
export type ClientAuth =
  | { basic: { clientId: string; secret: string } }
  | { post: { clientId: string; secret: string } }
  | { assertion: string; clientId?: string }
  /** Exactly these extra body fields, nothing else (for malformed credentials). */
  | { fields: Record<string, string> };

/** POSTs fields (form or JSON) with client authentication to <baseUrl>/auth<path>. */
export async function postToAuth(
  baseUrl: string,
  path: string,
  fields: Record<string, string>,
  auth: ClientAuth,
  encoding: "form" | "json" = "form",
): Promise<TokenAnswer> {
  const headers: Record<string, string> = {};
  let all = { ...fields };
  if ("basic" in auth) headers["authorization"] = basicAuthorization(auth.basic.clientId, auth.basic.secret);
  else if ("post" in auth) all = { ...all, client_id: auth.post.clientId, client_secret: auth.post.secret };
  else if ("fields" in auth) all = { ...all, ...auth.fields };
  else all = { ...all, client_assertion_type: jwtBearer, client_assertion: auth.assertion, ...(auth.clientId ? { client_id: auth.clientId } : {}) };
  const response = await fetch(`${baseUrl}/auth${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": encoding === "form" ? "application/x-www-form-urlencoded" : "application/json" },
    body: encoding === "form" ? new URLSearchParams(all).toString() : JSON.stringify(all),
  });
  return readTokenAnswer(response);
}

/** A client_credentials token request. */
export function tokenRequest(baseUrl: string, auth: ClientAuth, audience = "note-service", scope = "note.read"): Promise<TokenAnswer> {
  return postToAuth(baseUrl, "/oauth/token", { grant_type: "client_credentials", audience, scope }, auth);
}

/** The access token of a request that must succeed. */
export async function accessToken(baseUrl: string, auth: ClientAuth, audience = "note-service", scope = "note.read"): Promise<string> {
  const answer = await tokenRequest(baseUrl, auth, audience, scope);
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status} ${answer.text}`);
  return String(answer.json!["access_token"]);
}

/** Runs `auth-admin --output json ...args` with env (DATA_DIR, and DATABASE_URL etc. for a shared store); throws unless it exits 0. */
export async function authAdmin(env: Record<string, string>, ...args: string[]): Promise<Record<string, unknown>> {
  const result = await runNode("auth-provider/admin/main.js", ["--output", "json", ...args], env);
  if (result.code !== 0) throw new Error(`auth-admin ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** The issuer a started auth provider announced. */
export function announcedIssuer(logs: Record<string, unknown>[]): string {
  return String(logs.find((line) => line["msg"] === "listening")!["issuer"]);
}
