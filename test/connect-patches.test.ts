/**
 * The patches of connect (applied by patch-package on install, see patches/):
 * - connect's gRPC handler gets a unary fast path: the request is read and
 *   parsed directly instead of through the streaming pipeline, and a request
 *   that does not parse is INVALID_ARGUMENT rather than INTERNAL;
 * - a unary call that completes aborts its handler signal with one shared
 *   reason, and connect-node does not abort the request signal of a stream
 *   that closed cleanly after its response: no AbortError (a DOMException
 *   with a stack trace) is built per call; a stream whose session goes away
 *   before its response ended (no RST_STREAM) is still aborted.
 * This fails if a patch is missing, checks the wire behaviour of raw gRPC
 * requests, and checks that a handler's signal still reports cancellation
 * and deadlines.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { NoteService } from "../gen/m2m/notes/v1/notes_pb.js";
import { printSummary } from "./support/summary-table.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

/** The ESM build's file `file` next to the entry point `specifier`. */
function esmFile(specifier: string, file: string): string {
  const entry = createRequire(import.meta.url).resolve(specifier);
  return readFileSync(entry.replace(/[^/]+$/, file).replace("/cjs/", "/esm/"), "utf8");
}

test("the patches are applied", () => {
  const hint = "run npm install: patch-package applies patches/ on install";
  assert.match(esmFile("@connectrpc/connect/protocol-grpc", "handler-factory.js"), /function createUnaryHandler\(opt, spec, serialization\)/, hint);
  assert.match(esmFile("@connectrpc/connect/protocol", "signals.js"), /export const callCompletedReason/, hint);
  assert.match(esmFile("@connectrpc/connect/protocol-connect", "handler-factory.js"), /context\.abort\(callCompletedReason\)/, hint);
  assert.match(esmFile("@connectrpc/connect-node", "node-universal-handler.js"), /nodeResponse\.writableEnded\)\) \{/, hint);
});

