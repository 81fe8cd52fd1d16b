/**
 * Principals of recently verified tokens, so a token used for many calls has
 * its signature and claims checked once. It never lets through what a full
 * verification would refuse: an entry is used only while the token is
 * unexpired (with the same clock tolerance) and its key is still published by
 * the auth provider. Bounded: the least recently used entry goes first
 * (recency is refreshed at most once a second per entry, to keep hits cheap).
 * One cache per verifier, so per audience: another service's token is never
 * in it. An entry belongs to a whole authorization value ("Bearer <token>"),
 * so a hit needs no parsing; the map is keyed by the value's last characters
 * (part of the signature) and the whole value is compared on a hit: hashing
 * the ~600-character value afresh for every call (each request's header is a
 * new string) was most of what auth cost per call, counted by callgrind.
 */
import type { Principal } from "./principal.js";

export interface VerifiedTokenCache {
  /** The principal of a cached, still acceptable authorization value; undefined otherwise. */
  get(authorization: string, nowMs: number): Principal | undefined;
  /** Remembers the authorization value of a verified token (signed with the key `kid`). */
  set(authorization: string, principal: Principal, kid: string, nowMs: number): void;
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
  /** The whole authorization value; a value with the same last characters is another token. */
  authorization: string;
  principal: Principal;
  kid: string;
  /** Past this instant (exp + tolerance) the token is expired. */
  usableUntilMs: number;
  /** When the entry last moved to the most recently used end. */
  refreshedAtMs: number;
}

/** A hit moves its entry to the most recently used end only if it has not moved for this long. */
const refreshIntervalMs = 1000;

/** How many trailing characters key an entry: of an ES256 signature (randomised), unique for every token signed. */
const keyLength = 32;
const keyOf = (authorization: string) => authorization.slice(-keyLength);

export function createVerifiedTokenCache(options: VerifiedTokenCacheOptions): VerifiedTokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const toleranceMs = options.clockToleranceSeconds * 1000;
  // A Map keeps insertion order: re-inserting on every hit makes its first key the least recently used.
  const entries = new Map<string, Entry>();
  return {
    get size() {
      return entries.size;
    },
    get(authorization, nowMs) {
      const key = keyOf(authorization);
      const entry = entries.get(key);
      // Another value ending alike (crafted or not) is a miss; its full verification then takes the slot.
      if (entry === undefined || entry.authorization !== authorization) return undefined;
      if (nowMs >= entry.usableUntilMs || !options.isPublished(entry.kid)) {
        entries.delete(key);
        return undefined;
      }
      if (nowMs - entry.refreshedAtMs >= refreshIntervalMs) {
        entries.delete(key);
        entries.set(key, entry);
        entry.refreshedAtMs = nowMs;
      }
      return entry.principal;
    },
    set(authorization, principal, kid, nowMs) {
      if (maxEntries <= 0) return;
      const key = keyOf(authorization);
      entries.delete(key);
      entries.set(key, { authorization, principal, kid, usableUntilMs: principal.expiresAt.getTime() + toleranceMs, refreshedAtMs: nowMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
