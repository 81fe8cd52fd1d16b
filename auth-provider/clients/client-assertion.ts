/**
 * private_key_jwt (RFC 7523 §2.2, §3): a client proves who it is with a JWT it
 * signed with its own private key, checked against the public JWK registered
 * for it. No shared secret crosses the wire, and an assertion is worth one
 * request: its jti is accepted once (remembered across replicas until it
 * expires) and it lives at most 5 minutes.
 *
 * Checks, in this order: the assertion is a JWT whose iss and sub are the
 * client id (read before the signature, to know whose key to use) → signed
 * with an asymmetric algorithm that suits the client's key, by that key → aud
 * names the token endpoint or the issuer → exp present, not passed, at most
 * 300 s ahead → nbf and iat not in the future → jti present and not seen
 * before. An unknown or disabled client, or one without a registered key, gets
 * the same answer as a wrong signature, so the answer never tells which ids
 * exist. Every failure is invalid_client with a description saying what to fix.
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from "jose";
import type { ClientRecord } from "./client-record.js";
import type { ClientAssertionReplayGuard } from "../storage/auth-store.js";
import { OAuthError, quoteValue } from "../token/oauth-error.js";

/** The client_assertion_type of a JWT client assertion (RFC 7523 §2.2). */
export const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The longest an assertion may live: its exp at most this many seconds after now. */
export const maxAssertionLifetimeSeconds = 300;

/** Tolerance for the client's clock in the exp, nbf and iat checks (the services allow the same for tokens). */
export const assertionClockToleranceSeconds = 30;

/** The asymmetric JWS algorithms accepted for assertions (published in the metadata). */
export const assertionSigningAlgorithms = [
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "RS256",
  "RS384",
  "RS512",
  "EdDSA",
  "Ed25519",
] as const;

/** What checking an assertion needs besides the client. */
export interface ClientAssertionOptions {
  /** The issuer URL: accepted as aud, as is the token endpoint URL. */
  readonly issuer: string;
  /** The token endpoint URL (<issuer>/oauth/token). */
  readonly tokenEndpointUrl: string;
  readonly replayGuard: ClientAssertionReplayGuard;
  /** The clock in milliseconds; default Date.now. */
  readonly now?: () => number;
}

const failed = (description: string) => new OAuthError("invalid_client", `the client assertion ${description}`);

/**
 * The client id an assertion claims (its sub), read without checking the signature.
 * @throws OAuthError invalid_client when it is not a JWT, or iss and sub are missing or differ.
 */
export function assertedClientId(assertion: string): string {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw failed("is not a JWT (three base64url parts: header, claims, signature)");
  }
  const { iss, sub } = claims;
  if (typeof iss !== "string" || typeof sub !== "string" || iss === "" || iss !== sub) {
    throw failed("must have iss and sub, both set to the client id");
  }
  return sub;
}

/**
 * Checks an assertion of the client `clientId` (from {@link assertedClientId}); client is the store's record for
 * that id, or undefined when there is none. Resolves with the client when the assertion is good; its jti is then
 * used up.
 * @throws OAuthError invalid_client saying what is wrong; the store's error when the replay guard cannot answer.
 */
export async function verifyClientAssertion(
  assertion: string,
  clientId: string,
  client: ClientRecord | undefined,
  options: ClientAssertionOptions,
): Promise<ClientRecord> {
  const alg = signingAlgorithmOf(assertion);
  const notSigned = failed(
    `is not signed by the key registered for client ${quoteValue(clientId)} ` +
      "(private_key_jwt needs a registered public key, an enabled client, and the matching private key and alg)",
  );
  const jwk = client?.disabled === false ? client.publicJwk : undefined;
  if (client === undefined || jwk === undefined || !algorithmsForKey(jwk).includes(alg)) throw notSigned;
  const claims = await verifiedClaims(assertion, jwk, alg, notSigned);
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const { exp, jti } = checkClaims(claims, clientId, nowSeconds, options);
  if (!(await options.replayGuard.useOnce(clientId, jti, exp + assertionClockToleranceSeconds))) {
    throw failed("was already used (jti replay): sign a new assertion, with a new jti, for each request");
  }
  return client;
}