/** Sends raw bytes as a gRPC request body and returns grpc-status and grpc-message. */
function rawGrpc(path: string, body: Buffer, token: string): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(system.notes.url);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${token}` });
    let headers: http2.IncomingHttpHeaders = {};
    const done = (fields: http2.IncomingHttpHeaders) => {
      resolve({ status: String(fields["grpc-status"]), message: decodeURIComponent(String(fields["grpc-message"] ?? "")) });
      session.close();
    };
    req.on("response", (h) => (headers = h));
    req.on("trailers", (t) => done({ ...headers, ...t }));
    req.on("end", () => done(headers));
    req.resume();
    req.end(body);
  });
}

const envelope = (payload: number[]) => {
  const bytes = Buffer.alloc(5 + payload.length);
  bytes.writeUInt32BE(payload.length, 1);
  Buffer.from(payload).copy(bytes, 5);
  return bytes;
};

test("raw gRPC requests that are not a valid unary message get clear codes", async () => {
  const token = await system.token("note-service", "note.read note.write");
  const cases: [string, string, Buffer, string][] = [
    ["a valid empty ListNotesRequest", "ListNotes", envelope([]), "0"],
    ["bytes that are not protobuf", "CreateNote", envelope([0xff, 0xff, 0xff, 0x07]), "3"],
    ["a string field that is not UTF-8", "CreateNote", envelope([0x0a, 0x04, 0x12, 0x02, 0xc3, 0x28]), "3"],
    ["an envelope cut short", "CreateNote", envelope([0x0a, 0x02, 0x12, 0x00]).subarray(0, 7), "3"],
    ["no message at all", "ListNotes", Buffer.alloc(0), "12"],
    ["two messages", "ListNotes", Buffer.concat([envelope([]), envelope([])]), "12"],
  ];
  const rows = [];
  for (const [name, method, body, expected] of cases) {
    const { status, message } = await rawGrpc(`/m2m.notes.v1.NoteService/${method}`, body, token);
    rows.push({ case: name, expected: `grpc-status ${expected}`, observed: `grpc-status ${status}${message ? `: ${message}` : ""}` });
    assert.equal(status, expected, `${name}: ${message}`);
  }
  printSummary("raw gRPC unary requests", rows);
});

/**
 * A NoteService whose ListNotes hands its context to the test and, when asked
 * (page_size 7), waits until the call's signal is aborted. Served in-process:
 * this checks the patched dependency, not our services.
 */
async function startSignalProbe() {
  const contexts: HandlerContext[] = [];
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(NoteService, {
        async listNotes(req, ctx) {
          contexts.push(ctx);
          if (req.pageSize === 7) {
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
            throw ConnectError.from(ctx.signal.reason);
          }
          return { notes: [], nextPageToken: "" };
        },
      }),
  });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    contexts,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

const probeTransports = {
  grpc: (url: string) => createGrpcTransport({ baseUrl: url }),
  connect: (url: string) => createConnectTransport({ baseUrl: url, httpVersion: "2" }),
  "grpc-web": (url: string) => createGrpcWebTransport({ baseUrl: url, httpVersion: "2" }),
};

/** Waits (bounded) until the probe has seen `count` calls. */
async function callsSeen(probe: { contexts: HandlerContext[] }, count: number): Promise<void> {
  for (let i = 0; i < 200 && probe.contexts.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(probe.contexts.length, count);
}

test("a unary handler's signal: aborted when the call completes, on client cancel and at the deadline", async () => {
  const probe = await startSignalProbe();
  const rows: { case: string; expected: string; observed: string }[] = [];
  const row = (name: string, expected: Code, signal: AbortSignal) =>
    rows.push({ case: name, expected: Code[expected], observed: signal.aborted ? Code[ConnectError.from(signal.reason).code] : "not aborted" });
  try {
    for (const [protocol, transport] of Object.entries(probeTransports)) {
      const client = createClient(NoteService, transport(probe.url));

      const seen = probe.contexts.length;
      await client.listNotes({ pageSize: 1 });
      const completed = probe.contexts[seen]!.signal;
      assert.ok(completed.aborted, `${protocol}: signal aborted once the call completed`);
      assert.equal(ConnectError.from(completed.reason).code, Code.Canceled);

      const cancel = new AbortController();
      const cancelled = client.listNotes({ pageSize: 7 }, { signal: cancel.signal });
      await callsSeen(probe, seen + 2);
      cancel.abort();
      await assert.rejects(cancelled, (err) => ConnectError.from(err).code === Code.Canceled);
      const onCancel = probe.contexts[seen + 1]!.signal;
      for (let i = 0; i < 200 && !onCancel.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(onCancel.aborted, `${protocol}: the handler sees the client cancel`);

      // The deadline is sent as a header only, so the server's timer ends the call, not the client's.
      const timeoutHeader = protocol === "connect" ? { "connect-timeout-ms": "100" } : { "grpc-timeout": "100m" };
      await assert.rejects(client.listNotes({ pageSize: 7 }, { headers: timeoutHeader }), (err) => ConnectError.from(err).code === Code.DeadlineExceeded);
      await callsSeen(probe, seen + 3);
      const atDeadline = probe.contexts[seen + 2]!.signal;
      for (let i = 0; i < 200 && !atDeadline.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(ConnectError.from(atDeadline.reason).code, Code.DeadlineExceeded, `${protocol}: the handler sees the deadline`);

      row(`${protocol}: call completed`, Code.Canceled, completed);
      row(`${protocol}: client cancelled`, Code.Canceled, onCancel);
      row(`${protocol}: deadline passed`, Code.DeadlineExceeded, atDeadline);
    }
  } finally {
    await probe.stop();
  }
  printSummary("handler signal reasons (connect patches)", rows);
});

test("a handler's signal is aborted when its HTTP/2 session is destroyed without RST_STREAM", async () => {
  const probe = await startSignalProbe();
  try {
    // Two calls that wait for their signal, on one session that the client then destroys.
    const session = http2.connect(probe.url);
    session.on("error", () => {});
    for (let i = 0; i < 2; i++) {
      const req = session.request({ ":method": "POST", ":path": "/m2m.notes.v1.NoteService/ListNotes", "content-type": "application/grpc", te: "trailers" });
      req.on("error", () => {});
      req.end(envelope([0x08, 0x07])); // page_size: 7
    }
    await callsSeen(probe, 2);
    session.destroy();
    const signals = probe.contexts.map((ctx) => ctx.signal);
    for (let i = 0; i < 200 && !signals.every((s) => s.aborted); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(signals.map((s) => s.aborted), [true, true], "every handler sees its session go away");
  } finally {
    await probe.stop();
  }
});
