/**
 * What an issuer keys file means at a given time: which key signs, which keys
 * are published, and how each key is doing. Pure functions of (file, time),
 * shared by the running auth provider and the admin CLI, plus the imported
 * form the provider signs with.
 *
 * Rules, in order (RFC 8725 §3.1: a verifier must be able to get every key
 * that signed a token it may still receive):
 * - published: every key whose retiresAt is absent or still ahead;
 * - signing: the current key once its activatesAt has passed; before that,
 *   the newest other published key that has activated (the one being replaced).
 */
import { importJWK, type CryptoKey } from "jose";
import type { IssuerKeysFile, StoredSigningKey } from "./key-file-format.js";

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

/** How a key is doing at a moment. */
export type KeyState = "signing" | "next" | "retiring" | "retired" | "published";

/** One key as `key list` and the logs describe it. */
export interface KeyStatus {
  readonly kid: string;
  readonly createdAt: string | undefined;
  readonly state: KeyState;
  /** True for the key that signs new tokens now. */
  readonly current: boolean;
  /** When it signs (or signed) from, for rotated keys. */
  readonly activatesAt: string | undefined;
  /** When it leaves (or left) the JWKS: "published until". */
  readonly retiresAt: string | undefined;
}

/** The key that signs new tokens, imported. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: "ES256";
  readonly privateKey: CryptoKey;
  /** Epoch seconds: tokens signed with this key must expire by then (it leaves the JWKS soon after). */
  readonly signUntil?: number | undefined;
}

/** A keys file with its private keys imported, answering for any time. */
export interface IssuerKeyRing {
  readonly stored: IssuerKeysFile;
  signingKey(nowMs: number): SigningKey;
  jwks(nowMs: number): PublicJwks;
}

const at = (iso: string | undefined): number => (iso === undefined ? Number.NEGATIVE_INFINITY : Date.parse(iso));

/** True while the key is in the JWKS. */
export function isPublished(key: StoredSigningKey, nowMs: number): boolean {
  return key.retiresAt === undefined || at(key.retiresAt) > nowMs;
}

/** The stored key that signs at nowMs (see the rules above). */
export function signingKeyAt(file: IssuerKeysFile, nowMs: number): StoredSigningKey {
  const current = file.signingKeys.find((k) => k.kid === file.currentKid)!;
  if (at(current.activatesAt) <= nowMs) return current;
  const previous = file.signingKeys
    .filter((k) => k !== current && isPublished(k, nowMs) && at(k.activatesAt) <= nowMs)
    .sort((a, b) => at(b.activatesAt ?? b.createdAt) - at(a.activatesAt ?? a.createdAt))[0];
  return previous ?? current; // nothing else can sign: better a just-published key than none
}

/** The public part of a stored key, as served in the JWKS (never the private "d"). */
export function publicJwk(key: StoredSigningKey): PublicJwk {
  const { kty, crv, x, y } = key.privateJwk;
  return { kty: kty!, crv: crv!, x: x!, y: y!, kid: key.kid, alg: "ES256", use: "sig" };
}

/** The JWKS at nowMs: every published key. */
export function publishedJwks(file: IssuerKeysFile, nowMs: number): PublicJwks {
  return { keys: file.signingKeys.filter((k) => isPublished(k, nowMs)).map(publicJwk) };
}

/** Every key in the file with its state at nowMs, oldest first. */
export function keyStatuses(file: IssuerKeysFile, nowMs: number): KeyStatus[] {
  const signing = signingKeyAt(file, nowMs);
  return file.signingKeys.map((key) => {
    let state: KeyState;
    if (key === signing) state = "signing";
    else if (!isPublished(key, nowMs)) state = "retired";
    else if (key.kid === file.currentKid) state = "next";
    else state = key.retiresAt === undefined ? "published" : "retiring";
    return {
      kid: key.kid,
      createdAt: key.createdAt,
      state,
      current: key === signing,
      activatesAt: key.activatesAt,
      retiresAt: key.retiresAt,
    };
  });
}

/**
 * Imports the private key of every stored key. retireMarginSeconds is subtracted from a key's retiresAt to get
 * the latest expiry of the tokens it signs, so no token outlives its key's publication.
 * @throws the import error when a key cannot be imported (parseIssuerKeysFile has checked the shape already).
 */
export async function importKeyRing(stored: IssuerKeysFile, retireMarginSeconds: number): Promise<IssuerKeyRing> {
  const imported = new Map<string, SigningKey>();
  for (const key of stored.signingKeys) {
    const privateKey = (await importJWK(key.privateJwk, "ES256")) as CryptoKey;
    const signUntil = key.retiresAt === undefined ? undefined : Math.floor(Date.parse(key.retiresAt) / 1000) - retireMarginSeconds;
    imported.set(key.kid, { kid: key.kid, alg: "ES256", privateKey, signUntil });
  }
  return {
    stored,
    signingKey(nowMs) {
      return imported.get(signingKeyAt(stored, nowMs).kid)!;
    },
    jwks: (nowMs) => publishedJwks(stored, nowMs),
  };
}
