/**
 * Encryption at rest of the issuer's secrets in a shared database: each
 * private key (and the client-secret hash key) is sealed with AES-256-GCM
 * under a key-encryption key (KEK) that never enters the database. The KEK is
 * read from the file named by AUTH_KEY_ENCRYPTION_KEY_FILE: 32 random bytes in
 * base64, as `openssl rand -base64 32` prints them.
 *
 * A sealed value is `v1.` + base64url(12-byte random nonce ‖ 16-byte tag ‖
 * ciphertext); the caller's label (a key's kid) is the additional
 * authenticated data, so a sealed value moved to another row does not open.
 * Key material never appears in an error message.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "../../common/env.js";

/** The setting naming the KEK file. */
export const keyEncryptionKeyVariable = "AUTH_KEY_ENCRYPTION_KEY_FILE";

/** A 32-byte key-encryption key, as read from its file. */
export interface KeyEncryptionKey {
  readonly key: Buffer;
}

const howToMake = `make one with: openssl rand -base64 32 > FILE && chmod 600 FILE, and set ${keyEncryptionKeyVariable}=FILE (the same file on every replica)`;

/**
 * Reads the KEK file: base64 (whitespace around it ignored) of exactly 32 bytes.
 * @throws ConfigError naming AUTH_KEY_ENCRYPTION_KEY_FILE when the file cannot be read or does not hold 32 bytes;
 *   the message says how to make one and never shows the file's content.
 */
export function readKeyEncryptionKey(file: string): KeyEncryptionKey {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError(keyEncryptionKeyVariable, `cannot read ${file} (${code}); ${howToMake}`);
  }
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== 32) {
    throw new ConfigError(keyEncryptionKeyVariable, `${file} must hold 32 random bytes in base64; ${howToMake}`);
  }
  return { key };
}

/** The message of a ConfigError for a missing KEK in PostgreSQL mode. */
export function missingKeyEncryptionKeyMessage(): string {
  return `must be set when DATABASE_URL is set: the issuer's private keys are encrypted in the database with it; ${howToMake}`;
}

/** Thrown when a sealed value does not open: another KEK, another label, or altered bytes. */
export class SealedValueError extends Error {
  override name = "SealedValueError";
  constructor(readonly label: string) {
    super(`the sealed secret "${label}" does not open with this key-encryption key (another ${keyEncryptionKeyVariable}, or the stored value was altered)`);
  }
}

/** Seals plaintext under kek with a fresh random nonce, binding it to label (e.g. the kid). */
export function seal(kek: KeyEncryptionKey, label: string, plaintext: Buffer): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", kek.key, nonce);
  cipher.setAAD(Buffer.from(label, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `v1.${Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString("base64url")}`;
}

/**
 * Opens a value made by {@link seal} with the same kek and label.
 * @throws SealedValueError when it does not authenticate or is malformed.
 */
export function unseal(kek: KeyEncryptionKey, label: string, sealed: string): Buffer {
  if (!sealed.startsWith("v1.")) throw new SealedValueError(label);
  const bytes = Buffer.from(sealed.slice(3), "base64url");
  if (bytes.length < 28) throw new SealedValueError(label);
  try {
    const decipher = createDecipheriv("aes-256-gcm", kek.key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(label, "utf8"));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
  } catch {
    throw new SealedValueError(label);
  }
}
