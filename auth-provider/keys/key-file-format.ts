/**
 * The format of $DATA_DIR/issuer-keys.json: the issuer's ES256 signing keys
 * and the HMAC key that hashes client secrets. Parsing, writing and new keys;
 * no clocks and no key imports here (see key-ring.ts for what a file means at
 * a given time).
 *
 * Version 1 (the original format): `currentKid` signs, every listed key is
 * published. Version 2 adds two optional times per key, written once a key has
 * been rotated: `activatesAt` (the key is published at once but signs only
 * from then on) and `retiresAt` (the key leaves the JWKS then). A file with
 * neither is still written as version 1, so older builds keep reading it.
 */
import { createHash, randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK } from "jose";

/** Name of the keys file inside the data directory. */
export const issuerKeysFileName = "issuer-keys.json";

/** One signing key as stored: kid is the RFC 7638 thumbprint of its public part. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: "ES256";
  readonly privateJwk: JWK;
  /** ISO 8601 time the key was created. */
  readonly createdAt: string;
  /** ISO 8601: the key signs from then on (version 2); absent means it may sign as soon as it is current. */
  readonly activatesAt?: string;
  /** ISO 8601: the key is dropped from the JWKS then (version 2); absent means it stays published. */
  readonly retiresAt?: string;
}

/** The stored format of issuer-keys.json. */
export interface IssuerKeysFile {
  readonly version: 1 | 2;
  /** The newest key: it signs from its activatesAt on (at once when it has none). */
  readonly currentKid: string;
  readonly signingKeys: readonly StoredSigningKey[];
  /** 32 random bytes, base64url: the HMAC-SHA-256 key for client secret hashes. */
  readonly clientSecretHashKey: string;
}

/** A fresh ES256 key pair as stored, created now. */
export async function generateSigningKey(now: Date = new Date()): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  return { kid: jwkThumbprint(privateJwk), alg: "ES256", privateJwk, createdAt: now.toISOString() };
}

/** A new keys file: one fresh ES256 key (current) and a fresh client-secret hash key. */
export async function createIssuerKeysFile(now: Date = new Date()): Promise<IssuerKeysFile> {
  const key = await generateSigningKey(now);
  return {
    version: 1,
    currentKid: key.kid,
    signingKeys: [key],
    clientSecretHashKey: randomBytes(32).toString("base64url"),
  };
}

/** The file's text: version 1 unless a key carries a version 2 time. */
export function serializeIssuerKeysFile(data: IssuerKeysFile): string {
  const needsV2 = data.signingKeys.some((k) => k.activatesAt !== undefined || k.retiresAt !== undefined);
  const { currentKid, signingKeys, clientSecretHashKey } = data;
  return JSON.stringify({ version: needsV2 ? 2 : 1, currentKid, signingKeys, clientSecretHashKey }, null, 2) + "\n";
}

/** The RFC 7638 SHA-256 thumbprint of an EC P-256 key (base64url), computed synchronously. */
export function jwkThumbprint(jwk: JWK): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash("sha256").update(canonical).digest("base64url");
}

/**
 * Parses and checks a keys file of version 1 or 2.
 * @throws Error naming the file and what is wrong; the message says how to recover.
 */
export function parseIssuerKeysFile(text: string, file: string): IssuerKeysFile {
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
  if (typeof data !== "object" || data === null || (data.version !== 1 && data.version !== 2)) return fail("unknown version");
  if (!Array.isArray(data.signingKeys) || data.signingKeys.length === 0) return fail("no signing keys");
  const kids = new Set<string>();
  for (const key of data.signingKeys as unknown[]) {
    const k = key as Partial<StoredSigningKey> | null;
    const jwk = k?.privateJwk;
    if (k?.alg !== "ES256" || typeof jwk !== "object" || jwk === null || jwk.kty !== "EC" || jwk.crv !== "P-256") {
      return fail("a signing key is not an ES256 key");
    }
    if (typeof jwk.d !== "string" || typeof jwk.x !== "string" || typeof jwk.y !== "string") {
      return fail("a signing key is incomplete");
    }
    if (k.kid !== jwkThumbprint(jwk)) return fail("a kid does not match its key");
    if (kids.has(k.kid)) return fail("a key is listed twice");
    kids.add(k.kid);
    for (const name of ["createdAt", "activatesAt", "retiresAt"] as const) {
      const time = k[name];
      const optional = name !== "createdAt" || data.version === 1;
      if (time === undefined && optional) continue;
      if (typeof time !== "string" || Number.isNaN(Date.parse(time))) return fail(`a key's ${name} is not a time`);
    }
  }
  const current = data.signingKeys.find((k) => k.kid === data.currentKid);
  if (current === undefined) return fail("currentKid names no key");
  if (current.retiresAt !== undefined) return fail("the current key has a retirement time");
  const hashKey = typeof data.clientSecretHashKey === "string" ? data.clientSecretHashKey : "";
  if (!/^[A-Za-z0-9_-]+$/.test(hashKey) || Buffer.from(hashKey, "base64url").length !== 32) {
    return fail("clientSecretHashKey is not 32 bytes of base64url");
  }
  return data as IssuerKeysFile;
}
