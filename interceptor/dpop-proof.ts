/**
 * DPoP proofs (RFC 9449 §4): a JWT the client signs for one HTTP request with
 * the private key its tokens are bound to. The checks of §4.3, shared by the
 * auth provider's token endpoint and the services' token guard:
 *
 *  - a compact JWS with `typ: dpop+jwt` and an asymmetric `alg`;
 *  - a public key in the `jwk` header (never one with private members), which
 *    verifies the signature;
 *  - `htm` equal to the request's method and `htu` to its URL (without query
 *    and fragment; scheme and host compared case-insensitively, default ports
 *    dropped);
 *  - `iat` inside the acceptance window (`maxAgeSeconds` in the past, the clock
 *    tolerance in the future);
 *  - `jti` not seen before within that window (the caller's replay cache);
 *  - at a resource server, `ath` equal to the hash of the access token.
 *
 * Server-provided nonces (§8) are not used: the window and the replay cache
 * bound replays instead. Imported keys are cached by their JWK, so a client
 * that keeps its key costs one signature check per proof and no key import.
 */
import { createHash } from "node:crypto";
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from "jose";

/** The algorithms accepted for proofs (published as dpop_signing_alg_values_supported). */
export const dpopSigningAlgorithms = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"] as const;

/** A failed check; `message` says which, for the error_description of `invalid_dpop_proof`. */
export class DpopProofError extends Error {
  override name = "DpopProofError";
}

/** What a proof must match. */
export interface ExpectedProof {
  /** The request's HTTP method. */
  readonly method: string;
  /** URLs the proof's htu may name (the request's URL, and any other name the server has); compared normalised. */
  readonly urls: readonly string[];
  /** At a resource server: the access token the proof must be bound to (its hash is `ath`). */
  readonly accessToken?: string;
}

/** A proof that passed every check. */
export interface VerifiedProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's key (base64url): what `cnf.jkt` names. */
  readonly thumbprint: string;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
}

export interface DpopProofVerifierOptions {
  /** Oldest accepted `iat`, in seconds before now; default 60. */
  readonly maxAgeSeconds?: number;
  /** How far in the future `iat` may lie (client clocks); default 5. */
  readonly clockToleranceSeconds?: number;
  /** Proof ids remembered for replay detection at most; default 500 000 (see createProofReplayCache). */
  readonly maxRememberedProofs?: number;
  /** The clock in milliseconds; default Date.now. */
  readonly now?: () => number;
}

export type DpopProofVerifier = (proof: string | undefined, expected: ExpectedProof) => Promise<VerifiedProof>;

/** Proofs longer than this are refused before parsing (a P-521 or RSA-4096 proof is well under 4 KiB). */
const maxProofLength = 8192;

const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/** Creates a verifier with its own key cache and replay cache (one per process and endpoint family). */
export function createDpopProofVerifier(options: DpopProofVerifierOptions = {}): DpopProofVerifier {
  const maxAge = options.maxAgeSeconds ?? 60;
  const tolerance = options.clockToleranceSeconds ?? 5;
  const now = options.now ?? Date.now;
  const keys = createKeyCache(1000);
  const replays = createProofReplayCache(options.maxRememberedProofs ?? 500_000);

  return async (proof, expected) => {
    if (proof === undefined || proof === "") throw new DpopProofError("a DPoP proof is required (the DPoP header)");
    if (proof.length > maxProofLength || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) {
      throw new DpopProofError("the DPoP proof is not a compact JWS");
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw new DpopProofError("the DPoP proof's header is not valid base64url JSON");
    }
    if (header.typ !== "dpop+jwt") throw new DpopProofError('the DPoP proof\'s typ must be "dpop+jwt"');
    const alg = header.alg;
    if (typeof alg !== "string" || !(dpopSigningAlgorithms as readonly string[]).includes(alg)) {
      throw new DpopProofError(`the DPoP proof's alg must be one of ${dpopSigningAlgorithms.join(", ")}`);
    }
    const jwk = header.jwk;
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw new DpopProofError("the DPoP proof's header has no jwk");
    if (privateMembers.some((member) => member in jwk)) throw new DpopProofError("the DPoP proof's jwk holds a private key; send the public key only");
    const { key, thumbprint } = await keys.get(jwk, alg);
    let claims: Record<string, unknown>;
    try {
      const { payload } = await compactVerify(proof, key, { algorithms: [alg] });
      claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      throw new DpopProofError("the DPoP proof's signature does not verify with its jwk");
    }
    if (typeof claims !== "object" || claims === null) throw new DpopProofError("the DPoP proof's claims are not a JSON object");
    const { jti, htm, htu, iat, ath } = claims;
    if (typeof jti !== "string" || jti === "" || jti.length > 256) throw new DpopProofError("the DPoP proof needs a jti (a unique id, at most 256 characters)");
    if (htm !== expected.method) throw new DpopProofError(`the DPoP proof's htm must be ${expected.method}`);
    const wanted = expected.urls.map(normalizeHtu);
    if (typeof htu !== "string" || !wanted.includes(normalizeHtu(htu))) {
      throw new DpopProofError(`the DPoP proof's htu must be ${wanted[0] ?? "the request URL"}`);
    }
    const nowSeconds = Math.floor(now() / 1000);
    if (typeof iat !== "number") throw new DpopProofError("the DPoP proof needs an iat (seconds since the epoch)");
    if (iat > nowSeconds + tolerance) throw new DpopProofError(`the DPoP proof's iat is ${iat - nowSeconds} s in the future: check the client's clock`);
    if (iat < nowSeconds - maxAge || iat < replays.oldestAcceptedIat()) {
      throw new DpopProofError(`the DPoP proof is stale: its iat is ${nowSeconds - iat} s old (at most ${maxAge} s); sign a new proof for each request`);
    }
    if (expected.accessToken !== undefined && ath !== accessTokenHash(expected.accessToken)) {
      throw new DpopProofError("the DPoP proof's ath does not match the access token (base64url SHA-256 of it)");
    }
    if (!replays.add(`${thumbprint}:${jti}`, iat, nowSeconds - maxAge)) throw new DpopProofError("the DPoP proof was already used (jti replay): sign a new proof for each request");
    return { thumbprint, jti, issuedAt: iat };
  };
}

