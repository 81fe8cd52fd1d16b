/**
 * @grpc/grpc-js with @grpc/proto-loader loading proto/ at run time (no
 * generated code): the client most Node teams outside Connect would use.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { projectRoot } from "./support/commands.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

type Callback = (err: grpc.ServiceError | null, value?: Record<string, unknown>) => void;
type DynamicClient = grpc.Client & Record<string, (request: object, metadata: grpc.Metadata, ...rest: unknown[]) => unknown>;

function load(service: "calendar" | "notes"): DynamicClient {
  const file = service === "calendar" ? "m2m/calendar/v1/calendar.proto" : "m2m/notes/v1/notes.proto";
  const definition = protoLoader.loadSync(file, { includeDirs: [join(projectRoot, "proto")], keepCase: false, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { m2m: Record<string, { v1: Record<string, grpc.ServiceClientConstructor> }> };
  const Client = service === "calendar" ? pkg.m2m["calendar"]!.v1["CalendarService"]! : pkg.m2m["notes"]!.v1["NoteService"]!;
  return new Client(new URL(system[service].url).host, grpc.credentials.createInsecure()) as unknown as DynamicClient;
}

function metadata(token?: string): grpc.Metadata {
  const m = new grpc.Metadata();
  if (token) m.set("authorization", `Bearer ${token}`);
  return m;
}

function unary(client: DynamicClient, method: string, request: object, token?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const callback: Callback = (err, value) => (err ? reject(err) : resolve(value!));
    client[method]!(request, metadata(token), { deadline: Date.now() + 10_000 }, callback);
  });
}

async function status(call: Promise<unknown>): Promise<grpc.status> {
  try {
    await call;
    return grpc.status.OK;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
}

test("unary calls, the watch stream and the refusals through grpc-js", async () => {
  const calendar = load("calendar");
  const notes = load("notes");
  try {
    const calendarToken = await system.token("calendar-service", "calendar.read calendar.write");
    const notesToken = await system.token("note-service", "note.read note.write");
    const readOnly = await system.token("note-service", "note.read");

    const created = await unary(calendar, "createEvent", { event: { title: "from grpc-js", startTime: { seconds: "1900000000" }, endTime: { seconds: "1900003600" } } }, calendarToken);
    assert.equal((created["event"] as { title: string }).title, "from grpc-js");
    const listed = await unary(calendar, "listEvents", { pageSize: 100 }, calendarToken);
    assert.ok((listed["events"] as { id: string }[]).some((e) => e.id === (created["event"] as { id: string }).id));

    const stream = notes["watchNotes"]!({}, metadata(notesToken)) as grpc.ClientReadableStream<{ changeType: string; note?: { id: string } }>;
    const messages: { changeType: string; note?: { id: string } }[] = [];
    const second = new Promise<void>((resolve, reject) => {
      stream.on("data", (m) => {
        messages.push(m);
        if (messages.length === 1) void unary(notes, "createNote", { note: { title: "from grpc-js" } }, notesToken).catch(reject);
        if (messages.length === 2) resolve();
      });
      stream.on("error", (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
    });
    await second;
    stream.cancel();
    assert.deepEqual(messages.map((m) => m.changeType), ["CHANGE_TYPE_WATCH_STARTED", "CHANGE_TYPE_CREATED"]);

    assert.equal(await status(unary(notes, "listNotes", {})), grpc.status.UNAUTHENTICATED);
    assert.equal(await status(unary(notes, "listNotes", {}, calendarToken)), grpc.status.UNAUTHENTICATED);
    assert.equal(await status(unary(notes, "createNote", { note: { title: "no" } }, readOnly)), grpc.status.PERMISSION_DENIED);
    assert.equal(await status(unary(notes, "getNote", { id: "missing" }, notesToken)), grpc.status.NOT_FOUND);
    assert.equal(await status(unary(calendar, "createEvent", { event: { title: "no times" } }, calendarToken)), grpc.status.INVALID_ARGUMENT);

    const denied = await unary(notes, "listNotes", {}).catch((err: grpc.ServiceError) => err);
    assert.match((denied as grpc.ServiceError).details, /no access token/);
    assert.match(String((denied as grpc.ServiceError).metadata.get("www-authenticate")[0]), /^Bearer realm="note-service"/);
  } finally {
    calendar.close();
    notes.close();
  }
});
