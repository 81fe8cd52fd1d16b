/**
 * The issuer's secrets on disk, $DATA_DIR/issuer-keys.json (mode 0600):
 * created on first start, loaded on later ones, and changed only under the
 * keys file lock, because the auth provider (dropping retired keys) and the
 * admin CLI (rotating) both rewrite it. Key material is never logged; only the
 * public JWKS leaves in a form meant for others. The format is in
 * key-file-format.ts.
 */
import { chmodSync } from "node:fs";
import { join } from "node:path";
import type { AuthDatabase } from "../storage/auth-database.js";
import {
  createIssuerKeysFile,
  issuerKeysFileName,
  parseIssuerKeysFile,
  serializeIssuerKeysFile,
  type IssuerKeysFile,
} from "./key-file-format.js";
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "../../common/private-files.js";

/** The issuer's keys as loaded. */
export interface IssuerKeys {
  readonly stored: IssuerKeysFile;
  readonly clientSecretHashKey: Buffer;
  /** True when this call created the keys file. */
  readonly created: boolean;
  /** Absolute path of the keys file. */
  readonly file: string;
}

/** The path of the keys file in dataDir. */
export function issuerKeysPath(dataDir: string): string {
  return join(dataDir, issuerKeysFileName);
}

/**
 * Loads $dataDir/issuer-keys.json, or creates it (and the directory, mode 0700) on first start.
 * @throws Error naming the file when it exists but is not a valid keys file; it is never replaced silently,
 *   because that would invalidate every client secret.
 */
export async function loadOrCreateIssuerKeys(dataDir: string): Promise<IssuerKeys> {
  ensurePrivateDir(dataDir);
  const file = issuerKeysPath(dataDir);
  const text = readTextIfExists(file);
  let stored: IssuerKeysFile;
  if (text === undefined) {
    stored = await createIssuerKeysFile();
    writePrivateFileAtomic(file, serializeIssuerKeysFile(stored));
  } else {
    chmodSync(file, 0o600);
    stored = parseIssuerKeysFile(text, file);
  }
  return { stored, clientSecretHashKey: hashKeyOf(stored), created: text === undefined, file };
}

/**
 * Reads and parses an existing keys file.
 * @throws Error with code ENOENT when it does not exist; the parse error when it is not valid.
 */
export function readIssuerKeys(file: string): IssuerKeysFile {
  const text = readTextIfExists(file);
  if (text === undefined) throw Object.assign(new Error(`${file} does not exist`), { code: "ENOENT" });
  return parseIssuerKeysFile(text, file);
}

/** The client-secret HMAC key of a keys file. */
export function hashKeyOf(stored: IssuerKeysFile): Buffer {
  return Buffer.from(stored.clientSecretHashKey, "base64url");
}

/**
 * Read-modify-write of the keys file while holding the auth database's write lock (BEGIN IMMEDIATE; other writers
 * wait up to the busy timeout), so the auth provider and the admin CLI never lose each other's changes. change gets
 * the file as it is now and returns the new content, or undefined to leave it alone; it must be synchronous.
 * Refuses a change of the client-secret hash key, which would invalidate every client secret.
 * @returns what change returned.
 */
export function updateIssuerKeys<T extends { file: IssuerKeysFile } | undefined>(
  db: AuthDatabase,
  file: string,
  change: (current: IssuerKeysFile) => T,
): T {
  return db
    .transaction(() => {
      const current = readIssuerKeys(file);
      const result = change(current);
      if (result !== undefined) {
        if (result.file.clientSecretHashKey !== current.clientSecretHashKey) {
          throw new Error("refusing to change the client secret hash key of the issuer keys");
        }
        writePrivateFileAtomic(file, serializeIssuerKeysFile(result.file));
      }
      return result;
    })
    .immediate();
}
