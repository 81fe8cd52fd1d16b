/**
 * The connection pool every part uses on PostgreSQL (`pg`). Connections that
 * break while idle are logged and replaced by the pool; a query on a broken
 * connection fails with an error that {@link isPostgresUnavailable} tells
 * apart from a bad query, so callers can answer UNAVAILABLE (or 503), never
 * INTERNAL, while the database is away.
 */
import pg from "pg";
import type { Logger } from "../json-logger.js";
import type { PostgresLocation } from "./database-url.js";

export type PostgresPool = pg.Pool;
export type PostgresClient = pg.PoolClient;

export interface PostgresPoolOptions {
  /** Shown in pg_stat_activity, e.g. "m2m-grpc notes". */
  applicationName: string;
  /** Most connections; default 10. */
  max?: number;
  logger: Logger;
}

/** Creates the pool (it connects lazily); the caller ends it with `pool.end()`. */
export function createPostgresPool(location: PostgresLocation, options: PostgresPoolOptions): PostgresPool {
  const pool = new pg.Pool({
    connectionString: location.url,
    application_name: options.applicationName,
    max: options.max ?? 10,
    // A database that does not answer must not hang a call for long: connecting gives up after 5 s.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on("error", (err) => options.logger.warn("a PostgreSQL connection broke; the pool replaces it", { error: postgresErrorText(err) }));
  return pool;
}

/** Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: PostgresPool, work: (client: PostgresClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

// SQLSTATE classes and Node error codes that mean "the database is not there right now", not "the query is wrong":
// 08 connection exception, 53 insufficient resources, 57P01-57P03 shutdown / cannot connect now.
const unavailableStates = /^(08|53|57P0[123])/;
const unavailableCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/** Whether `err` means PostgreSQL cannot be reached or is shutting down (retry later), rather than a bad query. */
export function isPostgresUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== "object") return false;
  if (typeof e.code === "string" && (unavailableStates.test(e.code) || unavailableCodes.has(e.code))) return true;
  return typeof e.message === "string" && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(e.message);
}

/** A one-line description of a PostgreSQL error for logs: its SQLSTATE and message (never the URL or a password). */
export function postgresErrorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === "string" ? e.message : String(err);
  return typeof e?.code === "string" ? `${e.code}: ${message}` : message;
}
