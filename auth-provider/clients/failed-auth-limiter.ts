/**
 * Slowing down guessing at the token endpoint without handing out lockouts.
 * Failed client authentications are counted in fixed windows that start at
 * the first failure, under three keys:
 *
 * - per client id and address (low limit): one address guessing one client's
 *   secret is stopped quickly, and only that address is refused for that client;
 * - per address (moderate limit): one address spraying many client ids;
 * - per client id over all addresses (much higher ceiling): guessing spread
 *   over many addresses stays slow. Addresses the client itself authenticated
 *   from recently are exempt from this ceiling, so no one, however many
 *   addresses they have, can lock a client out of the addresses it works from.
 *
 * Once a count reaches its limit, matching requests are refused until its
 * window ends. Anyone sharing the client's address (a NAT, an IPv6 /64) can
 * still hold the client back there for a window: per-address counting cannot
 * tell them apart, and that is the price of slowing guessers down at all.
 *
 * - Only failures count; a refused (throttled) request does not extend the
 *   window, so the right secret always works again after Retry-After.
 * - Memory is bounded: each table holds at most `maxEntries` keys and drops
 *   the least recently touched one first, so random client ids cannot grow
 *   it; expired entries are dropped when touched.
 * - Addresses are counted as every per-address limit counts them
 *   (common/client-address.ts): IPv6 per /64, IPv4-mapped as IPv4.
 */

import { addressKey } from "../../common/client-address.js";

/** Options of {@link createFailedAuthLimiter}. */
export interface FailedAuthLimiterOptions {
  /** Failures per client id from one address per window before refusing that pair; 0 turns this limit off. */
  readonly perClientAddress: number;
  /** Failures per address per window before refusing that address; 0 turns this limit off. */
  readonly perAddress: number;
  /**
   * Failures per client id from all addresses per window before refusing that client id from every address except
   * those it authenticated from within `trustSeconds`; 0 turns this limit off.
   */
  readonly perClient: number;
  readonly windowSeconds: number;
  /** How long a successful authentication exempts its client and address from the per-client limit; default 86400. */
  readonly trustSeconds?: number;
  /** Most keys each table holds; default 10000. */
  readonly maxEntries?: number;
  /** The clock in milliseconds; default Date.now. */
  readonly now?: () => number;
}

/** Who is asking: the caller's address and, once known, the client id it claims. */
export interface AuthAttempt {
  readonly address: string | undefined;
  readonly clientId?: string | undefined;
}

/** Which count reached its limit: this client from this address, this address, or this client from anywhere. */
export type ThrottleScope = "client-address" | "address" | "client";

/** Why and for how long requests are refused. */
export interface Throttle {
  readonly retryAfterSeconds: number;
  readonly scope: ThrottleScope;
}

/** The limiter the token endpoint consults. */
export interface FailedAuthLimiter {
  /** The throttle that applies to this attempt now (the longest, if several do), or undefined. */
  check(attempt: AuthAttempt): Throttle | undefined;
  /** Counts a failed authentication; returns the throttle it started, if it reached a limit. */
  recordFailure(attempt: AuthAttempt): Throttle | undefined;
  /** Notes that the client authenticated from this address, exempting the pair from the per-client limit. */
  recordSuccess(attempt: AuthAttempt & { readonly clientId: string }): void;
  /** Keys held (for tests). */
  readonly size: number;
}

interface Window {
  count: number;
  startMs: number;
}

// Client ids longer than any registered one (the store allows 128) are not counted per client: they cannot succeed,
// and keeping them would let one request pin kilobytes of memory. The address limit still applies.
const maxCountedClientIdLength = 128;

/** The three counts, in the order they are checked and recorded. */
export const throttleScopes: readonly ThrottleScope[] = ["client-address", "address", "client"];
const scopes = throttleScopes;

/** The limit of each count (0: off). */
export type ThrottleLimits = Readonly<Record<ThrottleScope, number>>;

/** The limits of options, by scope. */
export function throttleLimits(options: FailedAuthLimiterOptions): ThrottleLimits {
  return { "client-address": options.perClientAddress, address: options.perAddress, client: options.perClient };
}

