/**
 * The running auth provider's view of issuer-keys.json, kept current without
 * a restart: the file is re-read every `reloadIntervalMs` (a small file, so a
 * plain read beats fs.watch, which loses track of atomically replaced files
 * on some platforms), and the signing key and JWKS are worked out per request
 * from the loaded file and the clock, so an activation or retirement needs no
 * reload. Keys past their retirement are dropped from the file here too.
 *
 * A file that stops parsing (or changes its client-secret hash key) is logged
 * once and ignored: the last good keys stay in use.
 */
import type { Logger } from "../../common/json-logger.js";
import type { AuthDatabase } from "../storage/auth-database.js";
import { parseIssuerKeysFile } from "./key-file-format.js";
import { updateIssuerKeys } from "./key-file.js";
import { importKeyRing, signingKeyAt, type IssuerKeyRing, type PublicJwks, type SigningKey } from "./key-ring.js";
import { pruneRetiredKeys } from "./key-rotation.js";
import { readTextIfExists } from "../../common/private-files.js";

/** Options of {@link startLiveIssuerKeys}. */
export interface LiveIssuerKeysOptions {
  /** The keys file, already loaded once (by loadOrCreateIssuerKeys). */
  readonly file: string;
  readonly initial: IssuerKeyRing;
  /** The auth database, whose write lock guards rewrites of the keys file. */
  readonly db: AuthDatabase;
  /** See importKeyRing. */
  readonly retireMarginSeconds: number;
  readonly logger: Logger;
  /** How often the file is re-read; default 1000 ms. */
  readonly reloadIntervalMs?: number;
  /** The clock; default Date.now. */
  readonly now?: () => number;
}

/** The keys in use, always for the current time. */
export interface LiveIssuerKeys {
  signingKey(): SigningKey;
  jwks(): PublicJwks;
  /** Re-reads the file now (the timer calls this); never throws. */
  reload(): Promise<void>;
  /** Stops the timer. */
  close(): void;
}

/** Starts watching the file; the first check runs at once. */
export function startLiveIssuerKeys(options: LiveIssuerKeysOptions): LiveIssuerKeys {
  const { file, db, logger, retireMarginSeconds } = options;
  const now = options.now ?? Date.now;
  let ring = options.initial;
  let lastText: string | undefined;
  let lastProblem = "";
  let signingKid = signingKeyAt(ring.stored, now()).kid;
  let running: Promise<void> | undefined;
  let troubled = false; // a problem was seen in the current check

  // Logs a problem once, until a check passes without one.
  const problem = (message: string, fields: Record<string, unknown>) => {
    troubled = true;
    if (message === lastProblem) return;
    lastProblem = message;
    logger.error(message, { file, ...fields });
  };

  async function check(): Promise<void> {
    troubled = false;
    try {
      const text = readTextIfExists(file);
      if (text === undefined) return problem("the issuer keys file is missing; the loaded keys stay in use", {});
      if (text !== lastText) {
        const stored = parseIssuerKeysFile(text, file);
        if (stored.clientSecretHashKey !== ring.stored.clientSecretHashKey) {
          return problem("the issuer keys file has a different client secret hash key; restart the auth provider to use it", {});
        }
        const fresh = await importKeyRing(stored, retireMarginSeconds);
        if (lastText !== undefined) logger.info("reloaded issuer keys", { file, kids: stored.signingKeys.map((k) => k.kid) });
        ring = fresh;
        lastText = text;
      }
      if (pruneRetiredKeys(ring.stored, now()) !== undefined) dropRetiredKeys();
      const kid = signingKeyAt(ring.stored, now()).kid;
      if (kid !== signingKid) {
        signingKid = kid;
        logger.info("signing with a new key", { kid });
      }
      if (!troubled) lastProblem = "";
    } catch (err) {
      problem("cannot reload the issuer keys; the loaded keys stay in use", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  // Retired keys are already out of the JWKS (that is a matter of time); this removes their private parts from disk.
  function dropRetiredKeys(): void {
    try {
      const result = updateIssuerKeys(db, file, (current) => pruneRetiredKeys(current, now()));
      if (result !== undefined) logger.info("dropped retired signing keys", { file, kids: result.dropped });
    } catch (err) {
      problem("cannot drop retired keys from the issuer keys file", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  const reload = () => (running ??= check().finally(() => (running = undefined)));
  const timer = setInterval(() => void reload(), options.reloadIntervalMs ?? 1000);
  timer.unref();
  void reload();

  return {
    signingKey: () => ring.signingKey(now()),
    jwks: () => ring.jwks(now()),
    reload,
    close: () => clearInterval(timer),
  };
}
