/**
 * Two notes replicas on one PostgreSQL (a real embedded server, or
 * TEST_DATABASE_URL): a change written through one reaches a watch on the
 * other; a replica that loses its notification connection ends its watches
 * with UNAVAILABLE and recovers on its own; PostgreSQL stopped means
 * UNAVAILABLE (never INTERNAL) and health NOT_SERVING, and started again the
 * replicas serve without a restart; the assistant's watch resumes after its
 * replica restarts, missing nothing; bad settings stop start-up.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { ChangeType, NoteService, type WatchNotesResponse } from "../gen/m2m/notes/v1/notes_pb.js";
import { expectCode } from "./support/assertions.js";
import { cliEntry, cliEnv } from "./support/cli.js";
import { testPostgres } from "./support/database-backends.js";
import { distPath, startProcess, type RunningProcess } from "./support/processes.js";
import { bearer, serviceEnv, startSystem, transportFor, type TestSystem } from "./support/system.js";

let system: TestSystem;
let databaseUrl: string;
let replicaB: RunningProcess;

const startReplica = (port = 0) =>
  startProcess("notes/main.js", { env: { ...serviceEnv("notes", system.dataDir, system.issuer, system.auth.url, port), DATABASE_URL: databaseUrl } });
const notesAt = (url: string): Client<typeof NoteService> =>
  createClient(NoteService, transportFor("grpc", url, [bearer(() => system.token("note-service", "note.read note.write"))]));
const healthOf = (url: string) => createClient(Health, transportFor("grpc", url));

/** Waits (at most `ms`) until `check` resolves true. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

before(async () => {
  databaseUrl = await (await testPostgres()).createDatabase();
  system = await startSystem({ serviceEnv: { notes: { DATABASE_URL: databaseUrl } } });
  replicaB = await startReplica();
});
after(async () => {
  await replicaB?.stop();
  await system?.stop();
});

describe("two notes replicas on one PostgreSQL", () => {
  test("a note written through replica A appears on a watch opened on replica B", async () => {
    const abort = new AbortController();
    const watch = notesAt(replicaB.url).watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
    assert.equal(((await watch.next()).value as WatchNotesResponse).changeType, ChangeType.WATCH_STARTED);
    const { note } = await notesAt(system.notes.url).createNote({ note: { title: "from A" } });
    const seen = (await watch.next()).value as WatchNotesResponse;
    assert.deepEqual([seen.changeType, seen.note!.id, seen.note!.title], [ChangeType.CREATED, note!.id, "from A"]);
    assert.equal((await notesAt(replicaB.url).getNote({ id: note!.id })).note!.etag, note!.etag, "one store, one etag");
    abort.abort();
  });

  test("concurrent writes through both replicas reach a watch once each, in sequence order with no gap", async () => {
    const abort = new AbortController();
    const watch = notesAt(replicaB.url).watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
    const started = (await watch.next()).value as WatchNotesResponse;
    const writes = 24;
    await Promise.all(Array.from({ length: writes }, (_, i) => notesAt(i % 2 ? replicaB.url : system.notes.url).createNote({ note: { title: `concurrent ${i}` } })));
    const sequences: bigint[] = [];
    for (let i = 0; i < writes; i++) sequences.push(((await watch.next()).value as WatchNotesResponse).sequence);
    assert.deepEqual(sequences, Array.from({ length: writes }, (_, i) => started.sequence + BigInt(i + 1)));
    abort.abort();
  });

  test("notification connection lost: watchers end UNAVAILABLE, the replica reconnects and a resumed watch misses nothing", async () => {
    const watch = notesAt(replicaB.url).watchNotes({})[Symbol.asyncIterator]();
    const started = (await watch.next()).value as WatchNotesResponse;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'");
      assert.ok((rowCount ?? 0) >= 2, "both replicas' listeners");
    } finally {
      await admin.end();
    }
    await expectCode(watch.next(), Code.Unavailable, "lost its database notification connection");
    const { note } = await notesAt(system.notes.url).createNote({ note: { title: "while B was deaf" } });
    // Recovers on its own: a watch from where the first one stood replays the change.
    await eventually("B serves watches again", async () => (await healthOf(replicaB.url).check({})).status === Status.SERVING);
    const abort = new AbortController();
    const resumed = notesAt(replicaB.url).watchNotes({ sinceSequence: started.sequence }, { signal: abort.signal })[Symbol.asyncIterator]();
    assert.equal(((await resumed.next()).value as WatchNotesResponse).changeType, ChangeType.WATCH_STARTED);
    const replayed = (await resumed.next()).value as WatchNotesResponse;
    assert.deepEqual([replayed.sequence, replayed.note!.id], [started.sequence + 1n, note!.id]);
    abort.abort();
  });

  test("PostgreSQL stopped: UNAVAILABLE (not INTERNAL) and NOT_SERVING; started again: both replicas recover without a restart", async () => {
    const server = await testPostgres();
    if (!server.pause || !server.start) return; // TEST_DATABASE_URL: the server is not ours to stop
    const { note: kept } = await notesAt(system.notes.url).createNote({ note: { title: "acknowledged before the outage" } });
    await server.pause();
    try {
      for (const url of [system.notes.url, replicaB.url]) {
        const err = await expectCode(notesAt(url).listNotes({}), Code.Unavailable, "the database is unavailable");
        assert.ok(!/postgres:\/\/|m2m-grpc-test/.test(err.rawMessage), "no URL or password in the message");
        await expectCode(notesAt(url).createNote({ note: { title: "lost?" } }), Code.Unavailable, "the database is unavailable");
        assert.equal((await healthOf(url).check({})).status, Status.NOT_SERVING);
      }
    } finally {
      // Started again whatever happened above (the first failure is the one reported). A start right after a
      // stop can find the old server's files still in the way: one more try a second later.
      const start = server.start;
      await start()
        .catch(() => new Promise((resolve) => setTimeout(resolve, 1000)).then(start))
        .catch((err: unknown) => assert.fail(`cannot start PostgreSQL again: ${String(err)}`));
    }
    for (const url of [system.notes.url, replicaB.url]) {
      await eventually(`${url} SERVING again`, async () => (await healthOf(url).check({})).status === Status.SERVING);
      assert.equal((await notesAt(url).getNote({ id: kept!.id })).note!.title, "acknowledged before the outage");
    }
    // Watches work across replicas again.
    const abort = new AbortController();
    const watch = notesAt(replicaB.url).watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
    await watch.next();
    const { note } = await notesAt(system.notes.url).createNote({ note: { title: "after the outage" } });
    assert.equal(((await watch.next()).value as WatchNotesResponse).note!.id, note!.id);
    abort.abort();
  });

  test("the assistant's watch resumes after its replica restarts, missing nothing and repeating nothing", async () => {
    const child = spawn(process.execPath, [distPath(cliEntry), "--output", "json", "note", "watch"], {
      env: { PATH: process.env["PATH"], ...cliEnv(system, { NOTES_URL: replicaB.url }) },
    });
    const lines: Record<string, unknown>[] = [];
    let buffered = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts.map((l) => JSON.parse(l) as Record<string, unknown>));
    });
    const titles = () => lines.filter((l) => l["changeType"] === "CHANGE_TYPE_CREATED").map((l) => (l["note"] as { title: string }).title);
    try {
      await eventually("watch started", async () => lines.some((l) => l["changeType"] === "CHANGE_TYPE_WATCH_STARTED"));
      await notesAt(system.notes.url).createNote({ note: { title: "before the restart" } });
      await eventually("first change", async () => titles().length === 1);
      const port = replicaB.port;
      await replicaB.stop();
      await notesAt(system.notes.url).createNote({ note: { title: "while B was down" } });
      replicaB = await startReplica(port);
      await notesAt(system.notes.url).createNote({ note: { title: "after B came back" } });
      await eventually("the missed and the new change", async () => titles().length >= 3);
      assert.deepEqual(titles(), ["before the restart", "while B was down", "after B came back"]);
      assert.equal(lines.filter((l) => l["changeType"] === "CHANGE_TYPE_WATCH_STARTED").length, 1, "one 'watching' line");
    } finally {
      child.kill("SIGINT");
    }
  });
});

describe("start-up on PostgreSQL", () => {
  test("a bad DATABASE_URL stops start-up with exit 2, naming the variable and never the password", async () => {
    const env = { ...serviceEnv("notes", system.dataDir, system.issuer, system.auth.url), DATABASE_URL: "mysql://app:s3cr3t-pw@db/m2m" };
    await assert.rejects(startProcess("notes/main.js", { env }), (err: Error) => {
      assert.match(err.message, /exited with 2 before listening/);
      assert.match(err.message, /DATABASE_URL: must be a postgres:\/\/ URL/);
      assert.ok(!err.message.includes("s3cr3t-pw"), err.message);
      return true;
    });
  });

  test("a database schema newer than the code stops start-up with a message that says so", async () => {
    const url = await (await testPostgres()).createDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("CREATE TABLE schema_migrations (component TEXT, version INTEGER, name TEXT, applied_at TIMESTAMPTZ DEFAULT now(), PRIMARY KEY (component, version))");
    await admin.query("INSERT INTO schema_migrations (component, version, name) VALUES ('notes', 99, 'from the future')");
    await admin.end();
    const env = { ...serviceEnv("notes", system.dataDir, system.issuer, system.auth.url), DATABASE_URL: url };
    await assert.rejects(startProcess("notes/main.js", { env }), (err: Error) => {
      assert.match(err.message, /exited with 1 before listening/);
      assert.match(err.message, /the database schema of notes is at version 99, newer than this build knows \(2\)/);
      return true;
    });
  });
});

