/**
 * patches/@connectrpc+connect+2.1.2.patch (applied by patch-package on
 * install) gives connect's gRPC handler a unary fast path: the request is read
 * and parsed directly instead of through the streaming pipeline, and a request
 * that does not parse is INVALID_ARGUMENT rather than INTERNAL. This fails if
 * the patch is missing, and checks the wire behaviour of raw gRPC requests.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { printSummary } from "./support/summary-table.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

test("the patch is applied", () => {
  const entry = createRequire(import.meta.url).resolve("@connectrpc/connect/protocol-grpc");
  const handlerFactory = readFileSync(entry.replace(/index\.js$/, "handler-factory.js").replace("/cjs/", "/esm/"), "utf8");
  assert.match(handlerFactory, /function createUnaryHandler\(opt, spec, serialization\)/, "run npm install: patch-package applies patches/ on install");
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
