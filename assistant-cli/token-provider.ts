/**
 * Gets the narrowest token a call needs: one audience, one scope. Reuses a
 * cached token when it can; `invalidate` drops one the service refused (keys
 * rotated, token revoked) so the next get fetches a fresh one.
 */
import type { ClientCredentials } from "./client-credentials.js";
import { requestAccessToken, type IssuedToken } from "./token-endpoint-client.js";
import { tokenCacheKey, type TokenCache } from "./token-cache.js";

export interface ProvidedToken extends IssuedToken {
  /** True when the token came from the cache, not from the auth provider. */
  cached: boolean;
}

export interface TokenProvider {
  getToken(audience: string, scope: string): Promise<ProvidedToken>;
  invalidate(audience: string, scope: string): void;
}

export interface TokenProviderOptions {
  authUrl: string;
  /** Read lazily: commands that need no token never need credentials. */
  credentials: () => ClientCredentials;
  cache: TokenCache;
  /** PEM of the CA(s) to trust for an https auth URL (--ca-file); default none. */
  ca?: string | undefined;
}

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const inflight = new Map<string, Promise<ProvidedToken>>();
  const keyOf = (audience: string, scope: string) => tokenCacheKey(options.authUrl, options.credentials().clientId, audience, scope);
  return {
    getToken(audience, scope) {
      const key = keyOf(audience, scope);
      const cached = options.cache.get(key);
      if (cached) return Promise.resolve({ ...cached, cached: true });
      let pending = inflight.get(key);
      if (!pending) {
        pending = requestAccessToken(options.authUrl, options.credentials(), audience, scope, { ca: options.ca })
          .then((token) => {
            options.cache.put(key, token);
            return { ...token, cached: false };
          })
          .finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
    invalidate(audience, scope) {
      options.cache.delete(keyOf(audience, scope));
    },
  };
}