const ecAlgorithms: Readonly<Record<string, string[]>> = { "P-256": ["ES256"], "P-384": ["ES384"], "P-521": ["ES512"] };

/** The algorithms a public JWK can verify: those its type and curve suit, narrowed to its own alg if it names one. */
export function algorithmsForKey(jwk: JWK): string[] {
  let suited: string[];
  if (jwk.kty === "EC") suited = ecAlgorithms[jwk.crv ?? ""] ?? [];
  else if (jwk.kty === "RSA") suited = ["PS256", "PS384", "PS512", "RS256", "RS384", "RS512"];
  else if (jwk.kty === "OKP" && jwk.crv === "Ed25519") suited = ["EdDSA", "Ed25519"];
  else suited = [];
  return jwk.alg === undefined ? suited : suited.filter((alg) => alg === jwk.alg);
}

// The header's alg, when it is one of the accepted asymmetric algorithms.
function signingAlgorithmOf(assertion: string): string {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(assertion).alg;
  } catch {
    throw failed("is not a JWT (its header is not readable)");
  }
  if (alg === undefined || !(assertionSigningAlgorithms as readonly string[]).includes(alg)) {
    throw failed(
      `must be signed with an asymmetric algorithm (${assertionSigningAlgorithms.join(", ")}), not ${quoteValue(alg ?? "none")}`,
    );
  }
  return alg;
}

// The claims, once the signature verifies with jwk; else notSigned (as for an unknown client).
async function verifiedClaims(assertion: string, jwk: JWK, alg: string, notSigned: OAuthError): Promise<Record<string, unknown>> {
  let claims: unknown;
  try {
    const { payload } = await compactVerify(assertion, await importJWK(jwk, alg), { algorithms: [alg] });
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw notSigned;
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw failed("claims are not a JSON object");
  return claims as Record<string, unknown>;
}

// Checks the claims in a fixed order; returns exp and jti.
function checkClaims(
  claims: Record<string, unknown>,
  clientId: string,
  now: number,
  options: ClientAssertionOptions,
): { exp: number; jti: string } {
  const tolerance = assertionClockToleranceSeconds;
  if (claims["iss"] !== clientId || claims["sub"] !== clientId) throw failed("must have iss and sub, both set to the client id");
  const aud = claims["aud"];
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((a) => a === options.tokenEndpointUrl || a === options.issuer)) {
    throw failed(`must have aud set to the token endpoint URL ${options.tokenEndpointUrl} or the issuer ${options.issuer}`);
  }
  const exp = claims["exp"];
  if (typeof exp !== "number") throw failed("must have exp (seconds since the epoch, at most 300 s ahead)");
  if (exp <= now - tolerance) {
    throw failed(`has expired (exp is ${now - exp} s in the past): sign a fresh assertion for each request`);
  }
  if (exp > now + maxAssertionLifetimeSeconds + tolerance) {
    throw failed(`expires too far ahead: at most ${maxAssertionLifetimeSeconds} s (its exp is ${exp - now} s from now)`);
  }
  for (const name of ["nbf", "iat"] as const) {
    const value = claims[name];
    if (value === undefined) continue;
    if (typeof value !== "number") throw failed(`has a ${name} that is not a number of seconds`);
    if (value > now + tolerance) throw failed(`has a ${name} ${value - now} s in the future: check the client's clock`);
  }
  const jti = claims["jti"];
  if (typeof jti !== "string" || jti === "") throw failed("must have a jti (a unique id for each assertion)");
  if (jti.length > 256) throw failed("has a jti longer than 256 characters");
  return { exp, jti };
}
