/** Runs a program to completion with a time limit, capturing its output. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

// dist/test/support/ → the project root.
export const projectRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(
  file: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd ?? projectRoot, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The buf binary installed by npm. */
export const bufBinary = `${projectRoot}node_modules/.bin/buf`;
