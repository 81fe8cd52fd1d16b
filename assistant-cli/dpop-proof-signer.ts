/**
 * Signs DPoP proofs (RFC 9449 §4.2): one fresh JWT per HTTP request, with
 * the public key in its header, naming the request's method (`htm`) and URL
 * (`htu`), a unique `jti` and `iat` now; towards a service also `ath`, the
 * hash of the access token it accompanies. Signed with node:crypto directly:
 * one ES256 signature, no key import, per call.
 */
import { randomUUID, sign } from "node:crypto";
import { accessTokenHash, normalizeHtu } from "../interceptor/dpop-proof.js";
import type { DpopKey } from "./dpop-key.js";

/** The request a proof is for. */
export interface ProofRequest {
  /** The HTTP method (POST for every RPC, and for the token endpoint). */
  readonly method: string;
  /** The URL called; its query and fragment are left out of `htu`. */
  readonly url: string;
  /** Towards a resource server: the access token sent with the proof. */
  readonly accessToken?: string;
}

/** A compact JWS with `typ: dpop+jwt`; `now` in milliseconds (default Date.now), `jti` random unless given. */
export function signDpopProof(key: DpopKey, request: ProofRequest, now: number = Date.now(), jti: string = randomUUID()): string {
  const header = { typ: "dpop+jwt", alg: key.alg, jwk: key.publicJwk };
  const claims = {
    jti,
    htm: request.method,
    htu: normalizeHtu(request.url),
    iat: Math.floor(now / 1000),
    ...(request.accessToken === undefined ? {} : { ath: accessTokenHash(request.accessToken) }),
  };
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  // JWS wants the raw r || s form of an ECDSA signature (RFC 7518 §3.4), not DER.
  const signature = sign("sha256", Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${signingInput}.${signature.toString("base64url")}`;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
