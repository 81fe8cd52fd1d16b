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
  const started = await spawnServer(process.execPath, [distPath(options.entry)], options);
  return { name: options.name, pid: started.child.pid!, port: options.port, url: started.url, tail: started.tail, stop: started.stop };
}

/** A server process that answers, with what its starters build on. */
export interface SpawnedServer {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  tail(): string;
  /** SIGTERM, then SIGKILL after `stopGraceMs`; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface SpawnServerOptions extends Omit<StartServerOptions, "entry"> {
  /** How often `ready` is polled; default 50 ms. */
  pollMs?: number;
  /** Default 10 s. */
  stopGraceMs?: number;
}

/**
 * Spawns `command args` (output drained, the last lines kept) and polls `ready` until it answers; throws with the
 * output's tail when the process exits first or does not answer within `timeoutMs` (default 20 s).
 */
export async function spawnServer(command: string, args: readonly string[], options: SpawnServerOptions): Promise<SpawnedServer> {
  const child = spawn(command, args, {
    env: { ...process.env, SUPERTOKENS_CONNECTION_URI: undefined, SUPERTOKENS_API_KEY: undefined, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      lines.push(...chunk.split("\n").filter((line) => line !== ""));
      if (lines.length > 60) lines.splice(0, lines.length - 30);
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  const tail = () => lines.slice(-30).join("\n");
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.name} exited before it answered:\n${tail()}`);
    if (await options.ready(url).catch(() => false)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} did not answer within ${timeoutMs} ms:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), options.stopGraceMs ?? 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, url, tail, stop };
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

/** True when ListNotes succeeds without an authorization header (Connect JSON over HTTP/1.1): the server's auth is off. */
export async function answersWithoutToken(url: string): Promise<boolean> {
  const response = await fetch(`${url}/m2m.notes.v1.NoteService/ListNotes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ pageSize: 1 }),
  });
  await response.arrayBuffer();
  return response.ok;
}
