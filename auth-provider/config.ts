/**
 * Settings of the auth provider, read once from the environment at start-up.
 * A bad value stops the process with a ConfigError that names the setting.
 */
import { resolve } from "node:path";
import { ConfigError, checkUrl, readInteger, readOptionalString, readPort, readString } from "../common/env.js";
import { loadServerTls, readCaFile, type ServerTls } from "../common/tls.js";
import { readDatabaseUrl, type PostgresLocation } from "../common/database/database-url.js";
import { loadScopeCatalog, type ScopeCatalog } from "./policy/scope-catalog.js";
import { keyEncryptionKeyVariable, missingKeyEncryptionKeyMessage, readKeyEncryptionKey, type KeyEncryptionKey } from "./keys/key-encryption.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The port the auth provider listens on unless AUTH_PORT says otherwise. */
export const defaultAuthPort = 3001;

/** The auth provider's settings, validated. */
export interface AuthProviderConfig {
  /** AUTH_PORT: TCP port to listen on; default 3001; 0 picks any free port. */
  readonly port: number;
  /** AUTH_HOST: address to listen on; default "localhost". */
  readonly host: string;
  /** DATA_DIR, made absolute: where keys, the client database and clients.json live; default "./data". */
  readonly dataDir: string;
  /**
   * AUTH_ISSUER when set (an http(s) URL without query or fragment, no trailing slash). When unset this is
   * undefined and the issuer is http://localhost:<bound port>/auth (https with TLS); see {@link resolveIssuer}.
   */
  readonly issuer: string | undefined;
  /**
   * TLS_CERT_FILE and TLS_KEY_FILE: when set, the provider serves HTTPS (HTTP/1.1); absent (the default) means
   * cleartext HTTP. A file that cannot be read or a key that does not match the certificate is a ConfigError.
   */
  readonly tls?: ServerTls;
  /**
   * AUTH_CLIENT_CA_FILE: PEM CA certificate(s) that sign client certificates. When set (TLS required), the provider
   * requests a client certificate on every connection without requiring one (other methods keep working), offers
   * tls_client_auth (RFC 8705 §2.1) and binds the tokens of clients that use it to their certificate. Absent (the
   * default): no client certificates.
   */
  readonly clientCa?: string;
  /** AUTH_TOKEN_TTL_SECONDS: lifetime of access tokens for clients without their own; default 3600, 60 to 86400. */
  readonly tokenTtlSeconds: number;
  /**
   * SUPERTOKENS_CONNECTION_URI (and SUPERTOKENS_API_KEY): when set, tokens come from a SuperTokens core through
   * supertokens-node's OAuth2Provider recipe instead of the embedded issuer.
   */
  readonly supertokens: { readonly connectionUri: string; readonly apiKey: string | undefined } | undefined;
  /** Limits on failed client authentication at the token endpoint. */
  readonly failedAuthLimits: FailedAuthLimits;
  /** Timing of signing key rotation. */
  readonly keyRotation: KeyRotationSettings;
  /**
   * DATABASE_URL: when set, the embedded issuer keeps clients, keys and failed-login counts in this PostgreSQL
   * database, shared by any number of replicas; absent (the default) means SQLite and files under DATA_DIR. The
   * SuperTokens backend keeps its data in its core and ignores it.
   */
  readonly database?: PostgresLocation;
  /**
   * The key read from the file named by AUTH_KEY_ENCRYPTION_KEY_FILE (32 random bytes in base64): seals the private
   * keys in the database. Required with DATABASE_URL (embedded issuer); checked when set, unused with SQLite.
   */
  readonly keyEncryptionKey?: KeyEncryptionKey;
  /**
   * The scopes each audience defines: the services' proto options under CALENDAR_AUDIENCE and NOTES_AUDIENCE, plus
   * AUTH_EXTRA_AUDIENCES (policy/scope-catalog.ts). Grants must name them; discovery lists them as scopes_supported.
   */
  readonly catalog: ScopeCatalog;
}

