/**
 * The running auth provider's view of the issuer keys, kept current without a
 * restart: the store is asked every `reloadIntervalMs` whether the keys
 * changed (issuer-keys.json: the file is re-read, a small file, so a plain
 * read beats fs.watch, which loses track of atomically replaced files on some
 * platforms; PostgreSQL: one tiny query of the key set's change counter), and
 * the signing key and JWKS are worked out per request from the loaded keys and
 * the clock, so an activation or retirement needs no reload (the JWKS object
 * stays the same until the keys reload or a key leaves it). Keys past their
 * retirement are dropped from the store here too (under the store's lock, so
 * several replicas doing it at once is harmless).
 *
 * Keys that stop loading (a broken file, a database that is away, a changed
 * client-secret hash key) are logged once and ignored: the last good keys stay
 * in use, so the JWKS keeps being served from memory. `status()` says whether
 * the last check reached the store, for the health endpoint.
 */
import type { Logger } from "../../common/json-logger.js";
import type { AuthDatabase } from "../storage/auth-database.js";
import type { IssuerKeyStore } from "../storage/auth-store.js";
import { parseIssuerKeysFile } from "./key-file-format.js";
import { updateIssuerKeys } from "./key-file.js";
import { importKeyRing, isPublished, keyStatuses, signingKeyAt, type IssuerKeyRing, type KeyState, type PublicJwks, type SigningKey } from "./key-ring.js";
import { pruneRetiredKeys } from "./key-rotation.js";
import { readTextIfExists } from "../../common/private-files.js";

/** What live keys need from a store. */
export type LiveKeySource = Pick<IssuerKeyStore, "location" | "readIfChanged" | "update">;

/** A source over issuer-keys.json, whose rewrites are guarded by the auth database's write lock. */
export function fileKeySource(file: string, db: AuthDatabase): LiveKeySource {
  return {
    location: file,
    async readIfChanged(marker) {
      const text = readTextIfExists(file);
      if (text === undefined) throw new Error(`the issuer keys file ${file} is missing`);
      return text === marker ? undefined : { stored: parseIssuerKeysFile(text, file), marker: text };
    },
    update: async (change) => updateIssuerKeys(db, file, change),
  };
}

/** Options of {@link startLiveIssuerKeys}. */
export interface LiveIssuerKeysOptions {
  /** Where the keys are read from; or give file and db for issuer-keys.json. */
  readonly source?: LiveKeySource;
  /** The keys file, already loaded once (by loadOrCreateIssuerKeys); used with db when source is absent. */
  readonly file?: string;
  /** The auth database, whose write lock guards rewrites of the keys file. */
  readonly db?: AuthDatabase;
  /** The keys as loaded at start-up. */
  readonly initial: IssuerKeyRing;
  /** See importKeyRing. */
  readonly retireMarginSeconds: number;
  readonly logger: Logger;
  /** How often the store is asked; default 1000 ms. */
  readonly reloadIntervalMs?: number;
  /** The clock; default Date.now. */
  readonly now?: () => number;
  /** Told when a key starts signing or leaves the JWKS, as this process sees it (for the audit trail). */
  readonly onKeyEvent?: (event: IssuerKeyEvent) => void;
}

/** A key starting to sign, or leaving the JWKS. */
export interface IssuerKeyEvent {
  readonly kind: "activated" | "retired";
  readonly kid: string;
}

/** The keys in use, always for the current time. */
export interface LiveIssuerKeys {
  signingKey(): SigningKey;
  /** The same object while the published keys are unchanged. */
  jwks(): PublicJwks;
  /** Re-reads the keys now (the timer calls this); never throws. */
  reload(): Promise<void>;
  /** The state of every loaded key now (for the keys gauge). */
  keyStates(): KeyState[];
  /** Whether the last check reached the store and found good keys; else why not. */
  status(): { ok: true } | { ok: false; reason: string };
  /** Stops the timer. */
  close(): void;
}

