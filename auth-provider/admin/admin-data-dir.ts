/**
 * What the admin CLI works on: the embedded issuer's data directory, opened
 * directly (auth.db and issuer-keys.json), also while the auth provider runs.
 * SQLite in WAL mode with a busy timeout lets both write the database; the
 * keys file is only rewritten under the database's write lock.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, readInteger, readOptionalString, readString } from "../../common/env.js";
import { openAuthDatabase, type AuthDatabase } from "../storage/auth-database.js";
import { createClientStore, type ClientStore } from "../clients/client-store.js";
import { loadKeyRotationSettings, type KeyRotationSettings } from "../config.js";
import { hashKeyOf, issuerKeysPath, readIssuerKeys } from "../keys/key-file.js";
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
}

/**
 * Reads the settings. Give it the same environment as the auth provider.
 * @throws CliError usage for a bad value, or when SUPERTOKENS_CONNECTION_URI says the embedded issuer is not in use.
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
    };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError("usage", err.message, { cause: err });
    throw err;
  }
}

/** The opened data directory. */
export interface AdminDataDir {
  readonly settings: AdminSettings;
  /** Absolute path of issuer-keys.json. */
  readonly keysFile: string;
  readonly db: AuthDatabase;
  readonly clients: ClientStore;
  close(): void;
}

/**
 * Opens the data directory of an embedded issuer that has started at least once.
 * @throws CliError not_found when there is no issuer-keys.json (it would otherwise create a stray data directory);
 *   internal when the keys file is invalid or the database cannot be opened.
 */
export function openAdminDataDir(settings: AdminSettings): AdminDataDir {
  const keysFile = issuerKeysPath(settings.dataDir);
  if (!existsSync(keysFile)) {
    throw new CliError("not_found", `no issuer keys in ${settings.dataDir}: start the auth provider once to create them, or point DATA_DIR (or --data-dir) at its data directory`);
  }
  const stored = readIssuerKeys(keysFile);
  const db = openAuthDatabase(settings.dataDir);
  try {
    return { settings, keysFile, db, clients: createClientStore(db, hashKeyOf(stored)), close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Runs action on the opened data directory and closes it afterwards, whatever happens. */
export async function withDataDir<T>(settings: AdminSettings, action: (dir: AdminDataDir) => Promise<T> | T): Promise<T> {
  const dir = openAdminDataDir(settings);
  try {
    return await action(dir);
  } finally {
    dir.close();
  }
}
