/**
 * The `client` commands that register, change, list, disable and remove
 * clients: typed functions over an opened data directory that return data for
 * the printer. Secrets are generated here, returned once for printing, and
 * stored only as hashes; private keys are written to the operator's file and
 * never stored. A client registered with a public key or a certificate subject
 * gets no secret (`client rotate-secret` gives it one). Grants are checked
 * against the scope catalog first.
 */
import type { JWK } from "jose";
import type { ClientChanges, ClientRecord, Grant } from "../clients/client-record.js";
import { generateClientSecret } from "../clients/client-store.js";
import { normalizeGrants } from "../clients/grants.js";
import { assistantClient } from "../clients/bootstrap-assistant-client.js";
import { CliError } from "../../common/cli-error.js";
import type { AdminDataDir } from "./admin-data-dir.js";
import {
  checkGrantsInCatalog,
  clientIdPattern,
  parseClientId,
  parseGrants,
  parseMaxTokensPerMinute,
  parseTlsSubject,
  parseTokenTtl,
  parseTokenTtlChange,
} from "./admin-input.js";
import { createKeyPairFile, readPublicJwkFile } from "./client-keys.js";
import { formatGrants, toClientView, type ClientView } from "./client-view.js";

/** A client just added or changed, with what was issued for it (each shown once). */
export interface ClientCredentials {
  readonly client: ClientView;
  /** The new secret; absent when none was issued (a client with a public key only). */
  readonly clientSecret?: string;
  /** Where the new private key was written (--key-out); absent otherwise. */
  readonly privateKeyFile?: string;
  /** Names of clients.json entries that now hold the new secret (the assistant's, for one). */
  readonly credentialsFileEntries: readonly string[];
}

/** The raw options of `client add`. */
export interface AddClientOptions {
  readonly grant?: readonly string[] | undefined;
  readonly tokenTtl?: string | undefined;
  readonly maxTokensPerMinute?: string | undefined;
  readonly keyOut?: string | undefined;
  readonly jwk?: string | undefined;
  /** tls_client_auth: the subject DN its certificate must carry. */
  readonly tlsSubject?: string | undefined;
  readonly requireDpop?: boolean | undefined;
  /** The options grants replaced: refused with a pointer to --grant. */
  readonly scope?: string | undefined;
  readonly audience?: string | undefined;
}

/**
 * Registers a client for the client_credentials grant: with a public key (--key-out makes a key pair, --jwk reads
 * one) and/or a certificate subject (--tls-subject), else with a new secret; --require-dpop refuses its token requests
 * without a DPoP proof. Usage error when the id is taken, an option is invalid, or a grant names an audience or scope
 * the catalog does not know.
 */
export async function addClient(dir: AdminDataDir, id: string, options: AddClientOptions): Promise<ClientCredentials> {
  if (options.scope !== undefined || options.audience !== undefined) {
    throw new CliError("usage", "--scope and --audience are gone: give each audience with its scopes, --grant AUDIENCE:SCOPE[,SCOPE] (repeatable)");
  }
  const clientId = parseClientId(id);
  const grants = parseGrants("--grant", options.grant);
  checkGrantsInCatalog("--grant", grants, dir.settings.catalog);
  const tokenTtlSeconds = options.tokenTtl === undefined ? undefined : parseTokenTtl(options.tokenTtl);
  const maxTokensPerMinute = options.maxTokensPerMinute === undefined ? undefined : parseMaxTokensPerMinute(options.maxTokensPerMinute)!;
  if (options.keyOut !== undefined && options.jwk !== undefined) throw new CliError("usage", "give --key-out or --jwk, not both");
  const tlsClientAuthSubjectDn = options.tlsSubject === undefined ? undefined : parseTlsSubject(options.tlsSubject)!;
  if ((await dir.store.clients.find(clientId)) !== undefined) {
    throw new CliError("usage", `client "${clientId}" already exists; use "client update ${clientId}" or "client rotate-secret ${clientId}"`);
  }
  const key = await publicKeyFromOptions(options);
  const clientSecret = key === undefined && tlsClientAuthSubjectDn === undefined ? generateClientSecret() : undefined;
  let record: ClientRecord;
  try {
    const requireDpop = options.requireDpop === true;
    const newClient = { clientId, grants, grantTypes: ["client_credentials"], tokenTtlSeconds, maxTokensPerMinute, tlsClientAuthSubjectDn, requireDpop };
    record = await dir.store.clients.register({ ...newClient, secret: clientSecret, publicJwk: key?.publicJwk });
  } catch (err) {
    key?.discard();
    if ((await dir.store.clients.find(clientId)) === undefined) throw asUsageError(err);
    throw new CliError("usage", `client "${clientId}" was just added by someone else`, { cause: err });
  }
  return { client: toClientView(record), ...issued(clientSecret, key), credentialsFileEntries: [] };
}