/** Starts watching the keys; the first check runs at once. */
export function startLiveIssuerKeys(options: LiveIssuerKeysOptions): LiveIssuerKeys {
  const { logger, retireMarginSeconds } = options;
  const source = options.source ?? fileKeySource(options.file!, options.db!);
  const file = source.location;
  const now = options.now ?? Date.now;
  let ring = options.initial;
  let lastMarker: string | undefined;
  let lastProblem = "";
  let lastError: string | undefined;
  let signingKid = signingKeyAt(ring.stored, now()).kid;
  const publishedKids = () => new Set(ring.stored.signingKeys.filter((k) => isPublished(k, now())).map((k) => k.kid));
  let published = publishedKids();
  let running: Promise<void> | undefined;
  let troubled = false; // a problem was seen in the current check

  // Logs a problem once, until a check passes without one.
  const problem = (message: string, fields: Record<string, unknown>) => {
    troubled = true;
    lastError = typeof fields["error"] === "string" ? `${message}: ${fields["error"]}` : message;
    if (message === lastProblem) return;
    lastProblem = message;
    logger.error(message, { file, ...fields });
  };

  async function check(): Promise<void> {
    troubled = false;
    try {
      const changed = await source.readIfChanged(lastMarker);
      if (changed !== undefined) {
        const { stored } = changed;
        if (stored.clientSecretHashKey !== ring.stored.clientSecretHashKey) {
          return problem("the issuer keys have a different client secret hash key; restart the auth provider to use them", {});
        }
        const fresh = await importKeyRing(stored, retireMarginSeconds);
        if (lastMarker !== undefined) logger.info("reloaded issuer keys", { file, kids: stored.signingKeys.map((k) => k.kid) });
        ring = fresh;
        lastMarker = changed.marker;
      }
      if (pruneRetiredKeys(ring.stored, now()) !== undefined) await dropRetiredKeys();
      const kid = signingKeyAt(ring.stored, now()).kid;
      if (kid !== signingKid) {
        signingKid = kid;
        logger.info("signing with a new key", { kid });
        options.onKeyEvent?.({ kind: "activated", kid });
      }
      const nowPublished = publishedKids();
      for (const gone of published) if (!nowPublished.has(gone)) options.onKeyEvent?.({ kind: "retired", kid: gone });
      published = nowPublished;
      if (!troubled) {
        lastProblem = "";
        lastError = undefined;
      }
    } catch (err) {
      problem("cannot reload the issuer keys; the loaded keys stay in use", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  // Retired keys are already out of the JWKS (that is a matter of time); this removes their private parts from storage.
  async function dropRetiredKeys(): Promise<void> {
    try {
      const result = await source.update((current) => pruneRetiredKeys(current, now()));
      if (result !== undefined) logger.info("dropped retired signing keys", { file, kids: result.dropped });
    } catch (err) {
      problem("cannot drop retired keys from the issuer keys", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  // The JWKS object is kept until the ring changes or its next key leaves it, so callers can prepare a body per key set.
  let jwksCache: { ring: IssuerKeyRing; until: number; jwks: PublicJwks } | undefined;
  const jwks = (): PublicJwks => {
    const at = now();
    if (jwksCache?.ring === ring && at < jwksCache.until) return jwksCache.jwks;
    const leaving = ring.stored.signingKeys.map((k) => (k.retiresAt === undefined ? Infinity : Date.parse(k.retiresAt))).filter((t) => t > at);
    jwksCache = { ring, until: Math.min(Infinity, ...leaving), jwks: ring.jwks(at) };
    return jwksCache.jwks;
  };

  const reload = () => (running ??= check().finally(() => (running = undefined)));
  const timer = setInterval(() => void reload(), options.reloadIntervalMs ?? 1000);
  timer.unref();
  void reload();

  return {
    signingKey: () => ring.signingKey(now()),
    jwks,
    keyStates: () => keyStatuses(ring.stored, now()).map((key) => key.state),
    reload,
    status: () => (lastError === undefined ? { ok: true } : { ok: false, reason: lastError }),
    close: () => clearInterval(timer),
  };
}
