/**
 * Failed client authentications counted in PostgreSQL, so the three limits of
 * failed-auth-limiter.ts hold across every replica: the same keys, windows
 * (fixed, from the first failure), limits and trust of the client's own
 * addresses, kept in auth_failed_logins (one row per scope and key, upserted)
 * and auth_trusted_addresses.
 *
 * Round trips per token request: `check` with a client id is one query (all
 * three counts and the trust row); `recordFailure` one upsert of up to three
 * rows (plus one trust lookup when the per-client count reaches its limit);
 * `recordSuccess` writes the trust row at most every `trustRefreshMs` per pair
 * and process. `check` without a client id (before the body is read) answers
 * from the address throttles this process has seen, without a query; the
 * check after the credentials are read sees every replica's counts.
 *
 * Rows are bounded: a sweep every minute (any replica; harmless when several
 * run it) deletes windows that have ended and trust older than its lifetime.
 */
import type { Logger } from "../../common/json-logger.js";
import type { PostgresPool } from "../../common/database/postgres-pool.js";
import {
  clientAddressKey,
  throttleKey,
  throttleLimits,
  throttleScopes,
  type AuthAttempt,
  type FailedAuthLimiterOptions,
  type Throttle,
  type ThrottleScope,
} from "../clients/failed-auth-limiter.js";
import type { SharedFailedAuthLimiter } from "./auth-store.js";

/** Options beyond the limits: how often rows are swept and trust rewritten. */
export interface PostgresFailedAuthLimiterOptions extends FailedAuthLimiterOptions {
  /** How often expired rows are deleted; default 60 000 ms (0: never, for tests that sweep by hand). */
  readonly sweepIntervalMs?: number;
  /** A pair's trust row is rewritten at most this often per process; default 600 000 ms. */
  readonly trustRefreshMs?: number;
  readonly logger?: Logger;
}

/** The shared limiter, with a manual sweep and a stop. */
export interface PostgresFailedAuthLimiter extends SharedFailedAuthLimiter {
  check(attempt: AuthAttempt): Promise<Throttle | undefined>;
  recordFailure(attempt: AuthAttempt): Promise<Throttle | undefined>;
  recordSuccess(attempt: AuthAttempt & { readonly clientId: string }): Promise<void>;
  /** Deletes ended windows and expired trust now. */
  sweep(): Promise<void>;
  close(): void;
}

interface CountRow {
  scope: ThrottleScope | "trusted";
  failures: number;
  start_ms: string;
}

