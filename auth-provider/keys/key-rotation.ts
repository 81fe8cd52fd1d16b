/**
 * Signing key rotation as a change to the keys file (pure: the caller brings
 * the new key, the time and the file, and writes the result under the keys
 * file lock).
 *
 * Rotating at time T with activation delay D:
 * - the new key is published at once and signs from T + D, so verifiers that
 *   cached the JWKS have it (or refetch it on the unknown kid) before the
 *   first token it signs arrives;
 * - every key still published without a retirement time gets
 *   retiresAt = T + D + maxTokenTtl + margin: it may sign until T + D, so the
 *   last token it signed expires by T + D + maxTokenTtl, and the margin covers
 *   verifiers' clock tolerance and skew (RFC 8725 §3.1; RFC 9068 §4: verifiers
 *   must be able to resolve the kid of every unexpired token);
 * - keys already past their retiresAt are dropped from the file.
 */
import type { IssuerKeysFile, StoredSigningKey } from "./key-file-format.js";
import { isPublished } from "./key-ring.js";

/** The timing of a rotation. */
export interface RotationTiming {
  /** Seconds from rotation until the new key signs (AUTH_KEY_ACTIVATION_DELAY_SECONDS). */
  readonly activationDelaySeconds: number;
  /** The longest lifetime of any token the outgoing key may sign: max(server default, every client's own). */
  readonly maxTokenTtlSeconds: number;
  /** Extra seconds the outgoing key stays published after its last token expires (AUTH_KEY_RETIRE_MARGIN_SECONDS). */
  readonly retireMarginSeconds: number;
}

/** What a rotation did. */
export interface RotationResult {
  readonly file: IssuerKeysFile;
  /** ISO 8601: when the new key starts signing. */
  readonly activatesAt: string;
  /** The keys that were given a retirement time by this rotation. */
  readonly retiring: readonly { kid: string; retiresAt: string }[];
  /** kids dropped from the file because they had retired. */
  readonly dropped: readonly string[];
}

/** Thrown when the previous rotation's key has not started signing yet. */
export class RotationPendingError extends Error {
  override name = "RotationPendingError";
  constructor(readonly kid: string, readonly activatesAt: string) {
    super(`the key ${kid} from the previous rotation starts signing only at ${activatesAt}; rotate again after that`);
  }
}

/**
 * Adds newKey as the current key of file (see the rules above).
 * @throws RotationPendingError when the current key has not activated yet: rotating again would retire a key before
 *   it ever signed and shorten the publish-before-sign window of the one being added.
 */
export function rotateSigningKey(
  file: IssuerKeysFile,
  newKey: StoredSigningKey,
  nowMs: number,
  timing: RotationTiming,
): RotationResult {
  const current = file.signingKeys.find((k) => k.kid === file.currentKid)!;
  if (current.activatesAt !== undefined && Date.parse(current.activatesAt) > nowMs) {
    throw new RotationPendingError(current.kid, current.activatesAt);
  }
  const activatesMs = nowMs + timing.activationDelaySeconds * 1000;
  const retiresAt = new Date(activatesMs + (timing.maxTokenTtlSeconds + timing.retireMarginSeconds) * 1000).toISOString();
  const { kept, dropped } = pruneKeys(file.signingKeys, nowMs);
  const retiring: { kid: string; retiresAt: string }[] = [];
  const signingKeys = kept.map((key) => {
    if (key.retiresAt !== undefined) return key;
    retiring.push({ kid: key.kid, retiresAt });
    return { ...key, retiresAt };
  });
  const activatesAt = new Date(activatesMs).toISOString();
  signingKeys.push({ ...newKey, activatesAt });
  return {
    file: { ...file, version: 2, currentKid: newKey.kid, signingKeys },
    activatesAt,
    retiring,
    dropped,
  };
}

/** The file without keys whose retiresAt has passed, or undefined when there are none. */
export function pruneRetiredKeys(file: IssuerKeysFile, nowMs: number): { file: IssuerKeysFile; dropped: string[] } | undefined {
  const { kept, dropped } = pruneKeys(file.signingKeys, nowMs);
  return dropped.length === 0 ? undefined : { file: { ...file, signingKeys: kept }, dropped };
}

function pruneKeys(keys: readonly StoredSigningKey[], nowMs: number): { kept: StoredSigningKey[]; dropped: string[] } {
  const kept = keys.filter((k) => isPublished(k, nowMs));
  return { kept, dropped: keys.filter((k) => !kept.includes(k)).map((k) => k.kid) };
}
