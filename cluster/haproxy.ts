/**
 * HAProxy (Debian package `haproxy`) in front of replicas: TCP mode, so each
 * client connection goes to one replica (round robin) and HTTP/2, gRPC and
 * TLS pass through unchanged. Replicas are health-checked every 300 ms (the
 * gRPC health service over HTTP/1.1 for the services, GET /healthz for the
 * auth provider): one that stops answering is taken out after one failed
 * check, and connections it refuses are redispatched. Used by
 * `npm run cluster` and by the failover tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const haproxyPaths = ["/usr/sbin/haproxy", "/usr/bin/haproxy"];

/** The installed haproxy binary, or undefined. */
export function haproxyBinary(): string | undefined {
  return haproxyPaths.find((path) => existsSync(path));
}

export interface RunningHaproxy {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Everything HAProxy wrote (warnings, alerts). */
  readonly output: string[];
  stop(): Promise<void>;
}

/** One balanced address: a TCP frontend on `port` over the replicas on `backendPorts`. */
export interface BalancedService {
  readonly name: string;
  readonly port: number;
  readonly backendPorts: readonly number[];
  /** How a replica is checked: the gRPC health service over HTTP/1.1 (the services), or GET /healthz (the auth provider). */
  readonly check: "grpc-health" | "healthz";
}

const checks: Record<BalancedService["check"], string[]> = {
  "grpc-health": [
    "  http-check send meth POST uri /grpc.health.v1.Health/Check ver HTTP/1.1 hdr host localhost hdr content-type application/json body {}",
    "  http-check expect string SERVING",
  ],
  healthz: ["  http-check send meth GET uri /healthz ver HTTP/1.1 hdr host localhost", "  http-check expect status 200"],
};

/** The configuration: per service a TCP frontend, round robin over its replicas, health-checked every 300 ms. */
export function haproxyConfig(services: readonly BalancedService[]): string {
  return [
    "global",
    "  maxconn 1024",
    "defaults",
    "  mode tcp",
    "  timeout connect 1s",
    "  timeout client 60s",
    "  timeout server 60s",
    // A connection whose replica refuses it is tried on another one.
    "  retries 2",
    "  option redispatch",
    ...services.flatMap((service) => [
      `frontend ${service.name}`,
      `  bind 127.0.0.1:${service.port}`,
      `  default_backend ${service.name}`,
      `backend ${service.name}`,
      "  balance roundrobin",
      "  option httpchk",
      ...checks[service.check],
      "  default-server inter 300ms fall 1 rise 2 on-marked-down shutdown-sessions",
      ...service.backendPorts.map((backend, i) => `  server ${service.name}${i} 127.0.0.1:${backend} check`),
    ]),
    "",
  ].join("\n");
}

/** Starts HAProxy in the foreground with `services`; resolves once the first frontend accepts connections. */
export async function runHaproxy(services: readonly BalancedService[]): Promise<RunningHaproxy> {
  const binary = haproxyBinary();
  if (binary === undefined) throw new Error("haproxy is not installed (apt-get install haproxy)");
  const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-haproxy-"));
  const port = services[0]!.port;
  const config = join(dir, "haproxy.cfg");
  writeFileSync(config, haproxyConfig(services));
  const child: ChildProcess = spawn(binary, ["-f", config, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => output.push(...chunk.split("\n").filter((line) => line !== "")));
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not start:\n${output.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, url: `http://127.0.0.1:${port}`, output, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
