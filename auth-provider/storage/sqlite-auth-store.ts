/**
 * The SQLite implementation of AuthStore: the embedded default, one process
 * per DATA_DIR, behaving exactly as before replicas existed. Clients and
 * settings in $DATA_DIR/auth.db, the issuer keys in $DATA_DIR/issuer-keys.json
 * (rewritten under the database's write lock), failed logins counted in this
 * process's memory. A thin asynchronous face over the synchronous stores.
 */
import { existsSync } from "node:fs";
import { createClientStore, type ClientStore } from "../clients/client-store.js";
import { createFailedAuthLimiter } from "../clients/failed-auth-limiter.js";
import { hashKeyOf, issuerKeysPath, loadOrCreateIssuerKeys, readIssuerKeys } from "../keys/key-file.js";
import type { IssuerKeysFile } from "../keys/key-file-format.js";
import { readDefaultTokenTtl, recordDefaultTokenTtl } from "../keys/issuer-settings.js";
import { fileKeySource } from "../keys/live-keys.js";
import { openAuthDatabase } from "./auth-database.js";
import { NoIssuerKeysError, type AuthStore } from "./auth-store.js";

/**
 * Opens the store in dataDir. With create (the auth provider) the keys file is created on first start; without (the
 * admin CLI) a missing keys file is a NoIssuerKeysError, so no stray data directory appears.
 * @throws the keys file's parse error (naming the file), or the SQLite error.
 */
export async function openSqliteAuthStore(dataDir: string, options: { create: boolean }): Promise<AuthStore> {
  const file = issuerKeysPath(dataDir);
  let initial: { stored: IssuerKeysFile; created: boolean };
  if (options.create) {
    const loaded = await loadOrCreateIssuerKeys(dataDir);
    initial = { stored: loaded.stored, created: loaded.created };
  } else {
    if (!existsSync(file)) throw new NoIssuerKeysError(`no issuer keys in ${dataDir}`);
    initial = { stored: readIssuerKeys(file), created: false };
  }
  const db = openAuthDatabase(dataDir);
  let clients: ClientStore;
  try {
    clients = createClientStore(db, hashKeyOf(initial.stored));
  } catch (err) {
    db.close();
    throw err;
  }
  const source = fileKeySource(file, db);
  return {
    backend: "sqlite",
    shared: false,
    clients: {
      register: async (client) => clients.register(client),
      find: async (clientId) => clients.find(clientId),
      authenticate: async (clientId, secret) => clients.authenticate(clientId, secret),
      setSecret: async (clientId, secret) => clients.setSecret(clientId, secret),
      setDisabled: async (clientId, disabled) => clients.setDisabled(clientId, disabled),
      list: async () => clients.list(),
      allScopes: async () => clients.allScopes(),
      remove: async (clientId) => clients.remove(clientId),
    },
    keys: {
      location: file,
      loadOrCreate: async () => initial,
      read: async () => readIssuerKeys(file),
      readIfChanged: source.readIfChanged,
      update: source.update,
    },
    settings: {
      recordDefaultTokenTtl: async (seconds) => recordDefaultTokenTtl(db, seconds),
      readDefaultTokenTtl: async () => readDefaultTokenTtl(db),
    },
    isUnavailable: () => false, // a local file is there or broken, never "away for a while"
    createFailedAuthLimiter: (limits) => createFailedAuthLimiter(limits),
    close: async () => {
      db.close();
    },
  };
}
