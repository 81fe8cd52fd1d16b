/**
 * Limits on what clients can hold open at a service's port: how long a
 * connection may take to say what it wants, how long it may sit idle, how many
 * connections one process and one client address may hold, and how many
 * streams one HTTP/2 connection may run at once. Read from the environment
 * (the same names for every service) and checked once at start-up.
 *
 * Without them, a client that opens connections and never finishes a request
 * holds file descriptors and header buffers until the process restarts.
 */
import { readFileSync } from "node:fs";
import { readInteger } from "../common/env.js";

/** Connection limits of one service; see {@link loadConnectionLimits} for the variables and defaults. */
export interface ConnectionLimits {
  /** SERVICE_HEADERS_TIMEOUT_MS: time to finish the TLS handshake, the HTTP/2 preface, or an HTTP/1.1 request's headers. */
  headersTimeoutMs: number;
  /** SERVICE_KEEP_ALIVE_TIMEOUT_MS: an HTTP/1.1 connection with no request in flight is closed after this. */
  keepAliveTimeoutMs: number;
  /** SERVICE_HTTP2_IDLE_TIMEOUT_MS: an HTTP/2 connection with no open stream gets GOAWAY after this. */
  http2IdleTimeoutMs: number;
  /** SERVICE_MAX_CONNECTIONS: open connections per process; a new one past it is closed at once. */
  maxConnections: number;
  /** SERVICE_MAX_CONNECTIONS_PER_ADDRESS: open connections per client IP address; a new one past it is closed at once. */
  maxConnectionsPerAddress: number;
  /** SERVICE_HTTP2_MAX_CONCURRENT_STREAMS: advertised in SETTINGS_MAX_CONCURRENT_STREAMS and enforced per connection. */
  http2MaxConcurrentStreams: number;
}

/**
 * Request headers are limited to this many bytes, on HTTP/1.1 (Node's maxHeaderSize) and HTTP/2 (the advertised
 * SETTINGS_MAX_HEADER_LIST_SIZE) alike, so the memory unfinished requests can pin is at most this times
 * SERVICE_MAX_CONNECTIONS (256 MiB at the default 4096; 16 MiB per client address at 256) instead of 16 MiB per
 * connection. It is four times the token guard's 16 KiB token limit, so a token somewhat too large still reaches
 * the guard and gets a readable UNAUTHENTICATED; a larger header block gets 431 (HTTP/1.1) or a reset stream (HTTP/2).
 */
export const maxHeaderBytes = 64 * 1024;

/** File descriptors kept for the rest of the process (stdio, SQLite and its WAL, the event loop, JWKS fetches, logs). */
const reservedDescriptors = 64;

/**
 * Defaults, chosen for a production service behind which a few client services hold long-lived connections:
 * - headers 15 s: generous for a slow network and a TLS handshake (Node's own headersTimeout is 60 s, nginx's
 *   client_header_timeout 60 s, Apache's RequestReadTimeout 20 s), short enough that a flood of unfinished
 *   requests drains quickly;
 * - HTTP/1.1 keep-alive 5 s, Node's default: HTTP/1.1 clients (curl, browsers) reopen cheaply;
 * - HTTP/2 idle 5 min, like the max-connection-idle commonly given to grpc-go servers: a gRPC client between calls
 *   keeps its connection, an abandoned one is reclaimed; clients reconnect transparently after GOAWAY;
 * - 4096 connections per process, lowered to what the open-file limit leaves; 256 per address, so that one client
 *   cannot take them all (raise it to SERVICE_MAX_CONNECTIONS behind a proxy, whose address all clients share);
 * - 100 streams per HTTP/2 connection: RFC 9113 §6.5.2 recommends no less than 100, and 100 to 250 is what
 *   Apache, h2o, nginx (128) and Go's net/http (250) use; gRPC clients queue calls beyond it.
 */
const defaults = {
  headersTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  http2IdleTimeoutMs: 300_000,
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
  http2MaxConcurrentStreams: 100,
} as const;

const day = 24 * 60 * 60 * 1000;

/**
 * Reads the connection limits; every value is a whole number within a range, and unset means the default.
 * The default SERVICE_MAX_CONNECTIONS is 4096, or fewer when the open-file limit is lower (the limit minus 64).
 * @throws ConfigError naming the variable whose value is out of range.
 */
export function loadConnectionLimits(env: Readonly<Record<string, string | undefined>>, fileLimit = openFileLimit()): ConnectionLimits {
  const fdBound = fileLimit === undefined ? defaults.maxConnections : Math.max(16, fileLimit - reservedDescriptors);
  return {
    headersTimeoutMs: readInteger(env, "SERVICE_HEADERS_TIMEOUT_MS", defaults.headersTimeoutMs, 100, 600_000),
    keepAliveTimeoutMs: readInteger(env, "SERVICE_KEEP_ALIVE_TIMEOUT_MS", defaults.keepAliveTimeoutMs, 100, 600_000),
    http2IdleTimeoutMs: readInteger(env, "SERVICE_HTTP2_IDLE_TIMEOUT_MS", defaults.http2IdleTimeoutMs, 100, day),
    maxConnections: readInteger(env, "SERVICE_MAX_CONNECTIONS", Math.min(defaults.maxConnections, fdBound), 1, 1_000_000),
    maxConnectionsPerAddress: readInteger(env, "SERVICE_MAX_CONNECTIONS_PER_ADDRESS", defaults.maxConnectionsPerAddress, 1, 1_000_000),
    http2MaxConcurrentStreams: readInteger(env, "SERVICE_HTTP2_MAX_CONCURRENT_STREAMS", defaults.http2MaxConcurrentStreams, 1, 100_000),
  };
}

/** The soft limit on open files (Linux; Node raises it to the hard limit at start-up), or undefined where unknown. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}
