/**
 * ES256 compact JWS, signed with node:crypto: the protected header is
 * encoded once per key (kept beside the key's KeyObject), and each token
 * costs one JSON.stringify of its claims, one base64url and one ECDSA P-256
 * signature in IEEE P1363 form (r || s, RFC 7518 §3.4). What jose's SignJWT
 * produces with the same header and claims, without WebCrypto's key checks
 * and promise chain. The signature itself is computed on libuv's thread pool
 * (crypto.sign with a callback), as WebCrypto did: the main thread hands it
 * over and goes on with the next request.
 */
import { KeyObject, sign } from "node:crypto";
import type { SigningKey } from "../keys/key-ring.js";

interface PreparedKey {
  /** base64url(header) + "." */
  readonly headerPrefix: string;
  readonly keyObject: KeyObject;
}

/** Signs `claims` with `key` as a compact JWS whose header is {alg, kid, typ: "JWT"}. */
export type Es256JwsSigner = (key: SigningKey, claims: object) => Promise<string>;

/** Creates a signer that prepares each key once, on first use (keys are stable objects in the key ring). */
export function createEs256JwsSigner(): Es256JwsSigner {
  const prepared = new WeakMap<SigningKey, PreparedKey>();
  const prepare = (key: SigningKey): PreparedKey => {
    if (key.alg !== "ES256") throw new Error(`the signing key ${key.kid} is not an ES256 key`);
    const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: "JWT" })).toString("base64url");
    const entry = { headerPrefix: `${header}.`, keyObject: KeyObject.from(key.privateKey) };
    prepared.set(key, entry);
    return entry;
  };
  return (key, claims) => {
    const { headerPrefix, keyObject } = prepared.get(key) ?? prepare(key);
    const signingInput = headerPrefix + Buffer.from(JSON.stringify(claims)).toString("base64url");
    return new Promise((resolve, reject) => {
      sign("sha256", Buffer.from(signingInput, "latin1"), { key: keyObject, dsaEncoding: "ieee-p1363" }, (err, signature) => {
        if (err) reject(err);
        else resolve(`${signingInput}.${signature.toString("base64url")}`);
      });
    });
  };
}
