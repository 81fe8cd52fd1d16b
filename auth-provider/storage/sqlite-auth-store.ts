/**
 * The SQLite implementation of AuthStore: the embedded default, one process
 * per DATA_DIR, behaving exactly as before replicas existed. Clients,
 * settings, revocations and used client assertion ids in $DATA_DIR/auth.db
 * (they survive a restart), the issuer keys in $DATA_DIR/issuer-keys.json
 * (rewritten under the database's write lock), failed logins and token
 * budgets counted in this process's memory. A thin asynchronous face over the
 * synchronous stores; public keys are checked (asynchronously, with jose)
 * before they reach the client store.
 */
import { existsSync } from "node:fs";
import type { Logger } from "../../common/json-logger.js";
import { createClientStore, type ClientStore } from "../clients/client-store.js";
import { checkPublicJwk } from "../clients/public-jwk.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import { createFailedAuthLimiter } from "../clients/failed-auth-limiter.js";
import { hashKeyOf, issuerKeysPath, loadOrCreateIssuerKeys, readIssuerKeys } from "../keys/key-file.js";
import type { IssuerKeysFile } from "../keys/key-file-format.js";
import { readDefaultTokenTtl, recordDefaultTokenTtl } from "../keys/issuer-settings.js";
import { fileKeySource } from "../keys/live-keys.js";
import { openAuthDatabase } from "./auth-database.js";
import { NoIssuerKeysError, type AuthStore, type ClientRepository } from "./auth-store.js";
import { createMemoryTokenBudget } from "./memory-token-budget.js";
import { asyncReplayGuard, createSqliteAssertionReplayGuard } from "./sqlite-assertion-replay-guard.js";
import { createSqliteRevocations } from "./sqlite-revocations.js";

/** What {@link openSqliteAuthStore} needs besides the data directory. */
export interface SqliteAuthStoreOptions {
  /** True for the auth provider (creates the keys file on first start); false for the admin CLI. */
  readonly create: boolean;
  /** Turns the scope and audience lists of clients from before grants into grants. */
  readonly catalog: ScopeCatalog;
  /** Logs each such conversion. */
  readonly logger: Logger;
  /** The clock (ms) of secret overlaps, revocation instants and clean-ups; default Date.now (tests freeze it). */
  readonly now?: () => number;
}

/**
 * Opens the store in dataDir. With create (the auth provider) the keys file is created on first start; without (the
 * admin CLI) a missing keys file is a NoIssuerKeysError, so no stray data directory appears.
 * @throws the keys file's parse error (naming the file), or the SQLite error.
 */
export async function openSqliteAuthStore(dataDir: string, options: SqliteAuthStoreOptions): Promise<AuthStore> {
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
    clients = createClientStore(db, hashKeyOf(initial.stored), { catalog: options.catalog, logger: options.logger, now: options.now });
  } catch (err) {
    db.close();
    throw err;
  }
  const source = fileKeySource(file, db);
  const revocations = createSqliteRevocations(db, options.now);
  return {
    backend: "sqlite",
    shared: false,
    clients: asyncClientRepository(clients),
    revocations: {
      revokeToken: async (token) => revocations.revokeToken(token),
      revokeClientTokens: async (clientId, issuedBefore) => revocations.revokeClientTokens(clientId, issuedBefore),
      isRevoked: async (token) => revocations.isRevoked(token),
      snapshot: async (nowSeconds) => revocations.snapshot(nowSeconds),
    },
    assertionReplayGuard: asyncReplayGuard(createSqliteAssertionReplayGuard(db, options.now)),
    tokenBudget: createMemoryTokenBudget(),
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

/**
 * The ClientRepository over a synchronous client store (also for tests that build one over their own database):
 * public keys are checked with jose first, then handed to the store.
 */
export function asyncClientRepository(clients: ClientStore): ClientRepository {
  return {
    register: async (client) => clients.register(client.publicJwk === undefined ? client : { ...client, publicJwk: await checkPublicJwk(client.publicJwk) }),
    find: async (clientId) => clients.find(clientId),
    authenticate: async (clientId, secret) => clients.authenticate(clientId, secret),
    setSecret: async (clientId, secret, options) => clients.setSecret(clientId, secret, options),
    endSecretOverlap: async (clientId) => clients.endSecretOverlap(clientId),
    removeSecret: async (clientId) => clients.removeSecret(clientId),
    update: async (clientId, changes) =>
      clients.update(clientId, changes.publicJwk == null ? changes : { ...changes, publicJwk: await checkPublicJwk(changes.publicJwk) }),
    setDisabled: async (clientId, disabled) => clients.setDisabled(clientId, disabled),
    list: async () => clients.list(),
    remove: async (clientId) => clients.remove(clientId),
  };
}
