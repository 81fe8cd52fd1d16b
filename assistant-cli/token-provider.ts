/**
 * Gets the narrowest token a call needs: one audience, one scope. Reuses a
 * cached token when it can; `invalidate` drops one the service refused (keys
 * rotated, token revoked) so the next get fetches a fresh one.
 *
 * With DPoP keys (DPoP not turned off) the token is DPoP-bound whenever the
 * auth provider advertises DPoP: a cached DPoP token for the assistant's key
 * is used without asking the auth provider anything; otherwise its discovery
 * document decides (read once per process), and a cached Bearer token serves
 * only when DPoP is not advertised. The key is made on the first DPoP request.
 */
import type { ClientCertificate } from "../common/client-certificate.js";
import type { ClientCredentials } from "./client-credentials.js";
import type { DpopKey, DpopKeyStore } from "./dpop-key.js";
import { dpopAdvertised, requestAccessToken, type IssuedToken, type TokenType } from "./token-endpoint-client.js";
import { tokenCacheKey, type TokenCache } from "./token-cache.js";

export interface ProvidedToken extends IssuedToken {
  /** True when the token came from the cache, not from the auth provider. */
  cached: boolean;
  /** For a DPoP token: the key it is bound to, which signs a proof for each call. */
  dpopKey?: DpopKey;
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
  /** Presented to the auth provider (--client-cert); tokens asked for with it are cached apart. Default none. */
  clientCertificate?: ClientCertificate | undefined;
  /** Where the DPoP key is kept; undefined turns DPoP off (Bearer tokens only). */
  dpopKeys?: DpopKeyStore | undefined;
}

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const inflight = new Map<string, Promise<ProvidedToken>>();
  const tls = { ca: options.ca, clientCertificate: options.clientCertificate };
  const keyOf = (audience: string, scope: string, dpopKey: DpopKey | undefined) =>
    tokenCacheKey(options.authUrl, options.credentials().clientId, audience, scope, { dpopKey: dpopKey?.thumbprint, certificate: options.clientCertificate?.thumbprint });
  // A cached token of the given type, bound to dpopKey when it is DPoP.
  const cached = (audience: string, scope: string, type: TokenType, dpopKey?: DpopKey): ProvidedToken | undefined => {
    const token = options.cache.get(keyOf(audience, scope, dpopKey));
    if (token?.tokenType !== type) return undefined;
    return { ...token, cached: true, ...(type === "DPoP" ? { dpopKey } : {}) };
  };

  const fetchToken = async (audience: string, scope: string): Promise<ProvidedToken> => {
    const credentials = options.credentials();
    const dpopKey = options.dpopKeys !== undefined && (await dpopAdvertised(options.authUrl, tls)) ? options.dpopKeys.getOrCreate() : undefined;
    const reusable = dpopKey === undefined ? cached(audience, scope, "Bearer") : cached(audience, scope, "DPoP", dpopKey);
    if (reusable) return reusable;
    const token = await requestAccessToken(options.authUrl, credentials, audience, scope, { ...tls, dpopKey });
    const bound = token.tokenType === "DPoP" ? dpopKey : undefined;
    options.cache.put(keyOf(audience, scope, bound), token);
    return { ...token, cached: false, ...(bound ? { dpopKey: bound } : {}) };
  };

  return {
    getToken(audience, scope) {
      options.credentials(); // a credentials problem is reported before anything else
      const existingKey = options.dpopKeys?.existing();
      const reusable = existingKey ? cached(audience, scope, "DPoP", existingKey) : options.dpopKeys ? undefined : cached(audience, scope, "Bearer");
      if (reusable) return Promise.resolve(reusable);
      const flight = JSON.stringify([audience, scope]);
      let pending = inflight.get(flight);
      if (!pending) {
        pending = fetchToken(audience, scope).finally(() => inflight.delete(flight));
        inflight.set(flight, pending);
      }
      return pending;
    },
    invalidate(audience, scope) {
      options.cache.delete(keyOf(audience, scope, undefined));
      const existingKey = options.dpopKeys?.existing();
      if (existingKey) options.cache.delete(keyOf(audience, scope, existingKey));
    },
  };
}
