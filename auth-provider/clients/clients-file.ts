/**
 * $DATA_DIR/clients.json: the credentials the CLI reads, one entry per client
 * role, written atomically with mode 0600 by either auth backend:
 * {"assistant": {"clientId": "...", "clientSecret": "..."}}.
 */
import { dirname, join } from "node:path";
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "../../common/private-files.js";

export const clientsFileName = "clients.json";

/** One client's credentials as stored in clients.json. */
export interface ClientCredentialsEntry {
  readonly clientId: string;
  readonly clientSecret: string;
}

export function clientsFilePath(dataDir: string): string {
  return join(dataDir, clientsFileName);
}

/** The entries of the file (empty when it is missing or malformed). */
export function readClientsFile(file: string): Record<string, unknown> {
  const text = readTextIfExists(file);
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The well-formed entry `name`, or undefined. */
export function clientEntry(entries: Record<string, unknown>, name: string): ClientCredentialsEntry | undefined {
  const entry = entries[name] as Partial<ClientCredentialsEntry> | undefined;
  return typeof entry === "object" && entry !== null && typeof entry.clientId === "string" && typeof entry.clientSecret === "string"
    ? { clientId: entry.clientId, clientSecret: entry.clientSecret }
    : undefined;
}

/** Writes the entry `name`, keeping the other entries as they were. */
export function writeClientEntry(file: string, name: string, credentials: ClientCredentialsEntry): void {
  const next = { ...readClientsFile(file), [name]: { clientId: credentials.clientId, clientSecret: credentials.clientSecret } };
  // A replica on PostgreSQL may start with a DATA_DIR that does not exist yet.
  ensurePrivateDir(dirname(file));
  writePrivateFileAtomic(file, JSON.stringify(next, null, 2) + "\n");
}
