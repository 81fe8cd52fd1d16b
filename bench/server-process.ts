/**
 * Servers for the benchmark, each a child process on a loopback port chosen
 * here. Unlike the tests' helper, output is drained and only the last lines
 * are kept (a loaded server may log a line per call), and readiness is
 * probed rather than read from a log line, so servers can run with
 * LOG_LEVEL=warn.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The last lines of stdout and stderr, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  name: string;
  /** Compiled entry point under dist/, e.g. "notes/main.js". */
  entry: string;
  port: number;
  env: Record<string, string | undefined>;
  /** Resolves true once the server answers; polled until `timeoutMs` (default 20 s). */
  ready: (url: string) => Promise<boolean>;
  timeoutMs?: number;
}

/** Absolute path of a compiled entry point, e.g. "bench/load-generator.js". */
export function distPath(entry: string): string {
  return fileURLToPath(new URL(`../${entry}`, import.meta.url));
}

/** A port that was free a moment ago on 127.0.0.1. */
export { freePort } from "../test/support/processes.js";

/** Starts `node dist/<entry>` and waits until `ready` says it answers. */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, [distPath(options.entry)], {
    env: { ...process.env, SUPERTOKENS_CONNECTION_URI: undefined, SUPERTOKENS_API_KEY: undefined, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      lines.push(...chunk.split("\n").filter((line) => line !== ""));
      if (lines.length > 40) lines.splice(0, lines.length - 20);
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  const tail = () => lines.slice(-20).join("\n");
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.name} exited before it answered:\n${tail()}`);
    if (await options.ready(url).catch(() => false)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} did not answer within ${options.timeoutMs ?? 20_000} ms:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { name: options.name, pid: child.pid!, port: options.port, url, tail, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Ready when a TCP connection is accepted. */
export async function acceptsConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Ready when the gRPC health service answers over Connect with HTTP/1.1 (no token needed). */
export async function answersHealthCheck(url: string): Promise<boolean> {
  const response = await fetch(`${url}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  await response.arrayBuffer();
  return response.ok;
}
