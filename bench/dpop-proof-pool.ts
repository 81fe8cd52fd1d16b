/**
 * DPoP proofs for the load generator: a service refuses a proof it has seen,
 * so every call needs its own, and signing one (an ES256 signature, tens of
 * microseconds) in the load generator would take CPU from the two cores the
 * server shares with it. The pool signs the proofs a run needs before its
 * first call (each with its own jti, all with iat now: a run ends well inside
 * the service's 60 s window) and hands one out per call; should they run out,
 * it signs on the fly and counts them.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey } from "node:crypto";
import type { JWK } from "jose";
import { signProof, type DpopTestKey } from "../test/support/dpop-proofs.js";

export interface ProofPool {
  /** A proof never handed out before. */
  take(): string;
  /** Proofs signed by take() because the presigned ones were used up. */
  readonly signedOnTheFly: number;
}

/** Signs `presigned` proofs for POST `url` bound to `accessToken` now. */
export function createProofPool(privateJwk: JsonWebKey, accessToken: string, url: string, presigned: number): ProofPool {
  const privateKey = createPrivateKey({ key: privateJwk, format: "jwk" });
  const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: "jwk" });
  // The thumbprint is the service's business: the pool only signs.
  const key: DpopTestKey = { privateKey, publicJwk: { kty, crv, x, y } as JWK, thumbprint: "" };
  const sign = () => signProof(key, { url, accessToken });
  const proofs = Array.from({ length: presigned }, sign);
  let signedOnTheFly = 0;
  return {
    take() {
      const proof = proofs.pop();
      if (proof !== undefined) return proof;
      signedOnTheFly++;
      return sign();
    },
    get signedOnTheFly() {
      return signedOnTheFly;
    },
  };
}
