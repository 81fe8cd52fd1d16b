/**
 * A TLS client certificate and its private key, for mutual TLS (RFC 8705):
 * read when the setting is read and checked to belong together, so a bad
 * file stops the program before any connection, with a message that names
 * the setting. Clients pass `cert` and `key` to their TLS connections.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "./env.js";

/** A certificate chain (leaf first) and its key, PEM. */
export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
  /** The leaf's subject DN, for messages: in certificate order joined by ",", as `auth-admin client add --tls-subject` takes it. */
  readonly subject: string;
  /** base64url SHA-256 of the leaf's DER: what `cnf.x5t#S256` of a token bound to it holds (RFC 8705 §3.1). */
  readonly thumbprint: string;
}

/** Where each half comes from: the setting that names the file (a flag or a variable) and the file. */
export interface ClientCertificateFiles {
  readonly certSetting: string;
  readonly certFile: string;
  readonly keySetting: string;
  readonly keyFile: string;
}

/**
 * Reads and checks a certificate and its key.
 * @throws ConfigError naming the setting when a file cannot be read, the certificate file holds no PEM certificate,
 *   the key file no unencrypted PEM private key, or the key does not belong to the certificate.
 */
export function readClientCertificate(files: ClientCertificateFiles): ClientCertificate {
  const cert = readSettingFile(files.certSetting, files.certFile);
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(cert)?.[0];
  if (block === undefined) throw new ConfigError(files.certSetting, `"${files.certFile}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(block);
  } catch (err) {
    throw new ConfigError(files.certSetting, `"${files.certFile}" holds a certificate that cannot be parsed (${messageOf(err)})`);
  }
  const key = readSettingFile(files.keySetting, files.keyFile);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(files.keySetting, `"${files.keyFile}" is not an unencrypted PEM private key (${messageOf(err)})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError(files.keySetting, `"${files.keyFile}" does not match the certificate in ${files.certSetting} ("${files.certFile}")`);
  }
  return { cert, key, subject: leaf.subject.replace(/\n/g, ","), thumbprint: createHash("sha256").update(leaf.raw).digest("base64url") };
}

function readSettingFile(setting: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : messageOf(err);
    throw new ConfigError(setting, `cannot read "${path}": ${why}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
