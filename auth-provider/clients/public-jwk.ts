/**
 * The public key a client registers for private_key_jwt (RFC 7523): checked
 * once, when it is registered, so that the token endpoint never meets a key it
 * cannot use. It must be public (no private members), of a signing kind jose
 * can import (EC P-256/384/521, RSA of at least 2048 bits, OKP Ed25519), and it
 * gets a `kid`: its RFC 7638 thumbprint when it has none.
 */
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";

// Members only private (or symmetric) keys carry (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

// The algorithm each curve signs with, to import a key that names none.
const algorithmOfCurve: Readonly<Record<string, string>> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512", Ed25519: "EdDSA" };

/**
 * The structural checks, synchronous: an object, kty EC, RSA or OKP, no private member, `use` (if any) "sig".
 * @throws TypeError naming the field.
 */
export function checkPublicJwkShape(jwk: unknown, field = "publicJwk"): asserts jwk is JWK {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw new TypeError(`${field} must be a JWK object`);
  const key = jwk as Record<string, unknown>;
  if (key["kty"] !== "EC" && key["kty"] !== "RSA" && key["kty"] !== "OKP") {
    throw new TypeError(`${field} must have kty "EC", "RSA" or "OKP" (got ${JSON.stringify(key["kty"] ?? null)})`);
  }
  const present = privateMembers.filter((member) => member in key);
  if (present.length > 0) {
    throw new TypeError(`${field} must be a public key: it has the private member(s) ${present.join(", ")}; register only the public part`);
  }
  if (key["use"] !== undefined && key["use"] !== "sig") throw new TypeError(`${field} must be a signing key ("use": "sig")`);
  if (key["kid"] !== undefined && (typeof key["kid"] !== "string" || key["kid"] === "")) {
    throw new TypeError(`${field}.kid must be a non-empty string`);
  }
}

/**
 * Checks a public JWK fully and returns it with a `kid` (its RFC 7638 thumbprint when it had none).
 * @throws TypeError naming the field and saying what is wrong.
 */
export async function checkPublicJwk(jwk: unknown, field = "publicJwk"): Promise<JWK> {
  checkPublicJwkShape(jwk, field);
  const alg = jwk.alg ?? defaultAlgorithm(jwk, field);
  if (jwk.kty === "RSA" && Buffer.from(String(jwk.n ?? ""), "base64url").length < 256) {
    throw new TypeError(`${field} must be an RSA key of at least 2048 bits`);
  }
  try {
    await importJWK(jwk, alg);
  } catch (err) {
    throw new TypeError(`${field} cannot be used as a ${alg} verification key: ${(err as Error).message}`);
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk, "sha256"));
  return { ...jwk, kid };
}

function defaultAlgorithm(jwk: JWK, field: string): string {
  if (jwk.kty === "RSA") return "RS256";
  const alg = algorithmOfCurve[String(jwk.crv)];
  const allowed = jwk.kty === "EC" ? ["P-256", "P-384", "P-521"] : ["Ed25519"];
  if (alg === undefined || !allowed.includes(String(jwk.crv))) {
    throw new TypeError(`${field}.crv must be one of ${allowed.join(", ")} for kty ${jwk.kty} (got ${JSON.stringify(jwk.crv ?? null)})`);
  }
  return alg;
}
