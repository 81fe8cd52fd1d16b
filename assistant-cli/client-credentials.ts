/**
 * The assistant's OAuth2 client credentials, one of:
 * - a private key (private_key_jwt, RFC 7523): ASSISTANT_PRIVATE_KEY_FILE (a
 *   PKCS#8 PEM, as `auth-admin client add ID --key-out FILE` writes it) with
 *   ASSISTANT_CLIENT_ID; no shared secret exists then;
 * - a secret: ASSISTANT_CLIENT_ID and ASSISTANT_CLIENT_SECRET;
 * - a TLS client certificate (tls_client_auth, RFC 8705 §2.1): ASSISTANT_CLIENT_ID
 *   alone, with --client-cert and --client-key; the auth provider knows the
 *   client by the certificate's subject, and no secret or key is sent;
 * - else the `assistant` entry of $DATA_DIR/clients.json that the auth
 *   provider writes on first start.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CliError } from "../common/cli-error.js";
import type { ClientCertificate } from "../common/client-certificate.js";

/** A client id with its shared secret (client_secret_basic). */
export interface SecretCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A client id with the private key its client assertions are signed with (private_key_jwt). */
export interface PrivateKeyCredentials {
  readonly clientId: string;
  readonly privateKey: KeyObject;
  /** The JWS algorithm the key signs with (ES256 for the keys auth-admin creates). */
  readonly alg: string;
  /** Where the key came from, for messages. */
  readonly keyFile: string;
}

/** A client id alone: the client is authenticated by the TLS client certificate it presents (tls_client_auth). */
export interface CertificateCredentials {
  readonly clientId: string;
  /** The certificate's subject DN, for messages. */
  readonly certificateSubject: string;
}

export type ClientCredentials = SecretCredentials | PrivateKeyCredentials | CertificateCredentials;

/** The settings naming the key file. */
export const privateKeyFileVariable = "ASSISTANT_PRIVATE_KEY_FILE";

export function usesPrivateKey(credentials: ClientCredentials): credentials is PrivateKeyCredentials {
  return "privateKey" in credentials;
}

export function usesCertificate(credentials: ClientCredentials): credentials is CertificateCredentials {
  return "certificateSubject" in credentials;
}

/**
 * The credentials the environment names, else clients.json; `clientCertificate` is the one the assistant presents
 * (--client-cert), which with ASSISTANT_CLIENT_ID alone makes the credentials.
 * @throws CliError "usage" for a contradictory or incomplete set, "auth" when there are none.
 */
export function loadClientCredentials(env: Readonly<Record<string, string | undefined>>, dataDir: string, clientCertificate?: ClientCertificate): ClientCredentials {
  const clientId = env["ASSISTANT_CLIENT_ID"];
  const clientSecret = env["ASSISTANT_CLIENT_SECRET"];
  const keyFile = env[privateKeyFileVariable];
  if (keyFile) {
    if (clientSecret) throw new CliError("usage", `set ${privateKeyFileVariable} or ASSISTANT_CLIENT_SECRET, not both`);
    if (!clientId) throw new CliError("usage", `${privateKeyFileVariable} needs ASSISTANT_CLIENT_ID: the client the key is registered for`);
    return { clientId, ...readPrivateKey(resolve(keyFile)) };
  }
  if (clientId && clientSecret) return { clientId, clientSecret };
  if (clientId && clientCertificate) return { clientId, certificateSubject: clientCertificate.subject };
  if (clientId || clientSecret) {
    throw new CliError(
      "usage",
      `set both ASSISTANT_CLIENT_ID and ASSISTANT_CLIENT_SECRET (or ${privateKeyFileVariable}, or --client-cert and --client-key, with ASSISTANT_CLIENT_ID), or neither to use clients.json`,
    );
  }
  const file = resolve(join(dataDir, "clients.json"));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new CliError(
      "auth",
      `no client credentials: ${file} does not exist — start the auth provider once (npm start), or set ASSISTANT_CLIENT_ID and ASSISTANT_CLIENT_SECRET`,
    );
  }
  const entry = parseEntry(text);
  if (!entry) throw new CliError("auth", `no client credentials: ${file} has no "assistant" entry with clientId and clientSecret`);
  return entry;
}

// The key and the algorithm that suits it; a usage error saying what is wrong with the file otherwise.
function readPrivateKey(keyFile: string): { privateKey: KeyObject; alg: string; keyFile: string } {
  let pem: string;
  try {
    pem = readFileSync(keyFile, "utf8");
  } catch (err) {
    throw new CliError("usage", `cannot read ${privateKeyFileVariable} ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new CliError("usage", `${privateKeyFileVariable} ${keyFile} is not a PEM private key (auth-admin client add ID --key-out FILE writes one)`, { cause: err });
  }
  const alg = signingAlgorithmOf(privateKey);
  if (alg === undefined) {
    throw new CliError("usage", `${privateKeyFileVariable} ${keyFile} holds a ${privateKey.asymmetricKeyType} key; use an EC (P-256, P-384, P-521), RSA or Ed25519 key`);
  }
  return { privateKey, alg, keyFile };
}

function signingAlgorithmOf(key: KeyObject): string | undefined {
  switch (key.asymmetricKeyType) {
    case "ec":
      return { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" }[key.asymmetricKeyDetails?.namedCurve ?? ""];
    case "rsa":
      return "RS256";
    case "ed25519":
      return "EdDSA";
    default:
      return undefined;
  }
}

function parseEntry(text: string): SecretCredentials | undefined {
  try {
    const entry = (JSON.parse(text) as Record<string, Partial<SecretCredentials>>)["assistant"];
    if (typeof entry?.clientId === "string" && typeof entry.clientSecret === "string") {
      return { clientId: entry.clientId, clientSecret: entry.clientSecret };
    }
  } catch {
    // reported by the caller as a file without a usable entry
  }
  return undefined;
}