/** The client id as counted: undefined when absent or longer than any registered one could be. */
export function countedClientId(attempt: AuthAttempt): string | undefined {
  const id = attempt.clientId;
  return id !== undefined && id.length <= maxCountedClientIdLength ? id : undefined;
}

/** The key of a client and address pair (trust, and the client-address count); undefined without a counted id. */
export function clientAddressKey(attempt: AuthAttempt): string | undefined {
  const id = countedClientId(attempt);
  // The address key has no spaces, so the first space separates it from the client id.
  return id === undefined ? undefined : `${addressKey(attempt.address)} ${id}`;
}

/** The key under which scope counts this attempt, or undefined when it does not (limit off, no counted id). */
export function throttleKey(scope: ThrottleScope, attempt: AuthAttempt, limits: ThrottleLimits): string | undefined {
  if (limits[scope] <= 0) return undefined;
  if (scope === "address") return addressKey(attempt.address);
  return scope === "client" ? countedClientId(attempt) : clientAddressKey(attempt);
}

/** Creates a limiter; it allocates nothing until the first failure or success. */
export function createFailedAuthLimiter(options: FailedAuthLimiterOptions): FailedAuthLimiter {
  const now = options.now ?? Date.now;
  const windowMs = options.windowSeconds * 1000;
  const trustMs = (options.trustSeconds ?? 86_400) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const limits = throttleLimits(options);
  const tables: Record<ThrottleScope, Map<string, Window>> = {
    "client-address": new Map(),
    address: new Map(),
    client: new Map(),
  };
  const trusted = new Map<string, number>(); // pairKey → when the client last authenticated from there (ms)

  const keyOf = (scope: ThrottleScope, attempt: AuthAttempt) => throttleKey(scope, attempt, limits);
  const isTrusted = (attempt: AuthAttempt, nowMs: number): boolean => {
    const key = clientAddressKey(attempt);
    if (key === undefined) return false;
    const since = trusted.get(key);
    if (since !== undefined && nowMs - since >= trustMs) trusted.delete(key);
    return since !== undefined && nowMs - since < trustMs;
  };

  const live = (table: Map<string, Window>, key: string, nowMs: number): Window | undefined => {
    const window = table.get(key);
    if (window !== undefined && nowMs - window.startMs >= windowMs) {
      table.delete(key);
      return undefined;
    }
    return window;
  };
  const remember = <V>(table: Map<string, V>, key: string, value: V): void => {
    table.delete(key); // re-insert: Map order is least recently touched first
    table.set(key, value);
    if (table.size > maxEntries) table.delete(table.keys().next().value!);
  };

  const throttleOf = (scope: ThrottleScope, window: Window | undefined, nowMs: number): Throttle | undefined =>
    window !== undefined && window.count >= limits[scope]
      ? { scope, retryAfterSeconds: Math.max(1, Math.ceil((window.startMs + windowMs - nowMs) / 1000)) }
      : undefined;

  return {
    get size() {
      return tables["client-address"].size + tables.address.size + tables.client.size + trusted.size;
    },
    check(attempt) {
      const nowMs = now();
      let worst: Throttle | undefined;
      for (const scope of scopes) {
        const key = keyOf(scope, attempt);
        if (key === undefined || (scope === "client" && isTrusted(attempt, nowMs))) continue;
        const throttle = throttleOf(scope, live(tables[scope], key, nowMs), nowMs);
        if (throttle !== undefined && (worst === undefined || throttle.retryAfterSeconds > worst.retryAfterSeconds)) worst = throttle;
      }
      return worst;
    },
    recordFailure(attempt) {
      const nowMs = now();
      let started: Throttle | undefined;
      for (const scope of scopes) {
        const key = keyOf(scope, attempt);
        if (key === undefined) continue;
        const window = live(tables[scope], key, nowMs) ?? { count: 0, startMs: nowMs };
        window.count++;
        remember(tables[scope], key, window);
        // A client's trusted address is not refused by the per-client ceiling, so reaching it there starts nothing.
        if (window.count === limits[scope] && !(scope === "client" && isTrusted(attempt, nowMs))) {
          started ??= throttleOf(scope, window, nowMs);
        }
      }
      return started;
    },
    recordSuccess(attempt) {
      if (limits.client <= 0) return;
      const key = clientAddressKey(attempt);
      if (key !== undefined) remember(trusted, key, now());
    },
  };
}
