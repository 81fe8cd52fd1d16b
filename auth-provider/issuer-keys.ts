/**
 * The issuer's secrets, kept in $DATA_DIR/issuer-keys.json (mode 0600): a list
 * of ES256 signing keys with one marked current (the list leaves room for key
 * rotation without a format change), and the HMAC key that hashes client
 * secrets. Created on first start, loaded on later ones. Key material is never
 * logged; only the public JWKS leaves this module in a form meant for others.
 */
import { randomBytes } from "node:crypto";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from "jose";
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "./private-files.js";

/** Name of the keys file inside the data directory. */
export const issuerKeysFileName = "issuer-keys.json";

/** One signing key as stored: kid is the RFC 7638 thumbprint of its public part. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: "ES256";
  readonly privateJwk: JWK;
  /** ISO 8601 time the key was created. */
  readonly createdAt: string;
}

/** The stored format of issuer-keys.json (version 1). */
export interface IssuerKeysFile {
  readonly version: 1;
  readonly currentKid: string;
  readonly signingKeys: readonly StoredSigningKey[];
  /** 32 random bytes, base64url: the HMAC-SHA-256 key for client secret hashes. */
  readonly clientSecretHashKey: string;
}

/** A public key as served in the JWKS. */
export interface PublicJwk {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: "ES256";
  readonly use: "sig";
}

/** The key set served at the JWKS endpoint: public parts only. */
export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

/** The key that signs new tokens, imported once. */
export interface CurrentSigningKey {
  readonly kid: string;
  readonly alg: "ES256";
  readonly privateKey: CryptoKey;
}

/** The issuer's keys, ready to use. */
export interface IssuerKeys {
  readonly current: CurrentSigningKey;
  readonly jwks: PublicJwks;
  readonly clientSecretHashKey: Buffer;
  /** True when this call created the keys file. */
  readonly created: boolean;
  /** Absolute path of the keys file. */
  readonly file: string;
}

/**
 * Loads $dataDir/issuer-keys.json, or creates it (and the directory, mode 0700) on first start.
 * @throws Error naming the file when it exists but is not a valid keys file; it is never replaced silently,
 *   because that would invalidate every client secret.
 */
export async function loadOrCreateIssuerKeys(dataDir: string): Promise<IssuerKeys> {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, issuerKeysFileName);
  const text = readTextIfExists(file);
  let stored: IssuerKeysFile;
  const created = text === undefined;
  if (text === undefined) {
    stored = await createIssuerKeysFile();
    writePrivateFileAtomic(file, JSON.stringify(stored, null, 2) + "\n");
  } else {
    chmodSync(file, 0o600);
    stored = await parseIssuerKeysFile(text, file);
  }
  const currentStored = stored.signingKeys.find((k) => k.kid === stored.currentKid)!;
  const privateKey = (await importJWK(currentStored.privateJwk, "ES256")) as CryptoKey;
  return {
    current: { kid: currentStored.kid, alg: "ES256", privateKey },
    jwks: { keys: stored.signingKeys.map(publicJwk) },
    clientSecretHashKey: Buffer.from(stored.clientSecretHashKey, "base64url"),
    created,
    file,
  };
}

/** A new keys file: one fresh ES256 key (current) and a fresh client-secret hash key. */
export async function createIssuerKeysFile(now: Date = new Date()): Promise<IssuerKeysFile> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk, "sha256");
  return {
    version: 1,
    currentKid: kid,
    signingKeys: [{ kid, alg: "ES256", privateJwk, createdAt: now.toISOString() }],
    clientSecretHashKey: randomBytes(32).toString("base64url"),
  };
}

/** The public part of a stored key, as served in the JWKS (never the private "d"). */
export function publicJwk(key: StoredSigningKey): PublicJwk {
  const { kty, crv, x, y } = key.privateJwk;
  return { kty: kty!, crv: crv!, x: x!, y: y!, kid: key.kid, alg: "ES256", use: "sig" };
}

async function parseIssuerKeysFile(text: string, file: string): Promise<IssuerKeysFile> {
  const fail = (why: string): never => {
    throw new Error(
      `${file} is not a valid issuer keys file (${why}); restore it from a backup, or move it away to create ` +
        "new keys (existing client secrets then stop working and tokens signed with the old key are rejected)",
    );
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("not JSON");
  }
  const data = value as Partial<IssuerKeysFile> | null;
  if (typeof data !== "object" || data === null || data.version !== 1) return fail("unknown version");
  if (!Array.isArray(data.signingKeys) || data.signingKeys.length === 0) return fail("no signing keys");
  for (const key of data.signingKeys as unknown[]) {
    const k = key as Partial<StoredSigningKey> | null;
    const jwk = k?.privateJwk;
    if (k?.alg !== "ES256" || typeof jwk !== "object" || jwk.kty !== "EC" || jwk.crv !== "P-256") {
      return fail("a signing key is not an ES256 key");
    }
    if (typeof jwk.d !== "string" || typeof jwk.x !== "string" || typeof jwk.y !== "string") {
      return fail("a signing key is incomplete");
    }
    if (k.kid !== (await calculateJwkThumbprint(jwk, "sha256"))) return fail("a kid does not match its key");
  }
  if (!data.signingKeys.some((k) => k.kid === data.currentKid)) return fail("currentKid names no key");
  const hashKey = typeof data.clientSecretHashKey === "string" ? data.clientSecretHashKey : "";
  if (!/^[A-Za-z0-9_-]+$/.test(hashKey) || Buffer.from(hashKey, "base64url").length !== 32) {
    return fail("clientSecretHashKey is not 32 bytes of base64url");
  }
  return data as IssuerKeysFile;
}
