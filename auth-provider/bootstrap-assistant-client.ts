/**
 * First-start logic: makes sure the `assistant` client exists and that
 * $DATA_DIR/clients.json (mode 0600) holds credentials that work, in the shape
 * the CLI reads: {"assistant": {"clientId": "assistant", "clientSecret": "..."}}.
 */
import { join } from "node:path";
import type { Logger } from "../common/json-logger.js";
import { generateClientSecret, type ClientStore } from "./client-store.js";
import { readTextIfExists, writePrivateFileAtomic } from "./private-files.js";

/** Name of the credentials file inside the data directory. */
export const clientsFileName = "clients.json";

/** The assistant client as registered on first start. */
export const assistantClient = {
  clientId: "assistant",
  scopes: ["calendar.read", "calendar.write", "note.read", "note.write"],
  audiences: ["calendar-service", "note-service"],
  grantTypes: ["client_credentials"],
} as const;

/** One client's credentials as stored in clients.json. */
export interface ClientCredentialsEntry {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * What bootstrapping did: created (fresh start), unchanged, reissued (new secret), restored (registered the file's
 * secret) or disabled (the client is disabled and was left alone).
 */
export type BootstrapOutcome = "created" | "unchanged" | "reissued" | "restored" | "disabled";

/** What bootstrapping needs: the client store, the data directory holding clients.json, and a logger. */
export interface BootstrapOptions {
  readonly store: ClientStore;
  readonly dataDir: string;
  readonly logger: Logger;
}

/**
 * Ensures the assistant client and its credentials file agree:
 * - neither exists: generate a secret, register the client, write the file;
 * - the client exists and the file's secret authenticates: nothing to do;
 * - the file is missing, unreadable or its secret does not match: generate a new secret, store its hash, rewrite
 *   the file and log a warning (without the secret);
 * - the file has a secret but the client is missing: register the client with that secret.
 * Never logs a secret. Throws file system or database errors.
 */
export function bootstrapAssistantClient(options: BootstrapOptions): { outcome: BootstrapOutcome; file: string } {
  const { store, dataDir, logger } = options;
  const file = join(dataDir, clientsFileName);
  const { entries, assistant } = readClientsFile(file);
  const existing = store.find(assistantClient.clientId);
  let outcome: BootstrapOutcome;

  if (existing === undefined) {
    const fileSecret = assistant?.clientSecret;
    const restored = fileSecret !== undefined && isUsableSecret(fileSecret) ? fileSecret : undefined;
    const secret = restored ?? generateClientSecret();
    // The file first: if the process dies in between, the next start registers the file's secret.
    if (restored === undefined) writeClientsFile(file, entries, secret);
    store.register({ ...assistantClient, secret });
    outcome = restored === undefined ? "created" : "restored";
  } else if (existing.disabled) {
    logger.warn("the assistant client is disabled; its credentials were left as they are", { file });
    outcome = "disabled";
  } else if (assistant !== undefined && store.authenticate(assistantClient.clientId, assistant.clientSecret)) {
    outcome = "unchanged";
  } else {
    const fresh = generateClientSecret();
    store.setSecret(assistantClient.clientId, fresh);
    writeClientsFile(file, entries, fresh);
    logger.warn("the assistant client secret was re-issued: the credentials file was missing or did not match", {
      file,
    });
    outcome = "reissued";
  }
  logger.info("assistant client credentials", { file, client_id: assistantClient.clientId, outcome });
  return { outcome, file };
}

/** The assistant's credentials in a clients.json file; undefined when the file or entry is missing or malformed. */
export function readAssistantCredentials(file: string): ClientCredentialsEntry | undefined {
  return readClientsFile(file).assistant;
}

function readClientsFile(file: string): { entries: Record<string, unknown>; assistant?: ClientCredentialsEntry } {
  const text = readTextIfExists(file);
  if (text === undefined) return { entries: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { entries: {} };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { entries: {} };
  const entries = parsed as Record<string, unknown>;
  const entry = entries[assistantClient.clientId] as Partial<ClientCredentialsEntry> | undefined;
  const valid =
    typeof entry === "object" &&
    entry !== null &&
    entry.clientId === assistantClient.clientId &&
    typeof entry.clientSecret === "string";
  return valid ? { entries, assistant: { clientId: entry.clientId!, clientSecret: entry.clientSecret! } } : { entries };
}

// Other entries in the file are kept as they were.
function writeClientsFile(file: string, entries: Record<string, unknown>, secret: string): void {
  const next = { ...entries, [assistantClient.clientId]: { clientId: assistantClient.clientId, clientSecret: secret } };
  writePrivateFileAtomic(file, JSON.stringify(next, null, 2) + "\n");
}

function isUsableSecret(secret: string): boolean {
  return secret.length >= 16 && secret.length <= 1024;
}
