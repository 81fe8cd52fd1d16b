/**
 * Settings every RPC service reads from the environment: where to listen,
 * whether with TLS, where its data lives, and how to verify tokens.
 */
import { join } from "node:path";
import { readDatabaseUrl, type PostgresLocation } from "../common/database/database-url.js";
import { checkUrl, ConfigError, readInteger, readOptionalString, readPort, readString } from "../common/env.js";
import { readMetricsSettings, type MetricsSettings } from "../common/metrics-server.js";
import { loadServerTls, readCaFile, type ServerTls } from "../common/tls.js";
import { loadVerifierConfig, type VerifierConfig } from "../interceptor/verifier-config.js";
import { loadConnectionLimits, type ConnectionLimits } from "./connection-limits.js";
import { watchLimitSettings } from "./watch-limit-interceptor.js";

export interface ServiceIdentity {
  /** Short name used in logs and file names, e.g. "calendar". */
  name: string;
  /** Prefix of the service's variables: CALENDAR_PORT, CALENDAR_HOST, CALENDAR_AUDIENCE, CALENDAR_PUBLIC_URLS. */
  envPrefix: string;
  defaultPort: number;
  defaultAudience: string;
}

export interface ServiceConfig {
  port: number;
  host: string;
  /** TLS_CERT_FILE and TLS_KEY_FILE: when set, the port serves TLS (h2 and HTTP/1.1 by ALPN); default cleartext. */
  tls: ServerTls | undefined;
  /**
   * <PREFIX>_PUBLIC_URLS: comma-separated base URLs clients call this service by (behind a proxy or load balancer:
   * its https URL), which DPoP proofs may name as well as the URL the request arrived with; default none.
   */
  publicUrls: string[];
  /** The SQLite file, $DATA_DIR/<name>.db (used when DATABASE_URL is unset). */
  databasePath: string;
  /** DATABASE_URL: PostgreSQL instead of the SQLite file; default unset. */
  postgres: PostgresLocation | undefined;
  /** SERVICE_CHANGE_LOG_SIZE: changes kept per resource type for watches that resume (since_sequence); default 10000. */
  changeLogSize: number;
  verifier: VerifierConfig;
  /** AUTH_CA_FILE: PEM of the CA(s) trusted for an https JWKS URL, besides Node's built-in roots; default none. */
  authCa: string | undefined;
  /** AUTH_TOKEN_CACHE_SIZE: how many verified tokens to remember (0 turns the cache off); default 10000. */
  tokenCacheSize: number;
  /** SERVICE_HEADERS_TIMEOUT_MS, SERVICE_MAX_CONNECTIONS and the other limits on what clients hold open (connection-limits.ts). */
  connections: ConnectionLimits;
  /** How long shutdown waits for in-flight calls, in ms. */
  shutdownGraceMs: number;
  /** SERVICE_MAX_WATCHES_PER_ADDRESS: open watch streams (Health/Watch and Watch*) allowed per caller address; default 100. */
  watchLimitPerAddress: number;
  /** SERVICE_MAX_WATCHES_PER_CLIENT: open watch streams allowed per authenticated client id; default 100. */
  watchLimitPerClient: number;
  /** <PREFIX>_METRICS_PORT (and METRICS_HOST): Prometheus metrics on a listener of their own; default off. */
  metrics: MetricsSettings;
  /** SERVICE_UNARY_FAST_PATH: 1 serves unary gRPC and Connect calls over HTTP/2 on the fast path (unary-fast-path.ts), 0 all through the adapter; default 1. */
  unaryFastPath: boolean;
}

/** The issuer a service expects by default when it serves TLS itself: the whole system is then taken to run TLS. */
const defaultTlsIssuer = "https://localhost:3001/auth";

/**
 * Reads and validates a service's settings.
 * @throws ConfigError naming the setting whose value is not acceptable (a TLS or CA file included).
 */
export function loadServiceConfig(env: Readonly<Record<string, string | undefined>>, identity: ServiceIdentity): ServiceConfig {
  const port = readPort(env, `${identity.envPrefix}_PORT`, identity.defaultPort);
  const host = readString(env, `${identity.envPrefix}_HOST`, "localhost");
  const dataDir = readString(env, "DATA_DIR", "./data");
  const tls = loadServerTls(env);
  const caFile = readOptionalString(env, "AUTH_CA_FILE");
  // With TLS on, the default issuer (and so the JWKS URL) is the auth provider's https address.
  const verifierEnv = tls && readOptionalString(env, "AUTH_ISSUER") === undefined ? { ...env, AUTH_ISSUER: defaultTlsIssuer } : env;
  return {
    port,
    host,
    tls,
    publicUrls: readPublicUrls(env, `${identity.envPrefix}_PUBLIC_URLS`),
    databasePath: join(dataDir, `${identity.name}.db`),
    postgres: readDatabaseUrl(env),
    changeLogSize: readInteger(env, "SERVICE_CHANGE_LOG_SIZE", 10_000, 1, 10_000_000),
    verifier: loadVerifierConfig(verifierEnv, `${identity.envPrefix}_AUDIENCE`, identity.defaultAudience),
    authCa: caFile === undefined ? undefined : readCaFile("AUTH_CA_FILE", caFile),
    tokenCacheSize: readInteger(env, "AUTH_TOKEN_CACHE_SIZE", 10_000, 0, 1_000_000),
    connections: loadConnectionLimits(env),
    shutdownGraceMs: 10_000,
    watchLimitPerAddress: readInteger(env, watchLimitSettings.perAddress, 100, 1, 100_000),
    watchLimitPerClient: readInteger(env, watchLimitSettings.perClient, 100, 1, 100_000),
    metrics: readMetricsSettings(env, metricsPortVariable(identity)),
    unaryFastPath: readInteger(env, "SERVICE_UNARY_FAST_PATH", 1, 0, 1) === 1,
  };
}

/** The variable that turns a service's metrics on: CALENDAR_METRICS_PORT, NOTES_METRICS_PORT. */
export function metricsPortVariable(identity: Pick<ServiceIdentity, "envPrefix">): string {
  return `${identity.envPrefix}_METRICS_PORT`;
}

/**
 * Base URLs (scheme, host, optional port and path prefix) separated by commas.
 * @throws ConfigError naming the setting for a URL that is not http(s), or has a query or fragment.
 */
function readPublicUrls(env: Readonly<Record<string, string | undefined>>, setting: string): string[] {
  const value = readOptionalString(env, setting);
  if (value === undefined) return [];
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const url = checkUrl(setting, part);
      const parsed = new URL(url);
      if (parsed.search !== "" || parsed.hash !== "") throw new ConfigError(setting, `"${part}" must be a base URL without query or fragment`);
      return url;
    });
}
