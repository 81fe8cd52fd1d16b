/**
 * First-start logic: makes sure the `assistant` client exists and that
 * $DATA_DIR/clients.json (mode 0600) holds credentials that work, in the shape
 * the CLI reads: {"assistant": {"clientId": "assistant", "clientSecret": "..."}}.
 *
 * With a store shared by replicas (PostgreSQL), the assistant is created once,
 * by whichever replica registers it first, and only that replica writes the
 * secret to its clients.json; a replica that finds the client in the database
 * leaves it and its secret alone, even when its own DATA_DIR has no
 * credentials (another machine gets them with `auth-admin client rotate-secret
 * assistant`, or by copying clients.json).
 */
import type { Logger } from "../../common/json-logger.js";
import { generateClientSecret } from "./client-store.js";
import type { Grant, NewClient } from "./client-record.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import type { ClientRepository } from "../storage/auth-store.js";
import { weakSecretReason } from "./secret-strength.js";
import { clientEntry, clientsFilePath, readClientsFile, writeClientEntry, type ClientCredentialsEntry } from "./clients-file.js";

/**
 * The assistant client: its id, and the scope and audience lists the SuperTokens backend registers it with (its
 * OAuth clients hold independent lists). The embedded issuer registers grants instead (assistantRegistration).
 */
export const assistantClient = {
  clientId: "assistant",
  scopes: ["calendar.read", "calendar.write", "note.read", "note.write"],
  audiences: ["calendar-service", "note-service"],
  grantTypes: ["client_credentials"],
} as const;

/**
 * The assistant as registered on first start: every audience the proto defines (the calendar and the notes, under
 * their configured audiences) with all its scopes; never an audience only configured with AUTH_EXTRA_AUDIENCES.
 */
export function assistantRegistration(catalog: ScopeCatalog, secret: string): NewClient {
  const grants: Grant[] = catalog.audiences
    .filter((entry) => entry.source === "proto" && entry.scopes.length > 0)
    .map((entry) => ({ audience: entry.audience, scopes: entry.scopes }));
  return { clientId: assistantClient.clientId, secret, grants, grantTypes: [...assistantClient.grantTypes] };
}

/**
 * What bootstrapping did: created (fresh start), unchanged, reissued (new secret), restored (registered the file's
 * secret), disabled (the client is disabled and was left alone), key-only (it authenticates with a key only, as
 * `auth-admin client revoke-secret` left it: no secret is issued) or shared (a shared database holds the client, whose
 * secret this replica does not have: left alone).
 */
export type BootstrapOutcome = "created" | "unchanged" | "reissued" | "restored" | "disabled" | "key-only" | "shared";

/** What bootstrapping needs: the client store, the scope catalog, the data directory holding clients.json, and a logger. */
export interface BootstrapOptions {
  readonly store: ClientRepository;
  /** The grants of a newly registered assistant come from it (see assistantRegistration). */
  readonly catalog: ScopeCatalog;
  /** True when replicas share the store: never re-issue a secret other replicas' machines may hold. */
  readonly shared: boolean;
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
 * With a shared store, a client registered by another replica (found, or registered first in a race) is left alone.
 * Never logs a secret. Throws file system or database errors.
 */
export async function bootstrapAssistantClient(options: BootstrapOptions): Promise<{ outcome: BootstrapOutcome; file: string }> {
  const { store, dataDir, logger, shared, catalog } = options;
  const file = clientsFilePath(dataDir);
  const assistant = readAssistantCredentials(file);
  const existing = await store.find(assistantClient.clientId);
  let outcome: BootstrapOutcome;

  if (existing === undefined) {
    const fileSecret = assistant?.clientSecret;
    const restored = fileSecret !== undefined && isUsableSecret(fileSecret) ? fileSecret : undefined;
    const secret = restored ?? generateClientSecret();
    if (fileSecret !== undefined && restored === undefined) {
      logger.warn("the assistant's secret in the credentials file is too weak to register; a new one was generated", { file });
    }
    if (shared) {
      // The database first: only the replica that registers the client writes its secret down.
      const registered = await registerUnlessTaken(store, assistantRegistration(catalog, secret));
      if (registered && restored === undefined) writeAssistant(file, secret);
      outcome = !registered ? "shared" : restored === undefined ? "created" : "restored";
    } else {
      // The file first: if the process dies in between, the next start registers the file's secret.
      if (restored === undefined) writeAssistant(file, secret);
      await store.register(assistantRegistration(catalog, secret));
      outcome = restored === undefined ? "created" : "restored";
    }
  } else if (existing.disabled) {
    logger.warn("the assistant client is disabled; its credentials were left as they are", { file });
    outcome = "disabled";
  } else if (!existing.hasSecret && existing.publicJwk !== undefined) {
    // An operator moved it to private_key_jwt (revoke-secret): issuing a secret again would undo that.
    outcome = "key-only";
  } else if (assistant !== undefined && (await store.authenticate(assistantClient.clientId, assistant.clientSecret))) {
    outcome = "unchanged";
  } else if (shared) {
    outcome = "shared";
  } else {
    const fresh = generateClientSecret();
    await store.setSecret(assistantClient.clientId, fresh);
    writeAssistant(file, fresh);
    logger.warn("the assistant client secret was re-issued: the credentials file was missing or did not match", {
      file,
    });
    outcome = "reissued";
  }
  if (outcome === "shared") {
    logger.info("the assistant client is in the shared database; its secret is left alone and is not in this DATA_DIR " +
      "(run `auth-admin client rotate-secret assistant` here for a new one, or copy clients.json from the replica that created it)", { file });
  }
  logger.info("assistant client credentials", { file, client_id: assistantClient.clientId, outcome });
  return { outcome, file };
}

// Registers the assistant; false when another replica registered it first.
async function registerUnlessTaken(store: ClientRepository, client: NewClient): Promise<boolean> {
  try {
    await store.register(client);
    return true;
  } catch (err) {
    if ((await store.find(assistantClient.clientId)) !== undefined) return false;
    throw err;
  }
}

/** The assistant's credentials in a clients.json file; undefined when the file or entry is missing or malformed. */
export function readAssistantCredentials(file: string): ClientCredentialsEntry | undefined {
  const entry = clientEntry(readClientsFile(file), assistantClient.clientId);
  return entry?.clientId === assistantClient.clientId ? entry : undefined;
}

function writeAssistant(file: string, secret: string): void {
  writeClientEntry(file, assistantClient.clientId, { clientId: assistantClient.clientId, clientSecret: secret });
}

// A weak secret found in the file is replaced by a generated one rather than registered.
function isUsableSecret(secret: string): boolean {
  return weakSecretReason(secret) === undefined;
}
