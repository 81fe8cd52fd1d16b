/**
 * Picks the embedded issuer's storage from the settings: PostgreSQL when
 * DATABASE_URL is set (the KEK is then required), else SQLite under DATA_DIR.
 */
import type { Logger } from "../../common/json-logger.js";
import type { PostgresLocation } from "../../common/database/database-url.js";
import type { KeyEncryptionKey } from "../keys/key-encryption.js";
import type { ScopeCatalog } from "../policy/scope-catalog.js";
import type { AuthStore } from "./auth-store.js";
import { openSqliteAuthStore } from "./sqlite-auth-store.js";

/** Where the store lives and how to open it. */
export interface AuthStoreSettings {
  readonly dataDir: string;
  /** DATABASE_URL; undefined means SQLite. */
  readonly database: PostgresLocation | undefined;
  /** AUTH_KEY_ENCRYPTION_KEY_FILE's key; required with a database. */
  readonly kek: KeyEncryptionKey | undefined;
}

/**
 * Opens the store. create: true for the auth provider (makes keys on first start), false for the admin CLI. The
 * catalog turns the scope and audience lists of clients stored before grants existed into grants (each logged once).
 * @throws TypeError when a database is given without a KEK (config.ts refuses that first); otherwise what the chosen
 *   implementation throws.
 */
export async function openAuthStore(
  settings: AuthStoreSettings,
  options: { create: boolean; logger: Logger; applicationName: string; catalog: ScopeCatalog },
): Promise<AuthStore> {
  const { create, logger, catalog } = options;
  if (settings.database === undefined) return openSqliteAuthStore(settings.dataDir, { create, logger, catalog });
  if (settings.kek === undefined) throw new TypeError("a key-encryption key is required with a database");
  // Loaded only when used: SQLite mode (and every admin command on it) starts without the PostgreSQL driver.
  const { openPostgresAuthStore } = await import("./postgres-auth-store.js");
  return openPostgresAuthStore({ location: settings.database, kek: settings.kek, logger, create, catalog, applicationName: options.applicationName });
}
