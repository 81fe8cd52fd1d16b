/**
 * The `client` commands: typed functions over an opened data directory that
 * return data for the printer. Secrets are generated here, returned once for
 * printing, and stored only as hashes (except the credentials file the
 * assistant already reads its secret from, which is kept in step: in this
 * machine's DATA_DIR, also when the clients live in a shared database).
 */
import { clientEntry, clientsFilePath, readClientsFile, writeClientEntry } from "../clients/clients-file.js";
import { generateClientSecret, type ClientRecord } from "../clients/client-store.js";
import { assistantClient } from "../clients/bootstrap-assistant-client.js";
import { CliError } from "../../common/cli-error.js";
import type { AdminDataDir } from "./admin-data-dir.js";
import { clientIdPattern, parseClientId, parseTokenList, parseTokenTtl } from "./admin-input.js";

/** A client as the CLI shows it. */
export type ClientView = Omit<ClientRecord, "grantTypes" | "tokenTtlSeconds"> & {
  /** null: the auth provider's default (AUTH_TOKEN_TTL_SECONDS); null rather than absent so JSON output shows it. */
  readonly tokenTtlSeconds: number | null;
};

/** A client with the secret that was just issued for it (shown once). */
export interface ClientWithSecret {
  readonly client: ClientView;
  readonly clientSecret: string;
  /** Names of clients.json entries that now hold the new secret (the assistant's, for one). */
  readonly credentialsFileEntries: readonly string[];
}

/** The raw options of `client add`. */
export interface AddClientOptions {
  readonly scope: string;
  readonly audience: string;
  readonly tokenTtl?: string | undefined;
}

/** Registers a client for the client_credentials grant with a new secret. Usage error when the id is taken. */
export async function addClient(dir: AdminDataDir, id: string, options: AddClientOptions): Promise<ClientWithSecret> {
  const clientId = parseClientId(id);
  const scopes = parseTokenList("--scope", options.scope);
  const audiences = parseTokenList("--audience", options.audience);
  const tokenTtlSeconds = options.tokenTtl === undefined ? undefined : parseTokenTtl(options.tokenTtl);
  if ((await dir.store.clients.find(clientId)) !== undefined) {
    throw new CliError("usage", `client "${clientId}" already exists; use "client rotate-secret ${clientId}" for a new secret`);
  }
  const clientSecret = generateClientSecret();
  let record: ClientRecord;
  try {
    record = await dir.store.clients.register({ clientId, secret: clientSecret, scopes, audiences, grantTypes: ["client_credentials"], tokenTtlSeconds });
  } catch (err) {
    if ((await dir.store.clients.find(clientId)) === undefined) throw err;
    throw new CliError("usage", `client "${clientId}" was just added by someone else`, { cause: err });
  }
  return { client: view(record), clientSecret, credentialsFileEntries: [] };
}

/** Every client, by id. */
export async function listClients(dir: AdminDataDir): Promise<ClientView[]> {
  return (await dir.store.clients.list()).map(view);
}

/** Disables (refuses its tokens from now on) or re-enables a client; changed is false when it already was. */
export async function setClientDisabled(dir: AdminDataDir, id: string, disabled: boolean): Promise<{ client: ClientView; changed: boolean }> {
  const before = await existing(dir, id);
  if (before.disabled !== disabled) await dir.store.clients.setDisabled(before.clientId, disabled);
  return { client: view((await dir.store.clients.find(before.clientId))!), changed: before.disabled !== disabled };
}

/**
 * Deletes a client. reappearsOnStart is true for the assistant: the auth provider registers it again from
 * clients.json at its next start (disable it to keep it out).
 */
export async function removeClient(dir: AdminDataDir, id: string): Promise<{ clientId: string; reappearsOnStart: boolean }> {
  const client = await existing(dir, id);
  await dir.store.clients.remove(client.clientId);
  return { clientId: client.clientId, reappearsOnStart: client.clientId === assistantClient.clientId };
}

/**
 * Replaces a client's secret; the old one stops working at once. Entries of clients.json (in this machine's DATA_DIR)
 * for this client get the new secret, because the auth provider would otherwise re-issue the assistant's secret at
 * its next start; the assistant's entry is created when missing (a replica's machine gets its credentials this way).
 */
export async function rotateClientSecret(dir: AdminDataDir, id: string): Promise<ClientWithSecret> {
  const client = await existing(dir, id);
  const clientSecret = generateClientSecret();
  await dir.store.clients.setSecret(client.clientId, clientSecret);
  const file = clientsFilePath(dir.settings.dataDir);
  const entries = readClientsFile(file);
  const names = Object.keys(entries).filter((name) => clientEntry(entries, name)?.clientId === client.clientId);
  // The assistant's entry is written even where there was none: that is how a replica's machine gets its credentials.
  if (client.clientId === assistantClient.clientId && !names.includes(assistantClient.clientId)) names.push(assistantClient.clientId);
  for (const name of names) writeClientEntry(file, name, { clientId: client.clientId, clientSecret });
  return { client: view((await dir.store.clients.find(client.clientId))!), clientSecret, credentialsFileEntries: names };
}

// The client, or not_found (usage when the id could never have been added by this tool and does not exist).
async function existing(dir: AdminDataDir, id: string): Promise<ClientRecord> {
  const client = await dir.store.clients.find(id);
  if (client !== undefined) return client;
  if (!clientIdPattern.test(id)) parseClientId(id);
  throw new CliError("not_found", `no client ${JSON.stringify(id)}; "client list" shows the registered clients`);
}

function view({ grantTypes: _grantTypes, tokenTtlSeconds, ...rest }: ClientRecord): ClientView {
  return { ...rest, tokenTtlSeconds: tokenTtlSeconds ?? null };
}
