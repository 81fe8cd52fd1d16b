/**
 * TLS settings shared by the auth provider, the services and the assistant:
 * the server certificate and key (TLS_CERT_FILE, TLS_KEY_FILE), CA files a
 * client trusts, and one readable line for a TLS failure on the client side.
 * Every file is read and checked once at start-up; a problem is a ConfigError
 * that names the setting.
 */
import { readFileSync } from "node:fs";
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { createSecureContext, rootCertificates } from "node:tls";
import { ConfigError, readOptionalString } from "./env.js";

type Env = Readonly<Record<string, string | undefined>>;

/** A server's certificate (chain, leaf first) and private key, PEM, checked to belong together. */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Reads TLS_CERT_FILE and TLS_KEY_FILE. Neither set: undefined (cleartext, the default).
 * @throws ConfigError naming the setting when only one is set, a file cannot be read or is not PEM,
 *   or the key does not belong to the certificate.
 */
export function loadServerTls(env: Env): ServerTls | undefined {
  const certFile = readOptionalString(env, "TLS_CERT_FILE");
  const keyFile = readOptionalString(env, "TLS_KEY_FILE");
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new ConfigError("TLS_CERT_FILE", "is not set but TLS_KEY_FILE is; set both to serve TLS, or neither");
  if (keyFile === undefined) throw new ConfigError("TLS_KEY_FILE", "is not set but TLS_CERT_FILE is; set both to serve TLS, or neither");

  const cert = readSettingFile("TLS_CERT_FILE", certFile);
  const leaf = parseCertificates("TLS_CERT_FILE", certFile, cert)[0]!;
  const key = readSettingFile("TLS_KEY_FILE", keyFile);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError("TLS_KEY_FILE", `"${keyFile}" is not an unencrypted PEM private key (${errorMessage(err)})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError("TLS_KEY_FILE", `"${keyFile}" does not match the certificate in TLS_CERT_FILE ("${certFile}")`);
  }
  try {
    createSecureContext({ cert, key }); // what the server will do; catches anything the checks above missed
  } catch (err) {
    throw new ConfigError("TLS_CERT_FILE", `"${certFile}" cannot be used with "${keyFile}": ${errorMessage(err)}`);
  }
  return { cert, key };
}

/**
 * Reads a PEM file of one or more CA certificates named by `setting` (an environment variable or a flag).
 * @throws ConfigError naming the setting when the file cannot be read or holds no PEM certificate.
 */
export function readCaFile(setting: string, path: string): string {
  const pem = readSettingFile(setting, path).toString("utf8");
  parseCertificates(setting, path, Buffer.from(pem));
  return pem;
}

/**
 * The `ca` option of a TLS client that trusts `caPem` in addition to Node's built-in roots
 * (like NODE_EXTRA_CA_CERTS, but per client and read when the setting is read).
 */
export function trustedCertificates(caPem: string): string[] {
  return [...rootCertificates, caPem];
}

/** Error codes OpenSSL and Node use when the server's certificate chain does not lead to a trusted CA. */
const untrustedCodes = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * One line for a TLS failure found anywhere in `err`'s cause chain, or undefined when it is not one.
 * `url` is where the client connected; `caHint` says how to trust a CA, e.g. "pass --ca-file".
 */
export function describeTlsFailure(err: unknown, url: string, caHint: string): string | undefined {
  const origin = originOf(url);
  for (let cause: unknown = err, depth = 0; cause !== null && typeof cause === "object" && depth < 8; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    const message = String((cause as { message?: unknown }).message ?? "");
    if (typeof code !== "string") continue;
    if (untrustedCodes.has(code)) return `TLS: the certificate of ${origin} is not trusted (${code}) — ${caHint}`;
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `TLS: the certificate of ${origin} is not valid for that host name (${message})`;
    if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return `TLS: the certificate of ${origin} is not valid now (${code})`;
    if (/wrong.version.number|WRONG_VERSION_NUMBER/i.test(`${code} ${message}`)) {
      return `TLS: ${origin} does not speak TLS — use an http:// URL for it, or turn TLS on at the server`;
    }
  }
  return undefined;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function readSettingFile(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : errorMessage(err);
    throw new ConfigError(setting, `cannot read "${path}": ${why}`);
  }
}

// Every PEM certificate in the file, in order; at least one.
function parseCertificates(setting: string, path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString("utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(setting, `"${path}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch (err) {
    throw new ConfigError(setting, `"${path}" holds a certificate that cannot be parsed (${errorMessage(err)})`);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
