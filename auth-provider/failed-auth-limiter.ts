/**
 * Slowing down guessing at the token endpoint: failed client authentications
 * are counted per client id and per caller address in fixed windows that
 * start at the first failure; once a count reaches its limit, requests for
 * that client id or from that address are refused until the window ends.
 *
 * - Only failures count; a refused (throttled) request does not extend the
 *   window, so the right secret always works again after Retry-After.
 * - Memory is bounded: each counter table holds at most `maxEntries` keys and
 *   drops the least recently failed one first, so random client ids cannot
 *   grow it; expired entries are dropped when touched.
 * - IPv6 callers are counted per /64 (one host usually owns a whole /64);
 *   IPv4-mapped IPv6 addresses count as the IPv4 address.
 */

/** Options of {@link createFailedAuthLimiter}. */
export interface FailedAuthLimiterOptions {
  /** Failures per client id per window before refusing; 0 turns the per-client limit off. */
  readonly perClient: number;
  /** Failures per address per window before refusing; 0 turns the per-address limit off. */
  readonly perAddress: number;
  readonly windowSeconds: number;
  /** Most keys each counter table holds; default 10000. */
  readonly maxEntries?: number;
  /** The clock in milliseconds; default Date.now. */
  readonly now?: () => number;
}

/** Who is asking: the caller's address and, once known, the client id it claims. */
export interface AuthAttempt {
  readonly address: string | undefined;
  readonly clientId?: string | undefined;
}

/** Why and for how long requests are refused. */
export interface Throttle {
  readonly retryAfterSeconds: number;
  readonly scope: "client" | "address";
}

/** The limiter the token endpoint consults. */
export interface FailedAuthLimiter {
  /** The throttle that applies to this attempt now, or undefined. */
  check(attempt: AuthAttempt): Throttle | undefined;
  /** Counts a failed authentication; returns the throttle it started, if it reached a limit. */
  recordFailure(attempt: AuthAttempt): Throttle | undefined;
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

/** Creates a limiter; it allocates nothing until the first failure. */
export function createFailedAuthLimiter(options: FailedAuthLimiterOptions): FailedAuthLimiter {
  const now = options.now ?? Date.now;
  const windowMs = options.windowSeconds * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const tables = { client: new Map<string, Window>(), address: new Map<string, Window>() };
  const limits = { client: options.perClient, address: options.perAddress };

  const keysOf = (attempt: AuthAttempt): ["client" | "address", string][] => {
    const keys: ["client" | "address", string][] = [];
    if (limits.address > 0) keys.push(["address", addressKey(attempt.address)]);
    const id = attempt.clientId;
    if (limits.client > 0 && id !== undefined && id.length <= maxCountedClientIdLength) keys.push(["client", id]);
    return keys;
  };

  const live = (table: Map<string, Window>, key: string, nowMs: number): Window | undefined => {
    const window = table.get(key);
    if (window !== undefined && nowMs - window.startMs >= windowMs) {
      table.delete(key);
      return undefined;
    }
    return window;
  };

  const throttleOf = (scope: "client" | "address", window: Window | undefined, nowMs: number): Throttle | undefined =>
    window !== undefined && window.count >= limits[scope]
      ? { scope, retryAfterSeconds: Math.max(1, Math.ceil((window.startMs + windowMs - nowMs) / 1000)) }
      : undefined;

  return {
    get size() {
      return tables.client.size + tables.address.size;
    },
    check(attempt) {
      const nowMs = now();
      let worst: Throttle | undefined;
      for (const [scope, key] of keysOf(attempt)) {
        const throttle = throttleOf(scope, live(tables[scope], key, nowMs), nowMs);
        if (throttle !== undefined && (worst === undefined || throttle.retryAfterSeconds > worst.retryAfterSeconds)) worst = throttle;
      }
      return worst;
    },
    recordFailure(attempt) {
      const nowMs = now();
      let started: Throttle | undefined;
      for (const [scope, key] of keysOf(attempt)) {
        const table = tables[scope];
        const window = live(table, key, nowMs) ?? { count: 0, startMs: nowMs };
        window.count++;
        table.delete(key); // re-insert: Map order is least recently failed first
        table.set(key, window);
        if (table.size > maxEntries) table.delete(table.keys().next().value!);
        if (window.count === limits[scope]) started ??= throttleOf(scope, window, nowMs);
      }
      return started;
    },
  };
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64 prefix, "unknown" when there is none. */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === "") return "unknown";
  const plain = address.replace(/%.*$/, "").toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped !== null) return mapped[1]!;
  if (!plain.includes(":")) return plain;
  const [head = "", tail] = plain.split("::", 2);
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? headParts : [...headParts, ...Array(Math.max(0, 8 - headParts.length - tailParts.length)).fill("0"), ...tailParts];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
