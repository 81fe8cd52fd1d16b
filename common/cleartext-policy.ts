/**
 * Cleartext only to this machine. Bearer tokens and client secrets must not
 * cross a network in clear (RFC 6750 §5.3, RFC 6749 §2.3.1), nor may the keys
 * that decide which tokens verify: an `http:` URL is accepted only when its
 * host is loopback, unless an explicit setting allows plain HTTP (a trusted lab
 * network, or a TLS-terminating sidecar reached by another name). Used by the
 * services for the JWKS URL and by the assistant for every URL it calls.
 */
import { ConfigError } from "./env.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether a URL hostname (as `new URL(…).hostname` gives it) names this
 * machine: exactly `localhost`, an IPv4 address in 127.0.0.0/8, or `[::1]`.
 * Nothing else, however it looks: `localhost.example.com` is another host.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]" || host === "::1") return true;
  const ipv4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return ipv4 !== null && ipv4.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * Reads a switch that allows plain HTTP to other hosts: `1` allows it; unset,
 * empty or `0` does not (the default).
 * @throws ConfigError naming the variable for any other value.
 */
export function readAllowInsecureHttp(env: Env, name: string): boolean {
  const value = env[name]?.trim() ?? "";
  if (value === "" || value === "0") return false;
  if (value === "1") return true;
  throw new ConfigError(name, `"${value}" must be 1 (allow plain HTTP to other hosts) or 0`);
}

export interface CleartextPolicy {
  /** Whether plain HTTP to other hosts is allowed. */
  allowed: boolean;
  /** How to allow it, for the message, e.g. "set AUTH_ALLOW_INSECURE_HTTP=1". */
  allowWith: string;
  /** What goes wrong in clear, for the message, e.g. "bearer tokens would cross the network unencrypted (RFC 6750 §5.3)". */
  risk: string;
  /** Where the URL came from when not from `setting` itself, e.g. "derived from AUTH_ISSUER". */
  origin?: string;
}

/**
 * Accepts an `https:` URL, an `http:` URL to a loopback host, or any URL when
 * the policy allows plain HTTP; returns the URL unchanged.
 * @throws ConfigError naming `setting`, saying why and how to fix it, for `http:` to another host.
 */
export function checkCleartextUrl(setting: string, url: string, policy: CleartextPolicy): string {
  if (policy.allowed) return url;
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" || isLoopbackHost(parsed.hostname)) return url;
  throw new ConfigError(
    setting,
    `"${url}"${policy.origin === undefined ? "" : ` (${policy.origin})`} is plain HTTP to ${parsed.hostname}, which is not this machine: ${policy.risk}; use https://, or ${policy.allowWith} if the network is trusted`,
  );
}
