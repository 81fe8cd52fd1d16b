/**
 * Files only their owner may read (the auth provider's keys and credentials, the
 * assistant's token cache): a data directory with mode 0700 and files with mode 0600,
 * replaced atomically so a crash never leaves a half-written file behind.
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** Creates the directory (and its parents) with mode 0700 if it does not exist; an existing one is left as it is. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/**
 * Replaces the file at path with content: writes a temporary file with mode 0600 next to it, flushes it to disk,
 * renames it over the target and flushes the directory. Throws the file system error when any step fails.
 */
export function writePrivateFileAtomic(path: string, content: string): void {
  const temp = writeTempBeside(path, content);
  try {
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  syncDirectory(dirname(path));
}

/**
 * Creates the file at path with content and mode 0600, never replacing an existing file: the content is written and
 * flushed under a temporary name first, then linked into place (which fails with EEXIST when the path exists), so the
 * file appears whole or not at all. Throws the file system error when any step fails (EEXIST included).
 */
export function writeNewPrivateFile(path: string, content: string): void {
  const temp = writeTempBeside(path, content);
  try {
    linkSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  syncDirectory(dirname(path));
}

// Writes content to a new temporary file with mode exactly 0600 next to path, flushed to disk; returns its path.
function writeTempBeside(path: string, content: string): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
    chmodSync(temp, 0o600); // the umask may have narrowed the mode further; make it exactly 0600
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  return temp;
}

/** Creates an empty file with mode 0600 if it does not exist, and sets the mode of an existing one to 0600. */
export function touchPrivateFile(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}

/** The file's text, or undefined when it does not exist; other errors are thrown. */
export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

// Makes the rename durable. Some file systems refuse fsync on a directory; the rename has happened anyway.
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