/** Creates the limiter over pool (tables from the auth migrations). */
export function createPostgresFailedAuthLimiter(pool: PostgresPool, options: PostgresFailedAuthLimiterOptions): PostgresFailedAuthLimiter {
  const now = options.now ?? Date.now;
  const windowMs = options.windowSeconds * 1000;
  const trustMs = (options.trustSeconds ?? 86_400) * 1000;
  const trustRefreshMs = Math.min(options.trustRefreshMs ?? 600_000, trustMs);
  const maxEntries = options.maxEntries ?? 10_000;
  const limits = throttleLimits(options);
  const addressThrottles = new Map<string, number>(); // address key → until (ms), as seen by this process
  const trustWritten = new Map<string, number>(); // pair key → when this process last wrote its trust row (ms)

  const remember = (map: Map<string, number>, key: string, value: number) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > maxEntries) map.delete(map.keys().next().value!);
  };
  const throttleOf = (scope: ThrottleScope, failures: number, startMs: number, nowMs: number): Throttle | undefined => {
    if (failures < limits[scope] || nowMs - startMs >= windowMs) return undefined;
    return { scope, retryAfterSeconds: Math.max(1, Math.ceil((startMs + windowMs - nowMs) / 1000)) };
  };
  const noteAddress = (attempt: AuthAttempt, throttle: Throttle | undefined, startMs: number) => {
    const key = throttleKey("address", attempt, limits);
    if (throttle?.scope === "address" && key !== undefined) remember(addressThrottles, key, startMs + windowMs);
  };
  const worst = (a: Throttle | undefined, b: Throttle | undefined) => (a === undefined || (b !== undefined && b.retryAfterSeconds > a.retryAfterSeconds) ? b : a);
  const isTrusted = async (pair: string, nowMs: number) => {
    const { rows } = await pool.query<{ last_ms: string }>("SELECT last_success_ms::text AS last_ms FROM auth_trusted_addresses WHERE pair = $1", [pair]);
    return rows[0] !== undefined && nowMs - Number(rows[0].last_ms) < trustMs;
  };

  const sweep = async () => {
    const nowMs = now();
    await pool.query("DELETE FROM auth_failed_logins WHERE window_start_ms <= $1", [nowMs - windowMs]);
    await pool.query("DELETE FROM auth_trusted_addresses WHERE last_success_ms <= $1", [nowMs - trustMs]);
    for (const [key, until] of addressThrottles) if (until <= nowMs) addressThrottles.delete(key);
  };
  const sweepEvery = options.sweepIntervalMs ?? 60_000;
  const timer = sweepEvery > 0 ? setInterval(() => void sweep().catch((err: unknown) => options.logger?.debug("cannot sweep failed logins", { error: String(err) })), sweepEvery) : undefined;
  timer?.unref();

  return {
    async check(attempt) {
      const nowMs = now();
      if (attempt.clientId === undefined) {
        const key = throttleKey("address", attempt, limits);
        const until = key === undefined ? undefined : addressThrottles.get(key);
        if (until === undefined || until <= nowMs) return undefined;
        return { scope: "address", retryAfterSeconds: Math.max(1, Math.ceil((until - nowMs) / 1000)) };
      }
      const keys = throttleScopes.map((scope) => throttleKey(scope, attempt, limits) ?? null);
      const { rows } = await pool.query<CountRow>(
        `SELECT scope, failures, window_start_ms::text AS start_ms FROM auth_failed_logins
          WHERE (scope = 'client-address' AND key = $1) OR (scope = 'address' AND key = $2) OR (scope = 'client' AND key = $3)
         UNION ALL
         SELECT 'trusted', 0, last_success_ms::text FROM auth_trusted_addresses WHERE pair = $4`,
        [...keys, clientAddressKey(attempt) ?? null],
      );
      const trustRow = rows.find((row) => row.scope === "trusted");
      const trusted = trustRow !== undefined && nowMs - Number(trustRow.start_ms) < trustMs;
      let found: Throttle | undefined;
      for (const row of rows) {
        if (row.scope === "trusted" || (row.scope === "client" && trusted)) continue;
        const throttle = throttleOf(row.scope, row.failures, Number(row.start_ms), nowMs);
        noteAddress(attempt, throttle, Number(row.start_ms));
        found = worst(found, throttle);
      }
      return found;
    },
    async recordFailure(attempt) {
      const nowMs = now();
      const counted = throttleScopes.flatMap((scope) => {
        const key = throttleKey(scope, attempt, limits);
        return key === undefined ? [] : [{ scope, key }];
      });
      if (counted.length === 0) return undefined;
      const { rows } = await pool.query<CountRow>(
        `INSERT INTO auth_failed_logins AS w (scope, key, window_start_ms, failures)
           SELECT s, k, $3, 1 FROM unnest($1::text[], $2::text[]) AS t(s, k)
         ON CONFLICT (scope, key) DO UPDATE SET
           failures = CASE WHEN w.window_start_ms <= $3 - $4 THEN 1 ELSE w.failures + 1 END,
           window_start_ms = CASE WHEN w.window_start_ms <= $3 - $4 THEN $3 ELSE w.window_start_ms END
         RETURNING scope, failures, window_start_ms::text AS start_ms`,
        [counted.map((c) => c.scope), counted.map((c) => c.key), nowMs, windowMs],
      );
      let started: Throttle | undefined;
      for (const scope of throttleScopes) {
        const row = rows.find((r) => r.scope === scope);
        if (row === undefined) continue;
        const throttle = throttleOf(scope, row.failures, Number(row.start_ms), nowMs);
        noteAddress(attempt, throttle, Number(row.start_ms));
        if (row.failures !== limits[scope]) continue;
        // A client's trusted address is not refused by the per-client ceiling, so reaching it there starts nothing.
        if (scope === "client" && (await isTrusted(clientAddressKey(attempt)!, nowMs))) continue;
        started ??= throttle;
      }
      return started;
    },
    async recordSuccess(attempt) {
      if (limits.client <= 0) return;
      const pair = clientAddressKey(attempt);
      if (pair === undefined) return;
      const nowMs = now();
      const written = trustWritten.get(pair);
      if (written !== undefined && nowMs - written < trustRefreshMs) return;
      await pool.query(
        `INSERT INTO auth_trusted_addresses (pair, last_success_ms) VALUES ($1, $2)
         ON CONFLICT (pair) DO UPDATE SET last_success_ms = greatest(auth_trusted_addresses.last_success_ms, excluded.last_success_ms)`,
        [pair, nowMs],
      );
      remember(trustWritten, pair, nowMs);
    },
    sweep,
    close: () => clearInterval(timer),
  };
}