/** The raw options of `client update`. */
export interface UpdateClientOptions {
  readonly grant?: readonly string[] | undefined;
  readonly addGrant?: readonly string[] | undefined;
  readonly removeGrant?: readonly string[] | undefined;
  readonly tokenTtl?: string | undefined;
  readonly maxTokensPerMinute?: string | undefined;
  readonly keyOut?: string | undefined;
  readonly jwk?: string | undefined;
  /** A subject DN, or "none". */
  readonly tlsSubject?: string | undefined;
  /** --require-dpop (true) or --no-require-dpop (false). */
  readonly requireDpop?: boolean | undefined;
}

/**
 * Changes a client: --grant replaces every grant, --add-grant and --remove-grant change some; --token-ttl "default"
 * and --max-tokens-per-minute "none" clear the value; --jwk or --key-out replace the public key (the secret stays);
 * --tls-subject sets or ("none") removes the certificate subject; --require-dpop / --no-require-dpop.
 * Usage error when nothing is to change, a removed grant is not there, the last grant would go, a new grant is
 * unknown to the catalog, or the client would be left without a way to authenticate; not_found for an unknown client.
 */
export async function updateClient(dir: AdminDataDir, id: string, options: UpdateClientOptions): Promise<ClientCredentials> {
  const before = await existingClient(dir, id);
  const changes: { -readonly [K in keyof ClientChanges]: ClientChanges[K] } = {};
  const grants = changedGrants(before, options, dir);
  if (grants !== undefined) changes.grants = grants;
  if (options.tokenTtl !== undefined) changes.tokenTtlSeconds = parseTokenTtlChange(options.tokenTtl);
  if (options.maxTokensPerMinute !== undefined) changes.maxTokensPerMinute = parseMaxTokensPerMinute(options.maxTokensPerMinute, { allowNone: true });
  if (options.tlsSubject !== undefined) changes.tlsClientAuthSubjectDn = parseTlsSubject(options.tlsSubject, { allowNone: true });
  if (options.requireDpop !== undefined) changes.requireDpop = options.requireDpop;
  if (options.keyOut !== undefined && options.jwk !== undefined) throw new CliError("usage", "give --key-out or --jwk, not both");
  if (Object.keys(changes).length === 0 && options.keyOut === undefined && options.jwk === undefined) {
    throw new CliError(
      "usage",
      "nothing to change: give --grant, --add-grant, --remove-grant, --token-ttl, --max-tokens-per-minute, --jwk, --key-out, --tls-subject, --require-dpop or --no-require-dpop",
    );
  }
  const key = await publicKeyFromOptions(options);
  if (key !== undefined) changes.publicJwk = key.publicJwk;
  let record: ClientRecord;
  try {
    record = await dir.store.clients.update(before.clientId, changes);
  } catch (err) {
    key?.discard();
    throw asUsageError(err);
  }
  return { client: toClientView(record), ...issued(undefined, key), credentialsFileEntries: [] };
}

/** Every client, by id. */
export async function listClients(dir: AdminDataDir): Promise<ClientView[]> {
  return (await dir.store.clients.list()).map(toClientView);
}

/**
 * Disables (refuses its token requests and revokes every token it holds) or re-enables a client; changed is false
 * when it already was.
 */
