/**
 * Starts the real programs (compiled into dist/) as child processes for tests:
 * each listens on a free loopback port (port 0) and announces it with a JSON
 * log line {"msg":"listening","port":N}, which this helper waits for.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of a compiled entry point, e.g. "auth-provider/main.js". */
export function distPath(entry: string): string {
  return fileURLToPath(new URL(`../../${entry}`, import.meta.url));
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Every line written so far, stdout and stderr. */
  readonly output: string[];
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Sends SIGTERM (or the given signal) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Milliseconds to wait for the "listening" line; default 15 s. */
  timeoutMs?: number;
}

/** Starts `node dist/<entry>` and waits until it listens. */
export async function startProcess(entry: string, options: StartOptions = {}): Promise<RunningProcess> {
  const child = spawn(process.execPath, ["--enable-source-maps", distPath(entry)], {
    // The embedded issuer unless a test asks for SuperTokens, even when the outer run has a core configured.
    env: { ...process.env, LOG_LEVEL: "info", SUPERTOKENS_CONNECTION_URI: undefined, SUPERTOKENS_API_KEY: undefined, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let onLine: (line: string) => void = () => {};
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        output.push(line);
        onLine(line);
      }
    });
  }
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${entry} did not start within ${options.timeoutMs ?? 15000} ms:\n${output.join("\n")}`));
    }, options.timeoutMs ?? 15000);
    onLine = (line) => {
      const entryLog = parseJson(line);
      if (entryLog?.["msg"] === "listening" && typeof entryLog["port"] === "number") {
        clearTimeout(timer);
        resolve(entryLog["port"]);
      }
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before listening:\n${output.join("\n")}`));
    });
  });
  onLine = () => {};
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output,
    logs: () => output.map(parseJson).filter((x): x is Record<string, unknown> => x !== undefined),
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A fresh temporary data directory; remove() deletes it. */
export function tempDataDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "m2m-grpc-test-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A port that was free a moment ago on 127.0.0.1 (for a server that must be told its port up front). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
