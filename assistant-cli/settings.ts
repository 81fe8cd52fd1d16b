/**
 * The assistant's settings: global options first, then the environment, then
 * defaults. Validated once; a bad value is a usage error naming the option.
 * Plain HTTP only to this machine unless allowed (--allow-insecure-http): the
 * client secret goes to the auth provider and bearer tokens to the services.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { checkCleartextUrl, readAllowInsecureHttp, type CleartextPolicy } from "../common/cleartext-policy.js";
import { checkUrl, ConfigError } from "../common/env.js";
import { readCaFile } from "../common/tls.js";
import { CliError } from "../common/cli-error.js";

export type Protocol = "grpc" | "connect" | "grpc-web";
export type OutputFormat = "text" | "json";

export interface AssistantSettings {
  authUrl: string;
  calendarUrl: string;
  notesUrl: string;
  calendarAudience: string;
  notesAudience: string;
  protocol: Protocol;
  output: OutputFormat;
  verbose: boolean;
  /**
   * --ca-file (ASSISTANT_CA_FILE), read: PEM of the CA(s) that signed the servers' certificates, trusted for
   * https URLs (the auth provider and both services) besides Node's built-in roots; default none.
   */
  ca: string | undefined;
  /** Where the auth provider wrote clients.json. */
  dataDir: string;
  /** Where tokens are cached between runs. */
  tokenCacheFile: string;
}

/** The global options as commander parsed them (all optional strings). */
export interface GlobalOptions {
  authUrl?: string;
  calendarUrl?: string;
  notesUrl?: string;
  protocol?: string;
  output?: string;
  verbose?: boolean;
  caFile?: string;
  allowInsecureHttp?: boolean;
}

/** ASSISTANT_ALLOW_INSECURE_HTTP=1, like --allow-insecure-http: plain HTTP to hosts other than this machine. */
export const allowInsecureHttpVariable = "ASSISTANT_ALLOW_INSECURE_HTTP";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves and checks the settings.
 * @throws CliError "usage" (exit code 2) naming the option: a bad value, or an http:// URL to a host that is not
 * loopback without --allow-insecure-http / ASSISTANT_ALLOW_INSECURE_HTTP=1.
 */
export function resolveSettings(options: GlobalOptions, env: Env = process.env): AssistantSettings {
  const protocol = options.protocol ?? "grpc";
  if (protocol !== "grpc" && protocol !== "connect" && protocol !== "grpc-web") {
    throw new CliError("usage", `--protocol must be grpc, connect or grpc-web (got "${protocol}")`);
  }
  const output = options.output ?? "text";
  if (output !== "text" && output !== "json") throw new CliError("usage", `--output must be text or json (got "${output}")`);
  const cacheHome = env["XDG_CACHE_HOME"] || join(homedir(), ".cache");
  const caFile = options.caFile || env["ASSISTANT_CA_FILE"] || undefined;
  // Giving a CA says the servers run TLS: the default URLs follow.
  const scheme = caFile === undefined ? "http" : "https";
  const allowed = options.allowInsecureHttp === true || usage(() => readAllowInsecureHttp(env, allowInsecureHttpVariable));
  const policy = (risk: string): CleartextPolicy => ({ allowed, allowWith: `pass --allow-insecure-http (or set ${allowInsecureHttpVariable}=1)`, risk });
  const secret = policy("the client secret would cross the network unencrypted, in HTTP Basic authentication (RFC 6749 §2.3.1)");
  const tokens = policy("bearer tokens would cross the network unencrypted (RFC 6750 §5.3)");
  return {
    authUrl: url("--auth-url", options.authUrl ?? env["AUTH_URL"] ?? `${scheme}://localhost:3001`, secret),
    calendarUrl: url("--calendar-url", options.calendarUrl ?? env["CALENDAR_URL"] ?? `${scheme}://localhost:3011`, tokens),
    notesUrl: url("--notes-url", options.notesUrl ?? env["NOTES_URL"] ?? `${scheme}://localhost:3012`, tokens),
    calendarAudience: env["CALENDAR_AUDIENCE"] || "calendar-service",
    notesAudience: env["NOTES_AUDIENCE"] || "note-service",
    protocol,
    output,
    verbose: options.verbose ?? false,
    ca: caFile === undefined ? undefined : usage(() => readCaFile("--ca-file", caFile)),
    dataDir: env["DATA_DIR"] || "./data",
    tokenCacheFile: join(cacheHome, "m2m-grpc", "tokens.json"),
  };
}

function url(option: string, value: string, policy: CleartextPolicy): string {
  return usage(() => checkCleartextUrl(option, checkUrl(option, value), policy));
}

// A bad setting is a usage error that names the option.
function usage<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new CliError("usage", err instanceof ConfigError ? err.message : String(err));
  }
}