export async function setClientDisabled(dir: AdminDataDir, id: string, disabled: boolean): Promise<{ client: ClientView; changed: boolean }> {
  const before = await existingClient(dir, id);
  if (before.disabled !== disabled) await dir.store.clients.setDisabled(before.clientId, disabled);
  return { client: toClientView((await dir.store.clients.find(before.clientId))!), changed: before.disabled !== disabled };
}

/**
 * Deletes a client and revokes every token it holds. reappearsOnStart is true for the assistant: the auth provider
 * registers it again from clients.json at its next start (disable it to keep it out).
 */
export async function removeClient(dir: AdminDataDir, id: string): Promise<{ clientId: string; reappearsOnStart: boolean }> {
  const client = await existingClient(dir, id);
  await dir.store.clients.remove(client.clientId);
  return { clientId: client.clientId, reappearsOnStart: client.clientId === assistantClient.clientId };
}

/** The client, or not_found (usage when the id could never have been added by this tool and does not exist). */
export async function existingClient(dir: AdminDataDir, id: string): Promise<ClientRecord> {
  const client = await dir.store.clients.find(id);
  if (client !== undefined) return client;
  if (!clientIdPattern.test(id)) parseClientId(id);
  throw new CliError("not_found", `no client ${JSON.stringify(id)}; "client list" shows the registered clients`);
}

// The grants after --grant / --add-grant / --remove-grant, or undefined when none of them is given.
function changedGrants(client: ClientRecord, options: UpdateClientOptions, dir: AdminDataDir): Grant[] | undefined {
  const { grant, addGrant, removeGrant } = options;
  if (grant === undefined && addGrant === undefined && removeGrant === undefined) return undefined;
  if (grant !== undefined && (addGrant !== undefined || removeGrant !== undefined)) {
    throw new CliError("usage", "--grant replaces every grant: give it alone, or change some with --add-grant and --remove-grant");
  }
  const added = grant ?? addGrant;
  const option = grant !== undefined ? "--grant" : "--add-grant";
  const addedGrants = added === undefined ? [] : parseGrants(option, added);
  checkGrantsInCatalog(option, addedGrants, dir.settings.catalog);
  let grants = normalizeGrants([...(grant !== undefined ? [] : client.grants), ...addedGrants]);
  if (removeGrant !== undefined) {
    for (const removed of parseGrants("--remove-grant", removeGrant)) {
      const held = grants.find((g) => g.audience === removed.audience)?.scopes ?? [];
      const missing = removed.scopes.filter((scope) => !held.includes(scope));
      if (missing.length > 0) {
        const has = formatGrants(grants) || "none";
        throw new CliError("usage", `--remove-grant: client "${client.clientId}" has no grant ${removed.audience}:${missing.join(",")} (its grants: ${has})`);
      }
      grants = normalizeGrants(grants.map((g) => (g.audience === removed.audience ? { ...g, scopes: g.scopes.filter((s) => !removed.scopes.includes(s)) } : g)));
    }
  }
  if (grants.length === 0) {
    throw new CliError("usage", `that would remove the last grant of client "${client.clientId}"; a client needs at least one ("client remove ${client.clientId}" deletes it)`);
  }
  return grants;
}

// A public key to register; keyFile and discard() for a new pair's private key file.
interface NewPublicKey {
  readonly publicJwk: JWK;
  readonly keyFile?: string;
  discard(): void;
}

// The public key --key-out creates or --jwk reads, if either is given.
async function publicKeyFromOptions(options: { keyOut?: string | undefined; jwk?: string | undefined }): Promise<NewPublicKey | undefined> {
  if (options.keyOut !== undefined) return createKeyPairFile(options.keyOut);
  if (options.jwk !== undefined) return { publicJwk: await readPublicJwkFile(options.jwk), discard: () => {} };
  return undefined;
}

function issued(clientSecret: string | undefined, key: NewPublicKey | undefined): { clientSecret?: string; privateKeyFile?: string } {
  return { ...(clientSecret === undefined ? {} : { clientSecret }), ...(key?.keyFile === undefined ? {} : { privateKeyFile: key.keyFile }) };
}

// The store refuses invalid fields with a TypeError: that is the operator's input, so a usage error.
function asUsageError(err: unknown): unknown {
  return err instanceof TypeError ? new CliError("usage", err.message, { cause: err }) : err;
}
