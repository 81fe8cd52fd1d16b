/**
 * Runs the real assistant CLI (compiled into dist/) as a subprocess, with the
 * environment of a test system and a private token cache.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distPath } from "./processes.js";
import type { TestSystem } from "./system.js";

/** The CLI's compiled entry point, relative to dist/. */
export const cliEntry = "assistant-cli/main.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment that points the CLI at the test system, with its own cache directory. */
export function cliEnv(system: TestSystem, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AUTH_URL: system.auth.url,
    CALENDAR_URL: system.calendar.url,
    NOTES_URL: system.notes.url,
    DATA_DIR: system.dataDir,
    XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "m2m-grpc-cache-")),
    TZ: "UTC",
    ...extra,
  };
}

/** Runs `node dist/<entry> ...args` to completion (15 s at most). */
export function runNode(entry: string, args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distPath(entry), ...args], {
      env: { PATH: process.env["PATH"], HOME: process.env["HOME"], ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const runCli = (args: string[], env: Record<string, string | undefined>) => runNode(cliEntry, args, env);
