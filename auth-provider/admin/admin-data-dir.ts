/**
 * What the admin CLI works on: the embedded issuer's store, opened directly,
 * also while auth providers run. With DATABASE_URL that is the PostgreSQL
 * database every replica shares (the KEK file is needed too); without, the
 * data directory (auth.db and issuer-keys.json: SQLite in WAL mode with a busy
 * timeout lets both write the database; the keys file is only rewritten under
 * the database's write lock).
 */
import { resolve } from "node:path";
import { ConfigError, readInteger, readOptionalString, readString } from "../../common/env.js";
import { createLogger } from "../../common/json-logger.js";
import type { PostgresLocation } from "../../common/database/database-url.js";
import { loadKeyRotationSettings, loadStorageSettings, type KeyRotationSettings } from "../config.js";
import type { KeyEncryptionKey } from "../keys/key-encryption.js";
import { loadScopeCatalog, type ScopeCatalog } from "../policy/scope-catalog.js";
import { NoIssuerKeysError, type AuthStore } from "../storage/auth-store.js";
import { openAuthStore } from "../storage/open-auth-store.js";
import { CliError } from "../../common/cli-error.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The settings the admin CLI reads from the environment and its flags. */
export interface AdminSettings {
  /** --data-dir, else DATA_DIR, else ./data; absolute. */
  readonly dataDir: string;
  /**
   * AUTH_TOKEN_TTL_SECONDS when set: the lifetime of tokens for clients without their own. Unset, the value the auth
   * provider recorded at its last start counts (else 3600).
   */
  readonly defaultTokenTtlSeconds: number | undefined;
  /** AUTH_KEY_ACTIVATION_DELAY_SECONDS and AUTH_KEY_RETIRE_MARGIN_SECONDS, as the auth provider reads them. */
  readonly keyRotation: KeyRotationSettings;
  /** DATABASE_URL: the replicas' shared database; undefined means the data directory's SQLite. */
  readonly database?: PostgresLocation;
  /** From AUTH_KEY_ENCRYPTION_KEY_FILE; required with DATABASE_URL. */
  readonly keyEncryptionKey?: KeyEncryptionKey;
  /** The scopes each audience defines (CALENDAR_AUDIENCE, NOTES_AUDIENCE, AUTH_EXTRA_AUDIENCES), as the provider reads them. */
  readonly catalog: ScopeCatalog;
}

/**
 * Reads the settings. Give it the same environment as the auth provider.
 * @throws CliError usage for a bad value (DATABASE_URL never shown with its password, a missing or bad KEK file), or
 *   when SUPERTOKENS_CONNECTION_URI says the embedded issuer is not in use.
 */
export function loadAdminSettings(env: Env, flags: { dataDir?: string | undefined }): AdminSettings {
  if (readOptionalString(env, "SUPERTOKENS_CONNECTION_URI") !== undefined) {
    throw new CliError("usage", "SUPERTOKENS_CONNECTION_URI is set: clients and keys then live in the SuperTokens core, and this tool manages only the embedded issuer");
  }
  try {
    return {
      dataDir: resolve(flags.dataDir ?? readString(env, "DATA_DIR", "./data")),
      defaultTokenTtlSeconds: readOptionalString(env, "AUTH_TOKEN_TTL_SECONDS") === undefined ? undefined : readInteger(env, "AUTH_TOKEN_TTL_SECONDS", 3600, 60, 86_400),
      keyRotation: loadKeyRotationSettings(env),
      catalog: loadScopeCatalog(env),
      ...loadStorageSettings(env),
    };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError("usage", err.message, { cause: err });
    throw err;
  }
}

/** The opened store. */
export interface AdminDataDir {
  readonly settings: AdminSettings;
  readonly store: AuthStore;
  close(): Promise<void>;
}

/**
 * Opens the store of an embedded issuer that has started at least once.
 * @throws CliError not_found when there are no issuer keys (it would otherwise create a stray data directory or key
 *   set); the store's error (exit 1) when the keys are invalid or the store cannot be opened.
 */
export async function openAdminDataDir(settings: AdminSettings): Promise<AdminDataDir> {
  // Errors only: the CLI's stdout is its output. The pool reports connections that break while idle here.
  const logger = createLogger({ component: "auth-admin", level: "error" });
  try {
    const store = await openAuthStore(
      { dataDir: settings.dataDir, database: settings.database, kek: settings.keyEncryptionKey },
      { create: false, logger, applicationName: "m2m-grpc auth-admin", catalog: settings.catalog },
    );
    return { settings, store, close: () => store.close() };
  } catch (err) {
    if (!(err instanceof NoIssuerKeysError)) throw err;
    const where = settings.database === undefined ? `no issuer keys in ${settings.dataDir}` : `no issuer keys in the database (${settings.database.redacted})`;
    const fix = settings.database === undefined ? ", or point DATA_DIR (or --data-dir) at its data directory" : "";
    throw new CliError("not_found", `${where}: start the auth provider once to create them${fix}`, { cause: err });
  }
}

/** Runs action on the opened store and closes it afterwards, whatever happens. */
export async function withDataDir<T>(settings: AdminSettings, action: (dir: AdminDataDir) => Promise<T> | T): Promise<T> {
  const dir = await openAdminDataDir(settings);
  try {
    return await action(dir);
  } finally {
    await dir.close();
  }
}