/**
 * Limits on failed client authentication (failed-auth-limiter.ts). Failures are counted per client id and address,
 * per address and per client id over all addresses, each in windows of `windowSeconds` from its first failure; once
 * a count reaches its limit the token endpoint answers 429 slow_down with Retry-After, until that window ends, to
 * that client from that address, to that address, or to that client from every address except those it
 * authenticated from in the last 24 hours. So one guessing address is stopped after a few tries without locking
 * the client out elsewhere, and guessing spread over many addresses stays slow; only a caller sharing the client's
 * own address (or IPv6 /64) can hold it back there, for one window at a time.
 */
export interface FailedAuthLimits {
  /** AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS: failures per client id from one address; default 5, 0 (off) to 10000. */
  readonly perClientAddress: number;
  /** AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS: failures per caller address (IPv6: per /64); default 20, 0 (off) to 100000. */
  readonly perAddress: number;
  /**
   * AUTH_FAILED_AUTH_LIMIT_PER_CLIENT: failures per client id from all addresses; default 100 (5 before issue 11,
   * when it was the only per-client count), 0 (off) to 100000. Addresses the client authenticated from are exempt.
   */
  readonly perClient: number;
  /** AUTH_FAILED_AUTH_WINDOW_SECONDS: window length, counted from its first failure; default 60, 1 to 3600. */
  readonly windowSeconds: number;
}

/** Timing of signing key rotation (key-rotation.ts); read by the auth provider and by `auth-admin key rotate`. */
export interface KeyRotationSettings {
  /**
   * AUTH_KEY_ACTIVATION_DELAY_SECONDS (used by `auth-admin key rotate`): a new key is published at once and signs
   * only this many seconds later; default 15, 0 to 86400. 15 s covers the services, which refetch the JWKS on an
   * unknown kid at most every 10 s, plus the auth provider's 1 s re-read of the keys file. Raise it to the JWKS
   * max-age (300 s) when some verifier only refreshes on its cache lifetime or sits behind an HTTP cache.
   */
  readonly activationDelaySeconds: number;
  /**
   * AUTH_KEY_RETIRE_MARGIN_SECONDS: an outgoing key stays published this long after the last token it may have
   * signed expires, for verifiers' clock tolerance (30 s in the services) and skew; default 60, 0 to 3600. The auth
   * provider caps the expiry of tokens signed by an outgoing key at its retirement minus this margin, so give the
   * provider and the admin CLI the same value.
   */
  readonly retireMarginSeconds: number;
}

/**
 * Reads and validates the auth provider's settings.
 * @throws ConfigError naming the setting whose value is not acceptable.
 */
export function loadAuthProviderConfig(env: Env = process.env): AuthProviderConfig {
  const port = readPort(env, "AUTH_PORT", defaultAuthPort);
  const host = readString(env, "AUTH_HOST", "localhost");
  const dataDir = resolve(readString(env, "DATA_DIR", "./data"));
  const issuerValue = readOptionalString(env, "AUTH_ISSUER");
  const issuer = issuerValue === undefined ? undefined : checkIssuer(issuerValue);
  const tokenTtlSeconds = readInteger(env, "AUTH_TOKEN_TTL_SECONDS", 3600, 60, 86400);
  const connectionUri = readOptionalString(env, "SUPERTOKENS_CONNECTION_URI");
  const apiKey = readOptionalString(env, "SUPERTOKENS_API_KEY");
  if (apiKey !== undefined && connectionUri === undefined) {
    throw new ConfigError("SUPERTOKENS_API_KEY", "is set but SUPERTOKENS_CONNECTION_URI is not; set both to use SuperTokens, or neither");
  }
  const supertokens = connectionUri === undefined ? undefined : { connectionUri: checkUrl("SUPERTOKENS_CONNECTION_URI", connectionUri), apiKey };
  const tls = loadServerTls(env);
  const clientCa = loadClientCa(env, tls !== undefined, supertokens !== undefined);
  const failedAuthLimits = {
    perClientAddress: readInteger(env, "AUTH_FAILED_AUTH_LIMIT_PER_CLIENT_ADDRESS", 5, 0, 10_000),
    perAddress: readInteger(env, "AUTH_FAILED_AUTH_LIMIT_PER_ADDRESS", 20, 0, 100_000),
    perClient: readInteger(env, "AUTH_FAILED_AUTH_LIMIT_PER_CLIENT", 100, 0, 100_000),
    windowSeconds: readInteger(env, "AUTH_FAILED_AUTH_WINDOW_SECONDS", 60, 1, 3600),
  };
  const keyRotation = loadKeyRotationSettings(env);
  const storage = supertokens === undefined ? loadStorageSettings(env) : {};
  const catalog = loadScopeCatalog(env);
  const tlsSettings = { ...(tls ? { tls } : {}), ...(clientCa ? { clientCa } : {}) };
  return { port, host, dataDir, issuer, tokenTtlSeconds, supertokens, failedAuthLimits, keyRotation, catalog, ...tlsSettings, ...storage };
}

