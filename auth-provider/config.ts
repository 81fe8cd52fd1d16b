/**
 * Settings of the auth provider, read once from the environment at start-up.
 * A bad value stops the process with a ConfigError that names the setting.
 */
import { resolve } from "node:path";
import { ConfigError, checkUrl, readInteger, readOptionalString, readPort, readString } from "../common/env.js";

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
   * undefined and the issuer is http://localhost:<bound port>/auth; see {@link resolveIssuer}.
   */
  readonly issuer: string | undefined;
  /** AUTH_TOKEN_TTL_SECONDS: lifetime of access tokens for clients without their own; default 3600, 60 to 86400. */
  readonly tokenTtlSeconds: number;
  /**
   * SUPERTOKENS_CONNECTION_URI (and SUPERTOKENS_API_KEY): when set, tokens come from a SuperTokens core through
   * supertokens-node's OAuth2Provider recipe instead of the embedded issuer.
   */
  readonly supertokens: { readonly connectionUri: string; readonly apiKey: string | undefined } | undefined;
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
  return { port, host, dataDir, issuer, tokenTtlSeconds, supertokens };
}

/** The issuer to put in tokens and metadata: AUTH_ISSUER, else http://localhost:<boundPort>/auth. */
export function resolveIssuer(config: AuthProviderConfig, boundPort: number): string {
  return config.issuer ?? `http://localhost:${boundPort}/auth`;
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
