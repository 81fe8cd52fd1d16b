/**
 * Input at and past the limits, through real RPCs: oversized messages, huge
 * page sizes, out-of-range values, cancelled and timed-out calls. Each gets
 * the right code, nothing leaks (watch subscribers are removed when streams
 * end) and the service stays healthy.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { notesClient, calendarClient, startSystem, transportFor, type TestSystem } from "./support/system.js";
import { printSummary } from "./support/summary-table.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

const rows: { case: string; expected: string; observed: string }[] = [];
after(() => printSummary("RPC input limits", rows));

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return Code[ConnectError.from(err).code];
  }
}

async function check(name: string, expected: string, call: () => Promise<unknown>) {
  const observed = await codeOf(call());
  rows.push({ case: name, expected, observed });
  assert.equal(observed, expected, name);
}

const watchers = () => system.notes.logs().filter((l) => l["msg"] === "watch ended").at(-1)?.["watchers"];

test("oversized messages and values", async () => {
  for (const protocol of ["grpc", "connect"] as const) {
    const notes = notesClient(system, protocol);
    await check(`${protocol}: 5 MB message (over the 4 MiB read limit)`, "ResourceExhausted", () => notes.createNote({ note: { title: "big", description: "x".repeat(5 * 1024 * 1024) } }));
    await check(`${protocol}: 200 kB description (over 100000 characters)`, "InvalidArgument", () => notes.createNote({ note: { title: "big", description: "x".repeat(200_000) } }));
    await check(`${protocol}: 10 000-character id`, "InvalidArgument", () => notes.getNote({ id: "x".repeat(10_000) }));
    await check(`${protocol}: page_size 2^31-1 is lowered to 1000`, "OK", () => notes.listNotes({ pageSize: 2 ** 31 - 1 }));
    await check(`${protocol}: page_size -2^31`, "InvalidArgument", () => notes.listNotes({ pageSize: -(2 ** 31) }));
    await check(`${protocol}: update_mask with 1000 unknown paths`, "InvalidArgument", () =>
      notes.updateNote({ note: { id: "x", title: "t" }, updateMask: { paths: Array.from({ length: 1000 }, (_, i) => `p${i}`) } }),
    );
  }
  const calendar = calendarClient(system, "grpc");
  await check("timestamp seconds beyond year 9999", "InvalidArgument", () =>
    calendar.createEvent({ event: { title: "t", startTime: { seconds: 10n ** 15n }, endTime: { seconds: 10n ** 15n } } }),
  );
  await check("timestamp with negative nanos", "InvalidArgument", () =>
    calendar.createEvent({ event: { title: "t", startTime: { seconds: 1n, nanos: -1 }, endTime: { seconds: 2n } } }),
  );
  await check("time_min beyond year 9999 in a list", "InvalidArgument", () => calendar.listEvents({ timeMin: { seconds: 10n ** 14n } }));
});

test("cancelled and timed-out calls end cleanly and leave no watch subscriber behind", async () => {
  const notes = notesClient(system, "grpc");
  const aborts: AbortController[] = [];
  for (let i = 0; i < 20; i++) {
    const abort = new AbortController();
    aborts.push(abort);
    const it = notes.watchNotes({}, { signal: abort.signal })[Symbol.asyncIterator]();
    await it.next();
  }
  for (const abort of aborts) abort.abort();
  // A watch whose caller leaves before reading anything, and one that runs into its deadline.
  const early = new AbortController();
  void notes.watchNotes({}, { signal: early.signal })[Symbol.asyncIterator]().next().catch(() => {});
  early.abort();
  await check("watch past its deadline", "DeadlineExceeded", async () => {
    for await (const _ of notes.watchNotes({}, { timeoutMs: 300 })) void _;
  });
  await check("unary call with a 1 ms deadline", "DeadlineExceeded", () => notes.listNotes({ pageSize: 1000 }, { timeoutMs: 1 }));

  const deadline = Date.now() + 5000;
  while (watchers() !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  rows.push({ case: "watch subscribers after all streams ended", expected: "0", observed: String(watchers()) });
  assert.equal(watchers(), 0);
  const cancelled = system.notes.logs().filter((l) => l["msg"] === "call" && l["method"] === "m2m.notes.v1.NoteService/WatchNotes" && l["code"] === "Canceled");
  assert.ok(cancelled.length >= 20, "the call log records the cancelled watches");

  const health = createClient(Health, transportFor("grpc", system.notes.url));
  await check("health after all of the above", "OK", async () => assert.equal((await health.check({})).status, Status.SERVING));
  assert.ok(!system.notes.output.some((l) => l.includes('"code":"Internal"')), "no call ended INTERNAL");
});
