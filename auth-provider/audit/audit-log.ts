/**
 * Where the audit trail goes, and the writer: AUTH_AUDIT_LOG names a file
 * (JSON lines, appended, mode 0600, created with its directory; default
 * $DATA_DIR/audit.jsonl), `-` for standard output, or `off`. The auth
 * provider and `auth-admin` append to the same setting's file.
 *
 * Lines go through one write stream, so they stay in order and the token path
 * never waits for the disk; close() flushes what is queued. The file is opened
 * when the writer is created, so an unwritable file stops start-up.
 */
import { closeSync, createWriteStream, openSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError, readOptionalString } from "../../common/env.js";
import { errorText, type Logger } from "../../common/json-logger.js";
import { ensurePrivateDir } from "../../common/private-files.js";
import type { AuditEvent } from "./audit-events.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The setting's name. */
export const auditLogVariable = "AUTH_AUDIT_LOG";

/** Where events go. */
export type AuditLogTarget = { readonly kind: "off" } | { readonly kind: "stdout" } | { readonly kind: "file"; readonly path: string };

/** Reads AUTH_AUDIT_LOG: a file (made absolute), "-" (stdout) or "off"; unset: audit.jsonl in dataDir. */
export function readAuditLogTarget(env: Env, dataDir: string): AuditLogTarget {
  const value = readOptionalString(env, auditLogVariable);
  if (value === undefined) return { kind: "file", path: join(dataDir, "audit.jsonl") };
  if (value === "off") return { kind: "off" };
  if (value === "-") return { kind: "stdout" };
  return { kind: "file", path: resolve(value) };
}

/** Appends events to the trail. */
export interface AuditLog {
  /** Queues one event; never throws and never waits. */
  write(event: AuditEvent): void;
  /** Flushes queued events and closes the file. */
  close(): Promise<void>;
}

/** A trail that records nothing (AUTH_AUDIT_LOG=off, and tests that do not look). */
export const noAuditLog: AuditLog = { write: () => {}, close: async () => {} };

/**
 * Opens the trail; "-" writes to standardOutput (default process.stdout; auth-admin, whose stdout is its result,
 * gives stderr). A write error after opening (a full disk) is logged once; events go on being queued.
 * @throws ConfigError naming AUTH_AUDIT_LOG when the file or its directory cannot be created or opened for appending.
 */
export function openAuditLog(target: AuditLogTarget, logger: Pick<Logger, "error">, standardOutput: NodeJS.WritableStream = process.stdout): AuditLog {
  if (target.kind === "off") return noAuditLog;
  if (target.kind === "stdout") {
    return { write: (event) => void standardOutput.write(`${JSON.stringify(event)}\n`), close: async () => {} };
  }
  const stream = openAppendStream(target.path);
  let failed = false;
  stream.on("error", (err) => {
    if (failed) return;
    failed = true;
    logger.error("cannot write the audit trail", { file: target.path, error: errorText(err) });
  });
  return {
    write: (event) => void stream.write(`${JSON.stringify(event)}\n`),
    close: () => new Promise((done) => (stream.writableEnded ? done() : stream.end(() => done()))),
  };
}

function openAppendStream(path: string): WriteStream {
  let fd: number;
  try {
    ensurePrivateDir(dirname(path));
    fd = openSync(path, "a", 0o600);
  } catch (err) {
    throw new ConfigError(auditLogVariable, `cannot append to the audit trail ${path} (${errorText(err)}); name a writable file, "-" for standard output, or "off"`);
  }
  try {
    return createWriteStream("", { fd, flags: "a" });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
