/**
 * DPoP at the token endpoint (RFC 9449 §5): a client-credentials request with
 * a `DPoP` header gets a token bound to the proof's key (`cnf.jkt`,
 * token_type DPoP). The proof is checked by the verifier the services share
 * (interceptor/dpop-proof.ts) with htm POST and htu either the token endpoint
 * as the metadata names it (<issuer>/oauth/token) or the URL the request was
 * made to (the connection's scheme, the Host header and the path).
 *
 * Replays: the verifier's in-memory cache refuses a proof seen by this
 * process; in addition the proof's jti goes through the store's assertion
 * replay guard (shared by every replica on PostgreSQL, auth.db on SQLite),
 * under a namespace no client id can have ("dpop " + key thumbprint: client
 * ids hold no spaces), so a proof is accepted once across replicas.
 * Server-provided nonces (§8) are not supported: the iat window (60 s back,
 * 5 s ahead) and the replay checks bound replays instead.
 */
import type { Request } from "express";
import { TLSSocket } from "node:tls";
import { createDpopProofVerifier, DpopProofError, type DpopProofVerifier } from "../../interceptor/dpop-proof.js";
import type { ClientRecord } from "../clients/client-record.js";
import type { ClientAssertionReplayGuard } from "../storage/auth-store.js";
import { OAuthError } from "./oauth-error.js";

/** Oldest accepted proof iat, in seconds before now. */
export const dpopProofMaxAgeSeconds = 60;

/** How far in the future a proof's iat may lie (client clocks). */
export const dpopClockToleranceSeconds = 5;

/** Prefix of the replay guard's "client id" for proof ids: a space, which no client id holds. */
const replayNamespace = "dpop ";

/** What DPoP at the token endpoint needs. */
export interface TokenRequestDpopOptions {
  /** <issuer>/oauth/token: always an accepted htu. */
  readonly tokenEndpointUrl: string;
  /** The store's guard, shared across replicas. */
  readonly replayGuard: ClientAssertionReplayGuard;
  /** The proof verifier; default one of its own with the window above. */
  readonly verifier?: DpopProofVerifier;
}

/**
 * Reads and checks the DPoP proof of a token request for client: resolves with the key's thumbprint (for cnf.jkt),
 * or undefined when there is no proof and the client does not require one.
 */
export type TokenRequestDpop = (req: Request, client: ClientRecord) => Promise<string | undefined>;

/**
 * Creates the check.
 * @throws OAuthError invalid_dpop_proof (400) from the check: several DPoP headers, a proof that fails a check of
 *   RFC 9449 §4.3 (the description says which), a replayed proof, or no proof from a client that must send one.
 */
export function createTokenRequestDpop(options: TokenRequestDpopOptions): TokenRequestDpop {
  const verify = options.verifier ?? createDpopProofVerifier({ maxAgeSeconds: dpopProofMaxAgeSeconds, clockToleranceSeconds: dpopClockToleranceSeconds });
  return async (req, client) => {
    // headersDistinct copies every header: asked only when a DPoP header is there at all.
    const headers = req.headers["dpop"] === undefined ? [] : (req.headersDistinct["dpop"] ?? []);
    if (headers.length > 1) throw invalidProof("send one DPoP header with one proof, not several");
    const proof = headers[0];
    if (proof === undefined) {
      if (client.requireDpop) throw invalidProof("this client must prove possession of a key with a DPoP proof");
      return undefined;
    }
    const urls = [options.tokenEndpointUrl, ...requestUrls(req)];
    let verified;
    try {
      verified = await verify(proof, { method: "POST", urls });
    } catch (err) {
      if (err instanceof DpopProofError) throw invalidProof(err.message);
      throw err;
    }
    // Remembered until the proof is stale anyway (one second more for rounding).
    const expiresAt = verified.issuedAt + dpopProofMaxAgeSeconds + 1;
    if (!(await options.replayGuard.useOnce(`${replayNamespace}${verified.thumbprint}`, verified.jti, expiresAt))) {
      throw invalidProof("the DPoP proof was already used (jti replay): sign a new proof for each request");
    }
    return verified.thumbprint;
  };
}

// The URL the request was made to, as a client would name it: scheme of the connection, Host header, path.
function requestUrls(req: Request): string[] {
  const host = req.headers.host;
  if (host === undefined || host === "") return [];
  const scheme = req.socket instanceof TLSSocket ? "https" : "http";
  const path = req.originalUrl.split("?")[0]!;
  return [`${scheme}://${host}${path}`];
}

// error_description may not hold double quotes (RFC 6749 §5.2): the verifier's quotes become single ones.
function invalidProof(description: string): OAuthError {
  return new OAuthError("invalid_dpop_proof", description.replace(/"/g, "'"));
}