/**
 * Reads AUTH_CLIENT_CA_FILE (unset: undefined).
 * @throws ConfigError naming AUTH_CLIENT_CA_FILE when the file cannot be read or holds no PEM certificate, when TLS
 *   is off (client certificates need TLS), or with the SuperTokens backend (which has no tls_client_auth).
 */
function loadClientCa(env: Env, tlsOn: boolean, superTokens: boolean): string | undefined {
  const file = readOptionalString(env, "AUTH_CLIENT_CA_FILE");
  if (file === undefined) return undefined;
  if (!tlsOn) throw new ConfigError("AUTH_CLIENT_CA_FILE", "is set but TLS is off: client certificates need TLS; set TLS_CERT_FILE and TLS_KEY_FILE too, or unset it");
  if (superTokens) throw new ConfigError("AUTH_CLIENT_CA_FILE", "is set but the SuperTokens backend has no tls_client_auth; unset it or SUPERTOKENS_CONNECTION_URI");
  return readCaFile("AUTH_CLIENT_CA_FILE", resolve(file));
}

/**
 * Reads DATABASE_URL and AUTH_KEY_ENCRYPTION_KEY_FILE (shared with the admin CLI): both absent means SQLite.
 * @throws ConfigError naming DATABASE_URL (never showing its password) or AUTH_KEY_ENCRYPTION_KEY_FILE (missing with a
 *   database, unreadable, or not 32 bytes of base64; the message says how to make one).
 */
export function loadStorageSettings(env: Env): { database?: PostgresLocation; keyEncryptionKey?: KeyEncryptionKey } {
  const database = readDatabaseUrl(env);
  const kekFile = readOptionalString(env, keyEncryptionKeyVariable);
  if (database !== undefined && kekFile === undefined) throw new ConfigError(keyEncryptionKeyVariable, missingKeyEncryptionKeyMessage());
  const keyEncryptionKey = kekFile === undefined ? undefined : readKeyEncryptionKey(resolve(kekFile));
  return { ...(database ? { database } : {}), ...(keyEncryptionKey ? { keyEncryptionKey } : {}) };
}

/**
 * Reads AUTH_KEY_ACTIVATION_DELAY_SECONDS and AUTH_KEY_RETIRE_MARGIN_SECONDS (shared with the admin CLI).
 * @throws ConfigError naming the setting whose value is not acceptable.
 */
export function loadKeyRotationSettings(env: Env = process.env): KeyRotationSettings {
  return {
    activationDelaySeconds: readInteger(env, "AUTH_KEY_ACTIVATION_DELAY_SECONDS", 15, 0, 86_400),
    retireMarginSeconds: readInteger(env, "AUTH_KEY_RETIRE_MARGIN_SECONDS", 60, 0, 3600),
  };
}

/** The issuer to put in tokens and metadata: AUTH_ISSUER, else http(s)://localhost:<boundPort>/auth (https with TLS). */
export function resolveIssuer(config: AuthProviderConfig, boundPort: number): string {
  return config.issuer ?? `${config.tls ? "https" : "http"}://localhost:${boundPort}/auth`;
}

// RFC 8414 §2: the issuer is a URL with no query or fragment component.
function checkIssuer(value: string): string {
  const issuer = checkUrl("AUTH_ISSUER", value);
  const url = new URL(issuer);
  if (url.search !== "" || url.hash !== "" || issuer.includes("?") || issuer.includes("#")) {
    throw new ConfigError("AUTH_ISSUER", `"${value}" must not have a query or fragment`);
  }
  return issuer;
}
