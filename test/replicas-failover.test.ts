/**
 * Failover behind a real load balancer (issue 13): two notes replicas on one
 * PostgreSQL with HAProxy in front (test/support/haproxy.ts). Four writers
 * write through HAProxy; one replica is killed with SIGKILL mid-way. Every
 * write that was acknowledged must be in the database afterwards, and calls
 * must succeed again through the load balancer within a few seconds. Writes
 * are not retried: a write that failed is reported as failed, never doubled.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { missingHaproxy, startHaproxy, type RunningHaproxy } from "./support/haproxy.js";
import { startTestPostgres, type TestPostgres } from "./support/postgres.js";
import { startProcess, tempDataDir, type RunningProcess } from "./support/processes.js";
import { serviceEnv } from "./support/system.js";
import { readAssistantCredentials, requestToken } from "./support/tokens.js";

const missing = missingHaproxy();

let postgres: TestPostgres;
let auth: RunningProcess;
const replicas: RunningProcess[] = [];
let haproxy: RunningHaproxy;
const dirs: { remove(): void }[] = [];
let token: string;

before(async () => {
  if (missing) return;
  postgres = await startTestPostgres();
  const databaseUrl = await postgres.createDatabase();
  const authData = tempDataDir();
  dirs.push(authData);
  auth = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: "0", AUTH_HOST: "127.0.0.1", DATA_DIR: authData.path } });
  // With AUTH_PORT=0 the provider derives its issuer from the port it got, and announces it.
  const issuer = String(auth.logs().find((l) => l["msg"] === "listening")?.["issuer"]);
  for (let i = 0; i < 2; i++) {
    const data = tempDataDir();
    dirs.push(data);
    replicas.push(await startProcess("notes/main.js", { env: { ...serviceEnv("notes", data.path, issuer, auth.url), DATABASE_URL: databaseUrl } }));
  }
  haproxy = await startHaproxy(replicas.map((r) => r.port));
  token = await requestToken(auth.url, readAssistantCredentials(authData.path), "note-service", "note.read note.write");
});

after(async () => {
  await haproxy?.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await auth?.stop();
  await postgres?.stop();
  for (const dir of dirs) dir.remove();
});

test("SIGKILL of one notes replica under four writers: no acknowledged write is lost, and calls succeed again within seconds", { skip: missing }, async (t) => {
  const headers = { authorization: `Bearer ${token}` };
  const acknowledged = new Set<string>();
  const failures: string[] = [];
  let killedAt = 0;
  let firstSuccessAfterKill = 0;
  let stop = false;
  const writer = async (n: number) => {
    // Each writer keeps its own HTTP/2 connection through HAProxy, as a real client would.
    const client = createClient(NoteService, createGrpcTransport({ baseUrl: haproxy.url }));
    for (let i = 0; !stop; i++) {
      try {
        const { note } = await client.createNote({ note: { title: `writer ${n} note ${i}` } }, { headers, timeoutMs: 3000 });
        acknowledged.add(note!.id);
        if (killedAt > 0 && firstSuccessAfterKill === 0) firstSuccessAfterKill = Date.now();
      } catch (err) {
        failures.push(Code[ConnectError.from(err).code]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = acknowledged.size;
  replicas[0]!.child.kill("SIGKILL");
  killedAt = Date.now();
  await replicas[0]!.exited;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  stop = true;
  await Promise.all(writers);

  assert.ok(before > 0, `no write went through before the kill (failures: ${[...new Set(failures)].join(", ")})`);
  assert.ok(firstSuccessAfterKill > 0, `no write succeeded after the kill (failures: ${failures.join(", ")})`);
  assert.ok(firstSuccessAfterKill - killedAt < 3000, `calls succeeded again only after ${firstSuccessAfterKill - killedAt} ms`);
  for (const code of failures) assert.ok(["Unavailable", "Unknown", "Canceled", "DeadlineExceeded", "Internal"].includes(code), `unexpected failure ${code}`);

  // Every acknowledged write is there, read through the surviving replica.
  const client = createClient(NoteService, createGrpcTransport({ baseUrl: haproxy.url }));
  const stored = new Set<string>();
  let pageToken = "";
  do {
    const page = await client.listNotes({ pageSize: 1000, pageToken }, { headers });
    for (const note of page.notes) stored.add(note.id);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  const lost = [...acknowledged].filter((id) => !stored.has(id));
  t.diagnostic(`${acknowledged.size} writes acknowledged, ${failures.length} failed (${[...new Set(failures)].join(", ") || "none"}); first success ${firstSuccessAfterKill - killedAt} ms after the kill`);
  assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged writes are missing`);
});
