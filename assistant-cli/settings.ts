/**
 * The assistant's settings: global options first, then the environment, then
 * defaults. Validated once; a bad value is a usage error naming the option.
 * Plain HTTP only to this machine unless allowed (--allow-insecure-http): the
 * client secret goes to the auth provider and bearer tokens to the services.
 * DPoP is on unless turned off (--no-dpop, ASSISTANT_DPOP=0); a client
 * certificate (--client-cert and --client-key) is read and checked here.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { checkCleartextUrl, readAllowInsecureHttp, type CleartextPolicy } from "../common/cleartext-policy.js";
import { readClientCertificate, type ClientCertificate } from "../common/client-certificate.js";
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
  /**
   * Whether to ask for DPoP-bound tokens (RFC 9449) when the auth provider advertises DPoP; default true, off with
   * --no-dpop or ASSISTANT_DPOP=0 (then only Bearer tokens, as before DPoP).
   */
  dpop: boolean;
  /** The DPoP key pair, beside the token cache (mode 0600); made on first use. */
  dpopKeyFile: string;
  /**
   * --client-cert and --client-key (ASSISTANT_CLIENT_CERT_FILE, ASSISTANT_CLIENT_KEY_FILE), read and checked: presented
   * on TLS connections to the auth provider and the services; default none.
   */
  clientCertificate: ClientCertificate | undefined;
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
  /** False with --no-dpop. */
  dpop?: boolean;
  clientCert?: string;
  clientKey?: string;
}

/** ASSISTANT_ALLOW_INSECURE_HTTP=1, like --allow-insecure-http: plain HTTP to hosts other than this machine. */
export const allowInsecureHttpVariable = "ASSISTANT_ALLOW_INSECURE_HTTP";

/** ASSISTANT_DPOP=0, like --no-dpop: Bearer tokens only. */
export const dpopVariable = "ASSISTANT_DPOP";

/** The variables behind --client-cert and --client-key. */
export const clientCertVariable = "ASSISTANT_CLIENT_CERT_FILE";
export const clientKeyVariable = "ASSISTANT_CLIENT_KEY_FILE";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves and checks the settings.
 * @throws CliError "usage" (exit code 2) naming the option: a bad value, or an http:// URL to a host that is not
 * loopback without --allow-insecure-http / ASSISTANT_ALLOW_INSECURE_HTTP=1, a client certificate without its key
 * (or the reverse), unreadable, or with a key that does not match it.
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
    dpop: usage(() => readDpopSwitch(env)) && options.dpop !== false,
    dpopKeyFile: join(cacheHome, "m2m-grpc", "dpop-key.json"),
    clientCertificate: usage(() => readClientCertificateSettings(options, env)),
  };
}

// ASSISTANT_DPOP: unset, empty or 1 is on (the default); 0 is off.
function readDpopSwitch(env: Env): boolean {
  const value = env[dpopVariable]?.trim() ?? "";
  if (value === "" || value === "1") return true;
  if (value === "0") return false;
  throw new ConfigError(dpopVariable, `"${value}" must be 0 (Bearer tokens only, like --no-dpop) or 1`);
}

// Both files or neither; the flags win over their variables.
function readClientCertificateSettings(options: GlobalOptions, env: Env): ClientCertificate | undefined {
  const certFile = options.clientCert || env[clientCertVariable] || undefined;
  const keyFile = options.clientKey || env[clientKeyVariable] || undefined;
  if (certFile === undefined && keyFile === undefined) return undefined;
  const names = `--client-cert (${clientCertVariable}) and --client-key (${clientKeyVariable})`;
  if (certFile === undefined) throw new ConfigError("--client-cert", `is not set but --client-key is: give both ${names}, or neither`);
  if (keyFile === undefined) throw new ConfigError("--client-key", `is not set but --client-cert is: give both ${names}, or neither`);
  return readClientCertificate({
    certSetting: options.clientCert ? "--client-cert" : clientCertVariable,
    certFile,
    keySetting: options.clientKey ? "--client-key" : clientKeyVariable,
    keyFile,
  });
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
