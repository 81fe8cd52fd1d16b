/**
 * Access tokens cached per (auth URL, client, audience, scope, and what the
 * token is bound to: a DPoP key, a client certificate), in memory and in a
 * file only the user can read, so repeated commands make no token request.
 * Each entry keeps its token type (entries written before DPoP are Bearer).
 * A token is reused until `refreshMarginMs` before it expires.
 * A cache file that cannot be read or written is ignored: caching is an
 * optimisation, never a reason to fail.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { ensurePrivateDir, writePrivateFileAtomic } from "../common/private-files.js";
import type { IssuedToken } from "./token-endpoint-client.js";

export interface TokenCache {
  get(key: string): IssuedToken | undefined;
  put(key: string, token: IssuedToken): void;
  delete(key: string): void;
}

export interface TokenCacheOptions {
  /** The cache file; undefined keeps tokens in memory only. */
  file?: string;
  /** Tokens closer than this to expiry are not reused; default 60 s. */
  refreshMarginMs?: number;
  now?: () => number;
}

/** What a token is bound to: the thumbprints of the DPoP key and of the client certificate it was asked for with. */
export interface TokenBinding {
  readonly dpopKey?: string | undefined;
  readonly certificate?: string | undefined;
}

/** The cache key of a token; one asked for without a DPoP key or a client certificate has the key it had before them. */
export function tokenCacheKey(authUrl: string, clientId: string, audience: string, scope: string, binding: TokenBinding = {}): string {
  const bindings = [
    ...(binding.dpopKey === undefined ? [] : [`jkt:${binding.dpopKey}`]),
    ...(binding.certificate === undefined ? [] : [`x5t#S256:${binding.certificate}`]),
  ];
  return JSON.stringify([authUrl, clientId, audience, scope, ...bindings]);
}

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const margin = options.refreshMarginMs ?? 60_000;
  const now = options.now ?? Date.now;
  const memory = new Map<string, IssuedToken>(options.file ? Object.entries(readFile(options.file)) : []);

  const persist = () => {
    if (!options.file) return;
    const fresh = Object.fromEntries([...memory].filter(([, token]) => token.expiresAt > now()));
    try {
      ensurePrivateDir(dirname(options.file));
      writePrivateFileAtomic(options.file, JSON.stringify(fresh));
    } catch {
      // Unwritable cache: the next command asks for a new token.
    }
  };

  return {
    get(key) {
      const token = memory.get(key);
      return token && token.expiresAt - margin > now() ? token : undefined;
    },
    put(key, token) {
      memory.set(key, token);
      persist();
    },
    delete(key) {
      if (memory.delete(key)) persist();
    },
  };
}

function readFile(file: string): Record<string, IssuedToken> {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Record<string, Partial<IssuedToken>>;
    return Object.fromEntries(
      Object.entries(parsed)
        .filter(([, t]) => typeof t?.accessToken === "string" && typeof t.expiresAt === "number" && (t.tokenType === undefined || t.tokenType === "Bearer" || t.tokenType === "DPoP"))
        .map(([key, t]) => [key, { ...t, tokenType: t.tokenType ?? "Bearer" } as IssuedToken]),
    );
  } catch {
    return {};
  }
}
