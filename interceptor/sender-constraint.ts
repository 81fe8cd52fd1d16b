/**
 * Proof of possession for a sender-constrained token, checked on every call
 * (the verified-token cache remembers the token, never a proof):
 *
 *  - DPoP (cnf.jkt, RFC 9449 §7.1): exactly one `dpop` header holding a proof
 *    that passes dpop-proof.ts with htm = the request's HTTP method (POST for
 *    gRPC, gRPC-Web and Connect; GET for a Connect GET), htu = the request URL
 *    without query (or the same path under one of the service's public URLs,
 *    for a service behind a proxy), ath = the hash of this token, and signed by the key the
 *    token names (its thumbprint equals cnf.jkt);
 *  - a client certificate (cnf.x5t#S256, RFC 8705 §3): the TLS connection
 *    presented a certificate whose SHA-256 equals it (the handshake proved the
 *    private key, so no CA is needed).
 *
 * It knows nothing about the RPC framework: the adapter hands over what the
 * request presented as {@link SenderEvidence}.
 */
import { AccessTokenError } from "./access-token-error.js";
import { DpopProofError, type DpopProofVerifier } from "./dpop-proof.js";
import type { Principal } from "./principal.js";

/** What a call presents besides its token. */
export interface SenderEvidence {
  /** The request's HTTP method: POST, or GET for a Connect GET request. */
  readonly httpMethod: string;
  /** The URL as received: `<scheme>://<authority><path>[?query]`. */
  readonly url: string;
  /** Other URLs of the same request a proof may name (the service's public URLs behind a proxy); default none. */
  readonly alternateUrls?: readonly string[];
  /** The `dpop` header value; repeated headers arrive joined with ", ". Null when absent. */
  readonly dpopHeader: string | null;
  /** The base64url SHA-256 of the client certificate of the connection (DER); undefined without one. Called only when needed. */
  readonly peerCertificateThumbprint: () => string | undefined;
}

/** Checks a bound principal's proof of possession; nothing for an unbound one. */
export type SenderConstraintCheck = (principal: Principal, token: string, evidence: SenderEvidence | undefined) => Promise<void>;

/**
 * Builds the check with the process's proof verifier (its replay cache and key cache are shared by every call).
 * @throws AccessTokenError from the check: `invalid_dpop_proof` naming the failed check, `certificate_mismatch`.
 */
export function createSenderConstraintCheck(verifyProof: DpopProofVerifier): SenderConstraintCheck {
  return async (principal, token, evidence) => {
    const { confirmation } = principal;
    if (confirmation === undefined) return;
    if (confirmation.x5tS256 !== undefined) checkCertificate(confirmation.x5tS256, evidence);
    if (confirmation.jkt !== undefined) await checkDpopProof(verifyProof, confirmation.jkt, token, evidence);
  };
}

function checkCertificate(x5tS256: string, evidence: SenderEvidence | undefined): void {
  const presented = evidence?.peerCertificateThumbprint();
  if (presented === x5tS256) return;
  throw new AccessTokenError(
    "certificate_mismatch",
    presented === undefined
      ? "the access token is bound to a client certificate (cnf.x5t#S256) that this connection did not present: connect over TLS with that certificate"
      : "the access token is bound to a client certificate (cnf.x5t#S256) that this connection did not present: it presented another one",
  );
}

async function checkDpopProof(verifyProof: DpopProofVerifier, jkt: string, token: string, evidence: SenderEvidence | undefined): Promise<void> {
  const refuse = (message: string, cause?: unknown) => new AccessTokenError("invalid_dpop_proof", message, { scheme: "DPoP", cause });
  const header = evidence?.dpopHeader ?? undefined;
  // RFC 9449 §4.3 (1): one DPoP header. A proof (compact JWS) never contains a comma; a comma means several joined.
  if (header?.includes(",")) throw refuse("more than one DPoP proof: send exactly one dpop header");
  if (evidence === undefined) throw refuse("a DPoP proof is required (the DPoP header)");
  let proof;
  try {
    const urls = evidence.alternateUrls === undefined ? [evidence.url] : [evidence.url, ...evidence.alternateUrls];
    proof = await verifyProof(header, { method: evidence.httpMethod, urls, accessToken: token });
  } catch (err) {
    if (err instanceof DpopProofError) throw refuse(err.message, err);
    throw err;
  }
  if (proof.thumbprint !== jkt) throw refuse("the DPoP proof is signed with another key than the one the access token is bound to (cnf.jkt)");
}
