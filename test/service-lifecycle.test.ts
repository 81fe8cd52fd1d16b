/**
 * The services as processes: data survives a restart, shutdown ends watch
 * streams cleanly, HTTP/1.1 JSON works next to HTTP/2, a service started
 * before the auth provider recovers, and misconfiguration stops it with a
 * message that names the setting.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { CalendarService } from "../gen/m2m/calendar/v1/calendar_pb.js";
import { expectCode } from "./support/assertions.js";
import { startProcess, tempDataDir } from "./support/processes.js";
import { bearer, calendarClient, notesClient, serviceEnv, startSystem, transportFor, type TestSystem } from "./support/system.js";
import { accessClaims, readAssistantCredentials, requestToken, signWithForeignKey } from "./support/tokens.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

test("acknowledged writes survive a restart of both services", async () => {
  const { event } = await calendarClient(system, "grpc").createEvent({
    event: { title: "durable", startTime: timestampFromDate(new Date("2031-01-01T10:00:00Z")), endTime: timestampFromDate(new Date("2031-01-01T11:00:00Z")) },
  });
  const { note } = await notesClient(system, "grpc").createNote({ note: { title: "durable note", description: "body" } });
  await system.restart("calendar");
  await system.restart("notes");
  assert.equal((await calendarClient(system, "grpc").getEvent({ id: event!.id })).event!.title, "durable");
  assert.equal((await notesClient(system, "connect").getNote({ id: note!.id })).note!.description, "body");
});

test("SIGTERM ends open watch streams with UNAVAILABLE and exits 0 after in-flight calls", async () => {
  const it = notesClient(system, "grpc").watchNotes({})[Symbol.asyncIterator]();
  await it.next();
  const exited = system.notes.stop("SIGTERM");
  await assert.rejects(it.next(), (err) => {
    const e = ConnectError.from(err);
    return e.code === Code.Unavailable && e.rawMessage.includes("shutting down");
  });
  assert.equal(await exited, 0);
  const messages = system.notes.logs().map((l) => l["msg"]);
  assert.ok(messages.includes("shutting down: finishing in-flight calls"));
  assert.equal(messages.at(-1), "stopped");
  await system.restart("notes");
});

test("plain HTTP/1.1 JSON (what curl sends) works for a read and a write", async () => {
  const token = await system.token("note-service", "note.read note.write");
  const post = (method: string, body: unknown) =>
    fetch(`${system.notes.url}/m2m.notes.v1.NoteService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const created = await post("CreateNote", { note: { title: "from curl" } });
  assert.equal(created.status, 200);
  const { note } = (await created.json()) as { note: { id: string; title: string; createdBy: string } };
  assert.equal(note.createdBy, "assistant");
  const got = await post("GetNote", { id: note.id });
  assert.equal(((await got.json()) as { note: { title: string } }).note.title, "from curl");
  const missing = await post("GetNote", { id: "missing" });
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { code: "not_found", message: 'note "missing" not found' });
});

test("64 overlapping calls: all answered, and the service writes nothing but JSON log lines (no Node warnings)", async () => {
  const client = notesClient(system, "grpc");
  const answers = await Promise.all(Array.from({ length: 64 }, () => client.listNotes({ pageSize: 1 })));
  assert.equal(answers.length, 64);
  // A warning would have been written when the 11th call began; give the pipe a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const notJson = system.notes.output.filter((line) => {
    try {
      return typeof JSON.parse(line) !== "object";
    } catch {
      return true;
    }
  });
  assert.deepEqual(notJson, []);
});

test("one JSON log line per call: method, code, client id, duration", () => {
  const calls = system.notes.logs().filter((l) => l["msg"] === "call");
  assert.ok(calls.length >= 3);
  for (const call of calls) {
    assert.match(String(call["method"]), /^m2m\.notes\.v1\.NoteService\//);
    assert.equal(typeof call["duration_ms"], "number");
    assert.equal(typeof call["code"], "string");
  }
  assert.ok(calls.some((c) => c["client_id"] === "assistant" && c["code"] === "OK"));
  assert.ok(calls.some((c) => c["code"] === "NotFound"));
});

test("a service started before the auth provider answers UNAVAILABLE, then recovers once the provider is up", async () => {
  const port = await freePort();
  const data = tempDataDir();
  const issuer = `http://localhost:${port}/auth`;
  const calendar = await startProcess("calendar/main.js", { env: serviceEnv("calendar", data.path, issuer, `http://127.0.0.1:${port}`) });
  let auth;
  try {
    const wellFormed = await signWithForeignKey(accessClaims(issuer, "calendar-service", ["calendar.read"]));
    const noKeys = createClient(CalendarService, transportFor("grpc", calendar.url, [bearer(wellFormed)]));
    await expectCode(noKeys.listEvents({}), Code.Unavailable, "cannot fetch the auth provider's keys");

    auth = await startProcess("auth-provider/main.js", { env: { AUTH_PORT: String(port), AUTH_HOST: "127.0.0.1", DATA_DIR: data.path } });
    const token = await requestToken(auth.url, readAssistantCredentials(data.path), "calendar-service", "calendar.read");
    const client = createClient(CalendarService, transportFor("grpc", calendar.url, [bearer(token)]));
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await client.listEvents({});
        break;
      } catch (err) {
        if (ConnectError.from(err).code !== Code.Unavailable || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await calendar.stop();
    await auth?.stop();
    data.remove();
  }
});

test("a bad setting stops the service with exit code 2 and names the setting", async () => {
  const data = tempDataDir();
  try {
    await assert.rejects(
      startProcess("calendar/main.js", { env: { DATA_DIR: data.path, CALENDAR_PORT: "not-a-port" } }),
      (err: Error) => /exited with 2/.test(err.message) && /CALENDAR_PORT: "not-a-port" is not a port number/.test(err.message),
    );
    await assert.rejects(
      startProcess("notes/main.js", { env: { DATA_DIR: data.path, NOTES_PORT: "0", AUTH_ISSUER: "ftp://x" } }),
      (err: Error) => /exited with 2/.test(err.message) && /AUTH_ISSUER/.test(err.message),
    );
  } finally {
    data.remove();
  }
});

test("a port already in use stops the service with exit code 1 and says so", async () => {
  await assert.rejects(
    startProcess("calendar/main.js", { env: serviceEnv("calendar", system.dataDir, system.issuer, system.auth.url, system.calendar.port) }),
    (err: Error) => /exited with 1/.test(err.message) && /already in use \(set CALENDAR_PORT\)/.test(err.message),
  );
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
