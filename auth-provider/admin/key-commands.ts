/**
 * The `key` commands: rotate the embedded issuer's signing key and list the
 * keys with their state. A rotation only changes the stored keys (under the
 * store's lock: issuer-keys.json, or the key rows every replica shares); each
 * running auth provider sees it within a second, publishes the new key at once
 * and signs with it from its activation time.
 */
import { generateSigningKey } from "../keys/key-file-format.js";
import { keyStatuses, type KeyStatus } from "../keys/key-ring.js";
import { RotationPendingError, rotateSigningKey } from "../keys/key-rotation.js";
import { CliError } from "../../common/cli-error.js";
import type { AdminDataDir } from "./admin-data-dir.js";

/** A key as the CLI shows it (see KeyStatus), with null for a time it does not have. */
export interface KeyView {
  readonly kid: string;
  readonly createdAt: string | null;
  readonly state: KeyStatus["state"];
  /** True for the key that signs new tokens now. */
  readonly current: boolean;
  /** Signs from (rotated keys only). */
  readonly activatesAt: string | null;
  /** Published until. */
  readonly retiresAt: string | null;
}

/** What `key rotate` did, and the keys afterwards. */
export interface KeyRotation {
  /** The new key: published now, signing from activatesAt. */
  readonly kid: string;
  readonly activatesAt: string;
  /** Keys now on their way out, each published until its retiresAt. */
  readonly retiring: readonly { kid: string; retiresAt: string }[];
  /** Keys removed from the file because they had retired. */
  readonly dropped: readonly string[];
  readonly maxTokenTtlSeconds: number;
  readonly keys: readonly KeyView[];
}

/** The raw options of `key rotate`. */
export interface RotateKeyOptions {
  /** Seconds until the new key signs; default AUTH_KEY_ACTIVATION_DELAY_SECONDS (15). */
  readonly activationDelay?: string | undefined;
}

/**
 * Creates a new ES256 key and makes it the current key (see key-rotation.ts for the timing). The outgoing key stays
 * published until every token it may sign has expired: its retirement allows for the longest token lifetime of any
 * client and the server default (the larger of AUTH_TOKEN_TTL_SECONDS if set here and the value the auth provider
 * recorded at its last start; 3600 when neither is known), plus AUTH_KEY_RETIRE_MARGIN_SECONDS.
 * @throws CliError usage when the previous rotation's key has not started signing yet, or for a bad delay.
 */
export async function rotateKey(dir: AdminDataDir, options: RotateKeyOptions = {}): Promise<KeyRotation> {
  const { keyRotation, defaultTokenTtlSeconds } = dir.settings;
  const activationDelaySeconds = options.activationDelay === undefined ? keyRotation.activationDelaySeconds : parseDelay(options.activationDelay);
  const defaults = [defaultTokenTtlSeconds, await dir.store.settings.readDefaultTokenTtl()].filter((ttl) => ttl !== undefined);
  const clientTtls = (await dir.store.clients.list()).map((c) => c.tokenTtlSeconds ?? 0);
  const maxTokenTtlSeconds = Math.max(...(defaults.length > 0 ? defaults : [3600]), ...clientTtls);
  const newKey = await generateSigningKey();
  const timing = { activationDelaySeconds, maxTokenTtlSeconds, retireMarginSeconds: keyRotation.retireMarginSeconds };
  try {
    const now = Date.now();
    const result = await dir.store.keys.update((current) => rotateSigningKey(current, newKey, now, timing));
    return {
      kid: newKey.kid,
      activatesAt: result.activatesAt,
      retiring: result.retiring,
      dropped: result.dropped,
      maxTokenTtlSeconds,
      keys: keyStatuses(result.file, now).map(view),
    };
  } catch (err) {
    if (err instanceof RotationPendingError) throw new CliError("usage", err.message, { cause: err });
    throw err;
  }
}

/** Every stored key with its state now, oldest first. */
export async function listKeys(dir: AdminDataDir): Promise<KeyView[]> {
  return keyStatuses(await dir.store.keys.read(), Date.now()).map(view);
}

function view(status: KeyStatus): KeyView {
  return { ...status, createdAt: status.createdAt ?? null, activatesAt: status.activatesAt ?? null, retiresAt: status.retiresAt ?? null };
}

function parseDelay(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 86_400) {
    throw new CliError("usage", `invalid --activation-delay "${value.slice(0, 40)}": use whole seconds from 0 to 86400`);
  }
  return n;
}
