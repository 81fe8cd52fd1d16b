/**
 * The auth provider's public keys, fetched from its JWKS URL and cached.
 *
 * - Verifying a token needs no call to the provider while its key is cached.
 * - The cache is refreshed in the background once it is older than
 *   `refreshIntervalMs`; until the refresh succeeds the cached keys keep working,
 *   so an outage of the provider does not stop calls with known keys.
 * - A token whose `kid` is not cached triggers one refetch, at most once every
 *   `minRefetchIntervalMs`, so a flood of unknown kids cannot hammer the provider.
 * - With no keys at all (the provider was never reachable), getKey fails with
 *   `keys_unavailable`, which services answer as UNAVAILABLE, and retries the
 *   fetch at most once every `retryIntervalMs`: a service started before the
 *   provider recovers within a second of the provider coming up.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters, type FlattenedJWSInput } from "jose";
import { AccessTokenError } from "./access-token-error.js";
import { createProviderDocumentFetcher } from "./fetch-provider-document.js";

export interface JwksKeySourceOptions {
  /** The provider's JWKS URL. */
  url: string;
  /** PEM of the CA certificate(s) to trust for an https URL, in addition to Node's built-in roots; default none. */
  ca?: string;
  /** Give up on one fetch after this long; default 5000 ms. */
  fetchTimeoutMs?: number;
  /** Refresh cached keys in the background after this long; default 300000 ms. */
  refreshIntervalMs?: number;
  /** Fetch at most this often while keys are cached, whatever the reason; default 10000 ms. */
  minRefetchIntervalMs?: number;
  /** Fetch at most this often while no key was ever fetched (start-up before the provider); default 1000 ms. */
  retryIntervalMs?: number;
  /** Called after each fetch attempt (for logs and tests). */
  onFetch?: (outcome: { ok: boolean; keyCount?: number; error?: string; keysCached: boolean }) => void;
  /** The clock; default Date.now. */
  now?: () => number;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
export type VerificationKey = Awaited<ReturnType<KeyResolver>>;

export interface JwksKeySource {
  /** The key that verifies a token with this header; see the failure modes above. */
  getKey(header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey>;
  /** Fetches the keys now unless fetched recently; never throws. */
  refresh(): Promise<void>;
  /** Whether the key with this id is in the JWKS as last fetched (a key dropped by the provider is not). */
  isPublished(kid: string): boolean;
  /** How many times the JWKS was fetched (for tests and benchmarks). */
  readonly fetchCount: number;
}

const maxJwksBytes = 1024 * 1024;

/** Creates a key source; it fetches nothing until asked (call refresh() to warm it). */
export function createJwksKeySource(options: JwksKeySourceOptions): JwksKeySource {
  const url = new URL(options.url);
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 5000;
  const refreshIntervalMs = options.refreshIntervalMs ?? 300_000;
  const minRefetchIntervalMs = options.minRefetchIntervalMs ?? 10_000;
  const retryIntervalMs = options.retryIntervalMs ?? 1_000;
  const now = options.now ?? Date.now;
  const fetchJwks = createProviderDocumentFetcher({ url: url.href, ...(options.ca === undefined ? {} : { ca: options.ca }), timeoutMs: fetchTimeoutMs, maxBytes: maxJwksBytes });

  let resolver: KeyResolver | undefined;
  let publishedKids = new Set<string>();
  let fetchedAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastError = "";
  let inflight: Promise<void> | undefined;
  let fetchCount = 0;

  async function fetchKeys(): Promise<void> {
    lastAttemptAt = now();
    fetchCount++;
    try {
      const fetched = await fetchJwks();
      if (fetched.status !== "ok") throw new Error("unexpected 304"); // no ETag is sent
      const jwks = fetched.body as JSONWebKeySet;
      resolver = createLocalJWKSet(jwks);
      publishedKids = new Set(jwks.keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === "string"));
      fetchedAt = now();
      lastError = "";
      options.onFetch?.({ ok: true, keyCount: Array.isArray(jwks.keys) ? jwks.keys.length : 0, keysCached: true });
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      options.onFetch?.({ ok: false, error: lastError, keysCached: resolver !== undefined });
    }
  }

  /** One fetch at a time; callers share the one in flight. */
  function fetchOnce(): Promise<void> {
    inflight ??= fetchKeys().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  const mayFetch = () => now() - lastAttemptAt >= (resolver === undefined ? retryIntervalMs : minRefetchIntervalMs);

  return {
    get fetchCount() {
      return fetchCount;
    },
    isPublished: (kid) => publishedKids.has(kid),
    async refresh() {
      if (inflight) return inflight;
      if (mayFetch()) await fetchOnce();
    },
    async getKey(header, token) {
      if (resolver === undefined) {
        if (inflight || mayFetch()) await fetchOnce();
        if (resolver === undefined) {
          throw new AccessTokenError("keys_unavailable", `cannot fetch the auth provider's keys from ${url.href}: ${lastError}`);
        }
      } else if (now() - fetchedAt >= refreshIntervalMs && mayFetch()) {
        void fetchOnce(); // refresh in the background; keep using the cached keys meanwhile
      }
      try {
        return await resolver(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
        if (inflight || mayFetch()) {
          await fetchOnce();
          try {
            return await resolver!(header, token);
          } catch (retryErr) {
            if (!(retryErr instanceof errors.JWKSNoMatchingKey)) throw retryErr;
          }
        }
        const kid = typeof header.kid === "string" ? `"${header.kid.slice(0, 64)}"` : "(none)";
        throw new AccessTokenError("unknown_key", `no key of the auth provider matches the token's key id ${kid} and algorithm ${header.alg}`, {
          cause: err,
        });
      }
    },
  };
}
