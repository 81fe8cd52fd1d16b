/**
 * Helpers for the auth provider's tests: starting the real process over a
 * fresh data directory (or as a replica on a shared database), building client
 * credentials, and calling the token endpoint with plain fetch.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startProcess, tempDataDir, type RunningProcess } from "./processes.js";
import { openAuthDatabase } from "../../auth-provider/storage/auth-database.js";
import { readAssistantCredentials } from "../../auth-provider/clients/bootstrap-assistant-client.js";
import { createClientStore, generateClientSecret, type NewClient } from "../../auth-provider/clients/client-store.js";
import { loadOrCreateIssuerKeys } from "../../auth-provider/keys/key-file.js";

/** The value of an Authorization header for client_secret_basic (each part form-encoded, RFC 6749 §2.3.1). */
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString("base64")}`;
}

/** How to send a token request: a form (string or pairs), a JSON value, or a raw body with its content type. */
export type TokenRequestBody =
  | { form: string | [string, string][] | Record<string, string> }
  | { json: unknown }
  | { raw: string; contentType?: string };

/** A token endpoint answer with its JSON body parsed (undefined when it is not JSON). */
export interface TokenAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

/** POSTs to <baseUrl>/auth/oauth/token. */
export async function requestToken(
  baseUrl: string,
  body: TokenRequestBody,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  let payload: string;
  let contentType: string | undefined;
  if ("form" in body) {
    payload = typeof body.form === "string" ? body.form : new URLSearchParams(body.form).toString();
    contentType = "application/x-www-form-urlencoded";
  } else if ("json" in body) {
    payload = JSON.stringify(body.json);
    contentType = "application/json";
  } else {
    payload = body.raw;
    contentType = body.contentType;
  }
  const response = await fetch(`${baseUrl}/auth/oauth/token`, {
    method: "POST",
    headers: { ...(contentType === undefined ? {} : { "content-type": contentType }), ...headers },
    body: payload,
  });
  return readTokenAnswer(response);
}

/** An answer of the auth provider with its body read, and parsed when it is JSON. */
export async function readTokenAnswer(response: Response): Promise<TokenAnswer> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A running auth provider with its data directory, issuer and the secrets of its clients. */
export interface AuthProviderUnderTest {
  readonly server: RunningProcess;
  readonly issuer: string;
  /** Client id → plain secret, the assistant's included. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Stops the process (resolving with its exit code) and removes the data directory. */
  close(): Promise<number | null>;
}

/**
 * Starts auth-provider/main.js on a free loopback port over a fresh data directory, after registering the given
 * extra clients in its database (a client marked disabled is registered, then disabled); env adds settings.
 */
export async function startAuthProvider(
  clients: (Omit<NewClient, "secret"> & { disabled?: boolean })[] = [],
  env: Record<string, string> = {},
): Promise<AuthProviderUnderTest> {
  const dataDir = tempDataDir();
  const secrets: Record<string, string> = {};
  const keys = await loadOrCreateIssuerKeys(dataDir.path);
  const db = openAuthDatabase(dataDir.path);
  try {
    const store = createClientStore(db, keys.clientSecretHashKey);
    for (const { disabled, ...client } of clients) {
      secrets[client.clientId] = generateClientSecret();
      store.register({ ...client, secret: secrets[client.clientId]! });
      if (disabled === true) store.setDisabled(client.clientId, true);
    }
  } finally {
    db.close();
  }
  let server: RunningProcess;
  try {
    server = await startProcess("auth-provider/main.js", {
      env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: dataDir.path, ...env },
    });
  } catch (err) {
    dataDir.remove();
    throw err;
  }
  const issuer = server.logs().find((l) => l["msg"] === "listening")!["issuer"] as string;
  const assistant = readAssistantCredentials(join(dataDir.path, "clients.json"))!;
  secrets["assistant"] = assistant.clientSecret;
  return {
    server,
    issuer,
    secrets,
    async close() {
      const code = await server.stop();
      dataDir.remove();
      return code;
    },
  };
}

/** An auth provider replica on a shared database, with its own (initially empty) data directory. */
export interface AuthReplica {
  readonly server: RunningProcess;
  readonly dataDir: string;
  /** Stops the process (resolving with its exit code) and removes the data directory. */
  close(): Promise<number | null>;
}

/**
 * Starts auth-provider/main.js on a free loopback port over a fresh, empty data directory; env must carry the shared
 * settings (DATABASE_URL, AUTH_KEY_ENCRYPTION_KEY_FILE, AUTH_ISSUER so that every replica names the same issuer).
 */
export async function startAuthReplica(env: Record<string, string>): Promise<AuthReplica> {
  const dataDir = tempDataDir();
  try {
    const server = await startProcess("auth-provider/main.js", {
      env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: dataDir.path, ...env },
    });
    return {
      server,
      dataDir: dataDir.path,
      async close() {
        const code = await server.stop();
        dataDir.remove();
        return code;
      },
    };
  } catch (err) {
    dataDir.remove();
    throw err;
  }
}

/** Writes a key-encryption key file (32 random bytes in base64, mode 0600) into dir and returns its path. */
export function writeKeyEncryptionKeyFile(dir: string): string {
  const file = join(dir, "kek.b64");
  writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  return file;
}
