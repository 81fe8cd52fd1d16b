/**
 * DPoP proofs (RFC 9449 §4.2) as tests need them: a client key, a proof for
 * one request (any claim or header overridden, to build the bad ones), and a
 * Connect client interceptor that sends `authorization: DPoP <token>` with a
 * fresh proof per call for the call's real URL. Signed with node:crypto
 * directly (one ES256 signature, no key import), so that load generators can
 * sign many.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Interceptor } from "@connectrpc/connect";
import { calculateJwkThumbprint, type JWK } from "jose";
import { accessTokenHash, normalizeHtu } from "../../interceptor/dpop-proof.js";

export interface DpopTestKey {
  readonly privateKey: KeyObject;
  /** The public JWK (kty, crv, x, y) as proofs carry it. */
  readonly publicJwk: JWK;
  /** Its RFC 7638 thumbprint: what cnf.jkt of a token bound to it holds. */
  readonly thumbprint: string;
}

/** A fresh P-256 key for ES256 proofs. */
export async function createDpopKey(): Promise<DpopTestKey> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
  const publicJwk = { kty, crv, x, y } as JWK;
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, "sha256") };
}

export interface ProofFor {
  /** HTTP method; default POST. */
  readonly method?: string;
  readonly url: string;
  /** The access token, for ath; none: no ath. */
  readonly accessToken?: string;
  /** Seconds since the epoch; default now. */
  readonly iat?: number;
  readonly jti?: string;
  /** Claims to add or replace (undefined removes one). */
  readonly claims?: Record<string, unknown>;
  /** Header members to add or replace (undefined removes one), e.g. a jwk with private members. */
  readonly header?: Record<string, unknown>;
}

/** Signs a proof with `key` (ES256). */
export function signProof(key: DpopTestKey, proof: ProofFor): string {
  const header = { typ: "dpop+jwt", alg: "ES256", jwk: key.publicJwk, ...proof.header };
  const claims = {
    jti: proof.jti ?? randomUUID(),
    htm: proof.method ?? "POST",
    htu: normalizeHtu(proof.url),
    iat: proof.iat ?? Math.floor(Date.now() / 1000),
    ...(proof.accessToken === undefined ? {} : { ath: accessTokenHash(proof.accessToken) }),
    ...proof.claims,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

export interface DpopAuthOptions {
  /** Builds the proof (default: a good one with the key); undefined sends no dpop header. */
  readonly proofFor?: (request: { url: string; method: string }) => string | undefined;
  /**
   * The transport sends side-effect-free unary calls as Connect GET (`useHttpGet`): their proofs name GET. A client
   * interceptor sees POST either way (the transport turns the call into a GET after the interceptors).
   */
  readonly useHttpGet?: boolean;
}

/** A client interceptor: `authorization: DPoP <token>` and a `dpop` proof for the call's URL and HTTP method. */
export function dpopAuth(token: string, key: DpopTestKey, options: DpopAuthOptions = {}): Interceptor {
  const { proofFor, useHttpGet = false } = options;
  return (next) => async (req) => {
    req.header.set("authorization", `DPoP ${token}`);
    const get = useHttpGet && !req.stream && req.method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
    const request = { url: req.url, method: get ? "GET" : req.requestMethod };
    const proof = proofFor ? proofFor(request) : signProof(key, { ...request, accessToken: token });
    if (proof !== undefined) req.header.set("dpop", proof);
    return next(req);
  };
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
