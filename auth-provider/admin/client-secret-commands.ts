/**
 * The `client` commands about secrets: rotate (optionally with an overlap in
 * which the old secret keeps working, for a rollout without downtime) and
 * revoke (end an overlap at once, or drop the secret of a client that has a
 * key). Entries of clients.json in this machine's DATA_DIR are kept in step
 * with rotations, because the auth provider would otherwise re-issue the
 * assistant's secret at its next start.
 */
import { clientEntry, clientsFilePath, readClientsFile, writeClientEntry } from "../clients/clients-file.js";
import { generateClientSecret } from "../clients/client-store.js";
import { assistantClient } from "../clients/bootstrap-assistant-client.js";
import { CliError } from "../../common/cli-error.js";
import type { AdminDataDir } from "./admin-data-dir.js";
import { maxOverlapSeconds, parseDuration } from "./admin-input.js";
import { existingClient, type ClientCredentials } from "./client-commands.js";
import { toClientView, type ClientView } from "./client-view.js";

/** A rotation: the new secret, and whether the client had one before (until when the old one works: client.overlapEndsAt). */
export interface SecretRotation extends ClientCredentials {
  readonly clientSecret: string;
  readonly hadSecret: boolean;
}

/** The raw options of `client rotate-secret`. */
export interface RotateSecretOptions {
  /** How long the old secret keeps working: 90s, 30m, 24h, 1d, at most 30d; absent: it stops at once. */
  readonly overlap?: string | undefined;
}

/**
 * Gives a client a new secret. With an overlap the old one keeps working until it ends; without, it stops at once.
 * Usage error for a bad overlap, or an overlap for a client without a secret; not_found for an unknown client.
 * clients.json entries for this client get the new secret; the assistant's entry is created when missing (a
 * replica's machine gets its credentials this way).
 */
export async function rotateClientSecret(dir: AdminDataDir, id: string, options: RotateSecretOptions = {}): Promise<SecretRotation> {
  const overlapSeconds = options.overlap === undefined ? undefined : parseDuration("--overlap", options.overlap, maxOverlapSeconds);
  const client = await existingClient(dir, id);
  if (overlapSeconds !== undefined && !client.hasSecret) {
    throw new CliError("usage", `client "${client.clientId}" has no secret that could keep working; rotate-secret without --overlap gives it one`);
  }
  const clientSecret = generateClientSecret();
  const record = await dir.store.clients.setSecret(client.clientId, clientSecret, overlapSeconds === undefined ? {} : { overlapSeconds });
  const file = clientsFilePath(dir.settings.dataDir);
  const entries = readClientsFile(file);
  const names = Object.keys(entries).filter((name) => clientEntry(entries, name)?.clientId === client.clientId);
  // The assistant's entry is written even where there was none: that is how a replica's machine gets its credentials.
  if (client.clientId === assistantClient.clientId && !names.includes(assistantClient.clientId)) names.push(assistantClient.clientId);
  for (const name of names) writeClientEntry(file, name, { clientId: client.clientId, clientSecret });
  return { client: toClientView(record), clientSecret, hadSecret: client.hasSecret, credentialsFileEntries: names };
}

/** What `client revoke-secret` did: "old" ended an overlap, "all" removed the secret; changed false: nothing to do. */
export interface SecretRevocation {
  readonly client: ClientView;
  readonly revoked: "old" | "all";
  readonly changed: boolean;
}

/**
 * With old: ends a running overlap at once (changed false when none runs). Without: removes the client's secret
 * (and any previous one), so it authenticates only with private_key_jwt or tls_client_auth; a usage error when it has
 * neither a public key nor a certificate subject, changed false when it has no secret. not_found for an unknown client.
 */
export async function revokeClientSecret(dir: AdminDataDir, id: string, options: { old?: boolean | undefined } = {}): Promise<SecretRevocation> {
  const client = await existingClient(dir, id);
  if (options.old) {
    const changed = await dir.store.clients.endSecretOverlap(client.clientId);
    return { client: toClientView((await dir.store.clients.find(client.clientId))!), revoked: "old", changed };
  }
  if (client.publicJwk === undefined && client.tlsClientAuthSubjectDn === undefined) {
    throw new CliError(
      "usage",
      `client "${client.clientId}" has no public key or certificate subject, so without its secret it could not authenticate: register one first ("client update ${client.clientId} --key-out FILE", "--jwk FILE" or "--tls-subject DN"), or use --old to end a rotation overlap`,
    );
  }
  if (!client.hasSecret) return { client: toClientView(client), revoked: "all", changed: false };
  return { client: toClientView(await dir.store.clients.removeSecret(client.clientId)), revoked: "all", changed: true };
}