/** `ath`: the base64url SHA-256 of the access token (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken, "ascii").digest("base64url");
}

/** The htu of a proof for a request to url: without query and fragment, as WHATWG URL serialises it. */
export function normalizeHtu(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = "";
    parsed.hash = "";
    return parsed.href;
  } catch {
    return url;
  }
}

// Imported keys by their JWK's JSON, least recently used first out; with each key its thumbprint.
function createKeyCache(maxEntries: number) {
  const entries = new Map<string, Promise<{ key: Awaited<ReturnType<typeof importJWK>>; thumbprint: string }>>();
  return {
    get(jwk: object, alg: string) {
      const id = `${alg}:${JSON.stringify(jwk)}`;
      let entry = entries.get(id);
      if (entry === undefined) {
        entry = (async () => {
          try {
            return { key: await importJWK(jwk as JWK, alg), thumbprint: await calculateJwkThumbprint(jwk as JWK, "sha256") };
          } catch {
            throw new DpopProofError(`the DPoP proof's jwk is not a public key usable with ${alg}`);
          }
        })();
        entry.catch(() => entries.delete(id));
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      } else {
        entries.delete(id); // move to the most recently used end
      }
      entries.set(id, entry);
      return entry;
    },
  };
}

/**
 * Proof ids seen within the acceptance window, in memory. Bounded: when full, the entries with the oldest iat go
 * first and proofs at or before that iat are refused from then on (oldestAcceptedIat), so a forgotten proof can
 * never be replayed; under a flood the window narrows instead of memory growing.
 */
export function createProofReplayCache(maxEntries: number) {
  // Buckets by iat second, in insertion order of seconds (iat rarely goes backwards by much; order is re-checked).
  const buckets = new Map<number, Set<string>>();
  let size = 0;
  let floor = Number.NEGATIVE_INFINITY;
  const dropOldest = () => {
    const oldest = Math.min(...buckets.keys());
    size -= buckets.get(oldest)!.size;
    buckets.delete(oldest);
    floor = Math.max(floor, oldest + 1);
  };
  return {
    oldestAcceptedIat: () => floor,
    /** False when id was seen; otherwise remembers it. Forgets buckets older than minIat. */
    add(id: string, iat: number, minIat: number): boolean {
      for (const [second, ids] of buckets) {
        if (second >= minIat) continue;
        size -= ids.size;
        buckets.delete(second);
      }
      const bucket = buckets.get(iat);
      if (bucket?.has(id)) return false;
      if (bucket === undefined) buckets.set(iat, new Set([id]));
      else bucket.add(id);
      size++;
      while (size > maxEntries && buckets.size > 1) dropOldest();
      return iat >= floor;
    },
    get size() {
      return size;
    },
  };
}
