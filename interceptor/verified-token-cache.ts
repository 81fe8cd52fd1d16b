/**
 * Principals of recently verified tokens, so a token used for many calls has
 * its signature and claims checked once. It never lets through what a full
 * verification would refuse: an entry is used only while the token is
 * unexpired (with the same clock tolerance) and its key is still published by
 * the auth provider. Bounded: the least recently used entry goes first.
 * One cache per verifier, so per audience: another service's token is never
 * in it.
 */
import type { Principal } from "./principal.js";

export interface VerifiedTokenCache {
  /** The principal of a cached, still acceptable token; undefined otherwise. */
  get(token: string, nowMs: number): Principal | undefined;
  /** Remembers a verified token (signed with the key `kid`). */
  set(token: string, principal: Principal, kid: string): void;
  readonly size: number;
}

export interface VerifiedTokenCacheOptions {
  /** At most this many tokens; default 10 000 (about 10 MB). */
  maxEntries?: number;
  clockToleranceSeconds: number;
  /** Whether the key is still in the provider's JWKS. */
  isPublished: (kid: string) => boolean;
}

interface Entry {
  principal: Principal;
  kid: string;
  /** Past this instant (exp + tolerance) the token is expired. */
  usableUntilMs: number;
}

export function createVerifiedTokenCache(options: VerifiedTokenCacheOptions): VerifiedTokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const toleranceMs = options.clockToleranceSeconds * 1000;
  // A Map keeps insertion order: re-inserting on every hit makes its first key the least recently used.
  const entries = new Map<string, Entry>();
  return {
    get size() {
      return entries.size;
    },
    get(token, nowMs) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      entries.delete(token);
      if (nowMs >= entry.usableUntilMs || !options.isPublished(entry.kid)) return undefined;
      entries.set(token, entry);
      return entry.principal;
    },
    set(token, principal, kid) {
      if (maxEntries <= 0) return;
      entries.delete(token);
      entries.set(token, { principal, kid, usableUntilMs: principal.expiresAt.getTime() + toleranceMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
